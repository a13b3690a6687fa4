#pragma once
// The workflows behind `anneal poisson problem | dataset | train` (docs/poisson.md): build a test
// system, make the DCDM training set from a system's Ritz vectors, train a network on it. The solve
// lives in poisson_solve_run.hpp (it needs PETSc).
#include <cstdint>
#include <filesystem>
#include <string>

#include "io/provenance.hpp"
#include "physics/poisson/dcdm_network.hpp"
#include "physics/poisson/dcdm_training.hpp"
#include "physics/poisson/poisson_problems.hpp"
#include "physics/poisson/ritz_dataset.hpp"

namespace anneal::physics::poisson {

struct ProblemRunOptions {
  GridProblem problem;
  std::string rhs = "random";  // random (A·z, the paper's test vector), smooth, or source
  std::uint64_t seed = 0;
  std::filesystem::path output;
  io::Provenance provenance;
};
// Builds the system and its right-hand side and writes it (no solution: /x absent).
PoissonSystem run_problem(const ProblemRunOptions& options);

struct DatasetRunOptions {
  std::filesystem::path system, output;
  RitzDatasetOptions dataset;
  io::Provenance provenance;
};
RitzDatasetSummary run_dataset(const DatasetRunOptions& options);

struct TrainRunOptions {
  std::filesystem::path system, data, output;
  DcdmArchitecture architecture;
  DcdmTrainOptions train;
  nn::DType dtype = nn::DType::f32;
  std::uint64_t init_seed = 0;
  std::int64_t max_vectors = 0;  // 0: the whole training set
  io::Provenance provenance;
};
struct TrainRunResult {
  DcdmHistory history;
  std::int64_t parameters = 0, vectors = 0;
};
TrainRunResult run_train(const TrainRunOptions& options);

}  // namespace anneal::physics::poisson
