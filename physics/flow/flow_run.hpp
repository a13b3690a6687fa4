#pragma once
// A whole simulation as `anneal flow run` does it: steps to the end time (or a steady state),
// fields written every output interval to one HDF5 time series with an XDMF sidecar, pressure
// systems dumped at the chosen steps, checkpoints every N steps, progress on rank 0.
#include <filesystem>
#include <string>
#include <vector>

#include "io/provenance.hpp"
#include "physics/flow/scene.hpp"

namespace anneal::physics::flow {

struct RunOptions {
  std::filesystem::path output;   // <name>.h5; the sidecar is <name>.xmf
  std::filesystem::path restart;  // a checkpoint to continue from (empty: start at t = 0)
  std::filesystem::path checkpoint;  // where checkpoints go (default <name>.checkpoint.h5)
  bool progress = true;
};

struct RunSummary {
  long steps = 0;            // steps taken in this run
  double time = 0;           // simulated time reached
  std::size_t frames = 0;    // frames written
  double wall_seconds = 0;
  double mean_poisson_iterations = 0;  // per projection
  double max_divergence = 0;           // worst relative divergence after any step
  std::string stop_reason;             // "end time", "steady state", "max steps"
  std::string pressure_solver;         // "cg + gamg"
  std::filesystem::path xmf;
  std::vector<std::filesystem::path> systems;  // pressure-system files written
};

// Collective. `provenance` goes into /meta of every file written; its source_files are inputs
// that the outputs may not overwrite.
RunSummary run_flow(const Scene& scene, const RunOptions& options, const io::Provenance& provenance);

// "<dir>/<stem>.pressure_<step>.h5" for output "<dir>/<stem>.h5".
std::filesystem::path pressure_system_path(const std::filesystem::path& output, long step);

}  // namespace anneal::physics::flow
