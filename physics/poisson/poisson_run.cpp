#include "physics/poisson/poisson_run.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "io/atomic_output.hpp"
#include "physics/poisson/dcdm_model.hpp"

namespace anneal::physics::poisson {

PoissonSystem run_problem(const ProblemRunOptions& options) {
  PoissonSystem system = build_poisson_problem(options.problem);
  if (options.rhs == "random")
    system.rhs = random_range_rhs(system, options.seed);
  else if (options.rhs == "smooth")
    system.rhs = smooth_rhs(system, options.seed);
  else if (options.rhs == "source")
    system.rhs = sphere_source_rhs(system, Sphere{{0.5, 0.5, 0.25}, 0.05, Units::unit});
  else
    ANNEAL_THROW("unknown right-hand side '{}' (random, smooth or source)", options.rhs);
  write_poisson_system(options.output, system, options.provenance);
  return system;
}

RitzDatasetSummary run_dataset(const DatasetRunOptions& options) {
  const PoissonSystem system = read_poisson_system(options.system);
  const auto grid = require_grid(system, "a DCDM training set (the network sees vectors as images)");
  return write_ritz_dataset(options.output, system.matrix, grid, options.dataset, options.provenance);
}

TrainRunResult run_train(const TrainRunOptions& options) {
  const PoissonSystem system = read_poisson_system(options.system);
  const auto grid = require_grid(system, "training a DCDM network");
  const DatasetHeader header = read_dataset_header(options.data);
  ANNEAL_CHECK(header.grid == grid, "'{}' holds vectors on a {}×{}×{} grid, but the system '{}' is {}×{}×{}",
               options.data.string(), header.grid[0], header.grid[1], header.grid[2], options.system.string(), grid[0],
               grid[1], grid[2]);
  ANNEAL_CHECK(options.architecture.in_channels == 1 || !system.cell_type.empty(),
               "--input cell-type needs a system with /cell_type; '{}' has none", options.system.string());
  const std::int64_t count = options.max_vectors > 0 ? std::min<std::int64_t>(options.max_vectors, header.count) : header.count;

  RandomStream init(options.init_seed, 0xDC);
  DcdmNetwork network(options.architecture, init, options.dtype);
  log::info("DCDM network: {} parameters, receptive radius {} cells; {} training vectors on {}×{}×{}",
            network.parameter_count(), options.architecture.receptive_radius(), count, grid[0], grid[1], grid[2]);
  { io::AtomicOutput check(options.output, {options.system, options.data}); }  // fail before training, not after

  // One vector per read (the file stores one per chunk): batches are drawn in shuffled order, so a
  // block cache would read a whole block for every vector it serves, and the set may exceed memory.
  const VectorSource source = [&](std::int64_t index, std::span<float> out) {
    const auto read = read_dataset_vectors<float>(options.data, index, 1);
    std::copy(read.values.begin(), read.values.end(), out.begin());
  };
  DcdmTrainingSystem training{&system.matrix, grid, system.cell_type};
  TrainRunResult result;
  result.history = train_dcdm(network, training, source, count, options.train);
  result.parameters = network.parameter_count();
  result.vectors = count;
  save_dcdm_model(options.output, network, result.history, grid, options.provenance);
  return result;
}

}  // namespace anneal::physics::poisson
