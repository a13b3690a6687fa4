#pragma once
// DCDM model files: an nn checkpoint (so every nn tool reads it) plus what is needed to use it.
//   /model/<parameter path>   the weights (lift, enter, full.*, leave, coarse.*, post.*, output)
//   /architecture             attributes: json (DcdmArchitecture), dtype, trained_grid [nx, ny, nz],
//                             receptive_radius, parameters
//   /history/*                per epoch: train_loss, validation_loss, learning_rate, seconds,
//                             check_iterations (DCDM iterations on a held-out b; −1: not reached)
//   /meta                     provenance (the system's and the training set's SHA-256 among it)
#include <array>
#include <filesystem>
#include <memory>

#include "io/provenance.hpp"
#include "physics/poisson/dcdm_network.hpp"
#include "physics/poisson/dcdm_training.hpp"

namespace anneal::physics::poisson {

// Writes atomically: nothing appears under `path` unless the whole file was written.
void save_dcdm_model(const std::filesystem::path& path, const DcdmNetwork& network, const DcdmHistory& history,
                     std::array<long, 3> trained_grid, const io::Provenance& provenance);

struct LoadedDcdmModel {
  std::shared_ptr<const DcdmNetwork> network;
  std::array<long, 3> trained_grid{};
  DcdmHistory history;
};

// Clear errors for a file that is not a DCDM model or whose weights do not fit its architecture.
LoadedDcdmModel load_dcdm_model(const std::filesystem::path& path);

}  // namespace anneal::physics::poisson
