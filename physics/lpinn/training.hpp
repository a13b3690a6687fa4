#pragma once
// Training a pinn or an lpinn: collocation sampling, Adam (with an optional learning-rate
// schedule) followed by L-BFGS, the loss history, progress, checkpoints and resuming from them.
//
// Steps are counted across both phases: steps [0, adam_steps) are Adam updates, the following
// ones L-BFGS iterations, run in chunks of `lbfgs_chunk` per call so that progress, the history
// and checkpoints see them (the curvature pairs carry over between chunks). L-BFGS stops early
// once it converges (gradient or change tolerance); the reason is kept.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "io/provenance.hpp"
#include "nn/optimizer.hpp"
#include "physics/lpinn/models.hpp"

namespace anneal::physics::lpinn {

enum class Sampling { grid, random };

struct CollocationOptions {
  std::int64_t nx = 128, nt = 64;  // interior points: nx × nt on a grid, or as many drawn uniformly
  Sampling sampling = Sampling::grid;
  std::int64_t resample_every = 1;  // random sampling: fresh points every this many Adam steps
  std::int64_t initial_points = 256;  // on t = 0 (soft constraints)
  std::int64_t boundary_points = 64;  // times on each wall (soft constraints, Dirichlet domains)
};

enum class ScheduleKind { constant, cosine, step };

struct OptimizerOptions {
  std::int64_t adam_steps = 2000;
  double learning_rate = 1e-3;
  ScheduleKind schedule = ScheduleKind::constant;
  double min_learning_rate = 1e-5;  // cosine: the rate at the end of Adam
  std::int64_t decay_every = 1000;  // step: multiply by decay_rate every this many steps
  double decay_rate = 0.5;
  std::int64_t lbfgs_iterations = 1000;
  std::int64_t lbfgs_chunk = 10;
  std::int64_t lbfgs_history = 50;
  double lbfgs_tolerance_grad = 1e-12;
  double lbfgs_tolerance_change = 1e-15;
};

struct TrainOptions {
  CollocationOptions collocation;
  OptimizerOptions optimizer;
  std::uint64_t seed = 0;
  std::int64_t evaluate_every = 0;   // > 0: call the monitor (error against the reference) this often
  std::int64_t checkpoint_every = 0;  // > 0: write `checkpoint` this often (and at the end)
  std::filesystem::path checkpoint;
  bool progress = true;
};

// One row per Adam step or L-BFGS chunk.
struct History {
  std::vector<std::int64_t> step;
  std::vector<double> loss, seconds, learning_rate;
  std::vector<std::pair<std::string, std::vector<double>>> terms;  // the unweighted loss parts
  // Monitor results: at which step, after how many seconds, what error.
  std::vector<std::int64_t> monitor_step;
  std::vector<double> monitor_seconds, monitor_error;
};

struct TrainSummary {
  std::int64_t steps = 0;  // total completed (Adam steps + L-BFGS iterations)
  double seconds = 0;      // of this process's training, excluding monitor calls
  double final_loss = 0;
  std::string stop;  // why training ended: "completed", or L-BFGS's reason
};

// /history/{step, loss, seconds, learning_rate, terms/<name>, monitor_step, monitor_seconds,
// monitor_error} under `root`, and back.
void write_history(io::H5File& file, const History& history, const std::string& root = "/history");
History read_history(const io::H5File& file, const std::string& root = "/history");

class Trainer {
 public:
  using Monitor = std::function<double(const Model&)>;  // e.g. the relative L2 error
  Trainer(Model& model, TrainOptions options, io::Provenance provenance, Monitor monitor = {});
  // Continues from a checkpoint written by a trainer of the same configuration.
  void restore(const std::filesystem::path& checkpoint);
  TrainSummary run();
  const History& history() const { return history_; }
  std::int64_t total_steps() const;

 private:
  Batch draw_batch(RandomStream& rng);
  double evaluate(const Batch& batch, bool backward);  // loss (+ gradients), records terms
  void record(double loss, double learning_rate);
  void save(const nn::Optimizer& optimizer);

  Model& model_;
  TrainOptions options_;
  io::Provenance provenance_;
  Monitor monitor_;
  RandomStream rng_;
  std::int64_t step_ = 0;
  double seconds_before_ = 0;  // training time of the runs before a restore
  std::filesystem::path restored_from_;
  std::vector<std::pair<std::string, double>> last_terms_;
  History history_;
};

}  // namespace anneal::physics::lpinn
