#pragma once
// Trains a DCDM network on right-hand sides of one system with the scale-invariant loss of
// dcdm_loss.hpp: Adam over shuffled mini-batches, a held-out validation split, and after each
// epoch a check that matters more than the loss: the DCDM iterations the network needs on a
// held-out right-hand side.
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "physics/poisson/dcdm_network.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::physics::poisson {

// Fills `out` (one vector of the system's size) with training vector `index`.
using VectorSource = std::function<void(std::int64_t index, std::span<float> out)>;

struct DcdmTrainOptions {
  int epochs = 10;
  int batch_size = 10;               // the authors' batch size
  double learning_rate = 1e-3;
  std::string schedule = "cosine";   // "cosine" (to 2 % of the rate) or "constant" (the authors')
  double validation_fraction = 0.1;  // the last vectors of the set are held out
  std::uint64_t seed = 0;            // shuffling
  double check_rtol = 1e-4;          // the per-epoch DCDM check's tolerance (0: no check)
  int check_max_iterations = 300;
  bool progress = true;
};

struct DcdmTrainingSystem {
  const solvers::CsrMatrix* matrix = nullptr;  // symmetric positive (semi-)definite
  std::array<long, 3> grid{};                  // nx, ny, nz
  std::vector<std::uint8_t> cell_type;         // [nz][ny][nx] or empty (all fluid)
};

struct DcdmHistory {
  std::vector<std::int64_t> epoch;
  std::vector<double> train_loss, validation_loss, learning_rate, seconds;
  std::vector<std::int64_t> check_iterations;  // DCDM iterations to check_rtol on a held-out b (−1: none)
};

DcdmHistory train_dcdm(DcdmNetwork& network, const DcdmTrainingSystem& system, const VectorSource& vectors,
                       std::int64_t vector_count, const DcdmTrainOptions& options);

}  // namespace anneal::physics::poisson
