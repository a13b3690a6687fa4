#pragma once
// `anneal lpinn train`: a run described by one TOML file (problem, model, loss weights,
// collocation, optimizer, evaluation), trained, scored against the C++ reference on the
// evaluation grid, and written to one HDF5 file:
//   /grid/x [nx], /grid/t [nt]                the evaluation grid
//   /fields/u, /fields/u_ref, /fields/error   [nt][nx]: prediction, reference, u − u_ref
//   /characteristics/x0 [nc], /X [nt][nc]     lpinn: where the characteristics of x₀ went
//   /history/*                                the loss history (physics/lpinn/training.hpp)
//   attributes on /: rel_l2, max_error, method, problem, steps, train_seconds, stop, ...
//   /meta                                     provenance, with the effective configuration
// The file is written atomically; a failed run leaves no file under the final name.
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "physics/lpinn/models.hpp"
#include "physics/lpinn/training.hpp"

namespace anneal::physics::lpinn {

struct RunConfig {
  std::string name = "lpinn";
  Problem problem;
  ModelOptions model;
  TrainOptions train;
  std::int64_t eval_nx = 256, eval_nt = 100;  // the evaluation grid
  std::filesystem::path initial_file;          // where u0 came from, if from HDF5
};

// Every key is checked: unknown keys, wrong types and impossible values are errors naming the
// file and the key. Relative paths resolve against `base_dir`.
RunConfig parse_run_config(std::string_view toml_text, const std::string& source, const std::filesystem::path& base_dir);
RunConfig read_run_config(const std::filesystem::path& file);
nlohmann::json run_config_to_json(const RunConfig& config);

// u0 from HDF5: /grid/x [n] (x_min + i L/n, i < n: one period without its end) and /fields/u0 [n].
InitialCondition read_initial_condition(const std::filesystem::path& file, const Problem& problem);

struct Score {
  double rel_l2 = 0;     // ‖u − u_ref‖₂ / ‖u_ref‖₂ over the grid
  double max_error = 0;  // max |u − u_ref|
};
Score score(const std::vector<double>& u, const std::vector<double>& reference);

// The evaluation grid: x_min + i L/nx on a periodic domain (no repeated end), linspace otherwise;
// t = linspace(0, t_end, nt).
std::vector<double> evaluation_x(const Problem& problem, std::int64_t nx);
std::vector<double> evaluation_t(const Problem& problem, std::int64_t nt);

struct RunOptions {
  std::filesystem::path output;
  std::filesystem::path restart;     // a checkpoint to continue from
  std::filesystem::path checkpoint;  // where to write checkpoints (default: none)
  std::int64_t checkpoint_every = 0;
  bool progress = true;
  std::string command_line;
  std::vector<std::filesystem::path> inputs;  // the config file, for provenance and overwrite checks
};

struct RunResult {
  Score score;
  TrainSummary summary;
  std::int64_t crossed_rows = 0;
};

RunResult run_lpinn(const RunConfig& config, const RunOptions& options);

}  // namespace anneal::physics::lpinn
