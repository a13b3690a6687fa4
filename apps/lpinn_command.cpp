// anneal lpinn train: physics-informed networks (pinn) and Lagrangian PINNs (lpinn) for
// convection, convection–diffusion and Burgers (`anneal lpinn train --config run.toml -o out.h5`).
#include "apps/command.hpp"
#include "apps/python_render.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "physics/lpinn/lpinn_run.hpp"

namespace anneal::apps {
namespace {

struct TrainCommandOptions {
  CommonOptions common;
  std::string config, output, restart, checkpoint, method, dtype, plot;
  double beta = 0;
  bool beta_set = false, quiet = false, no_plot = false;
  long checkpoint_every = 0, adam_steps = -1, lbfgs_iterations = -1, seed = -1;
};

void run_train(const TrainCommandOptions& options, const CLI::App& command) {
  namespace lp = physics::lpinn;
  const CommandScope scope(command, options.common);
  lp::RunConfig config = lp::read_run_config(options.config);
  // Command-line overrides, for sweeps (bench/lpinn) without a file per case.
  if (!options.method.empty()) {
    ANNEAL_CHECK(options.method == "pinn" || options.method == "lpinn", "--method must be pinn or lpinn, got '{}'",
                 options.method);
    config.model.method = options.method == "pinn" ? lp::Method::pinn : lp::Method::lpinn;
  }
  if (options.beta_set) {
    ANNEAL_CHECK(config.problem.equation != lp::Equation::burgers, "--beta: the Burgers equation has no β");
    config.problem.beta = options.beta;
  }
  if (!options.dtype.empty()) {
    ANNEAL_CHECK(options.dtype == "f32" || options.dtype == "f64", "--dtype must be f32 or f64");
    config.model.dtype = options.dtype == "f32" ? nn::DType::f32 : nn::DType::f64;
  }
  if (options.adam_steps >= 0) config.train.optimizer.adam_steps = options.adam_steps;
  if (options.lbfgs_iterations >= 0) config.train.optimizer.lbfgs_iterations = options.lbfgs_iterations;
  if (options.seed >= 0) config.train.seed = static_cast<std::uint64_t>(options.seed);
  ANNEAL_CHECK(config.train.optimizer.adam_steps + config.train.optimizer.lbfgs_iterations > 0,
               "nothing to train: adam_steps and lbfgs_iterations are both 0");

  lp::RunOptions run;
  run.output = options.output;
  run.restart = options.restart;
  run.checkpoint = options.checkpoint;
  run.checkpoint_every = options.checkpoint_every;
  ANNEAL_CHECK(run.checkpoint_every == 0 || !run.checkpoint.empty(), "--checkpoint-every needs --checkpoint FILE");
  run.progress = !options.quiet;
  run.command_line = command_line();
  run.inputs = {options.config};
  const lp::RunResult result = lp::run_lpinn(config, run);
  log::info("{}: relative L2 error {:.3e}, max error {:.3e} after {} steps in {:.1f} s ({})",
            lp::to_string(config.model.method), result.score.rel_l2, result.score.max_error, result.summary.steps,
            result.summary.seconds, result.summary.stop);
  log::info("wrote {}", options.output);
  if (!options.no_plot) {
    const std::string png =
        options.plot.empty() ? std::filesystem::path(options.output).replace_extension(".png").string() : options.plot;
    if (run_post({"lpinn", options.output, "-o", png}, png)) log::info("wrote {}", png);
  }
}

}  // namespace

void register_lpinn(CLI::App& app) {
  CLI::App* lpinn = app.add_subcommand("lpinn", "Physics-informed networks on characteristics (Lagrangian PINNs)");
  lpinn->require_subcommand(1);
  auto options = std::make_shared<TrainCommandOptions>();
  CLI::App* cmd = lpinn->add_subcommand(
      "train", "Train a pinn or an lpinn on w_t + f(w) w_x = ν w_xx and score it against the C++ reference");
  cmd->footer("Runs are TOML files (examples in data/lpinn/, every key in docs/lpinn.md).");
  cmd->add_option("--config", options->config, "Run file (TOML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->output, "Output HDF5 file (prediction, reference, error, history)")
      ->required();
  cmd->add_option("--restart", options->restart, "Continue from this checkpoint")->check(CLI::ExistingFile);
  cmd->add_option("--checkpoint", options->checkpoint, "Write checkpoints to this file");
  cmd->add_option("--checkpoint-every", options->checkpoint_every, "Steps between checkpoints (0: at the end only)");
  cmd->add_option("--method", options->method, "Override model.method (pinn or lpinn)");
  cmd->add_option("--beta", options->beta, "Override problem.beta")->each([options](const std::string&) {
    options->beta_set = true;
  });
  cmd->add_option("--dtype", options->dtype, "Override model.dtype (f32 or f64)");
  cmd->add_option("--adam-steps", options->adam_steps, "Override optimizer.adam_steps");
  cmd->add_option("--lbfgs-iterations", options->lbfgs_iterations, "Override optimizer.lbfgs_iterations");
  cmd->add_option("--seed", options->seed, "Override the seed");
  cmd->add_option("--plot", options->plot, "PNG of the result (default: the output with .png)");
  cmd->add_flag("--no-plot", options->no_plot, "Do not draw the PNG");
  cmd->add_flag("--quiet", options->quiet, "No progress lines");
  add_common_options(*cmd, options->common, /*options_config=*/false);
  cmd->callback([options, cmd] { run_train(*options, *cmd); });
}

}  // namespace anneal::apps
