// anneal flow <verb>: the incompressible flow solver (`anneal flow run --config scene.toml -o out.h5`)
// and flow-field tools (`anneal flow vorticity IN.h5 -o OUT.h5`).
#include <algorithm>

#include "apps/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "io/grid_output.hpp"
#include "io/schema.hpp"
#include "physics/flow/flow_run.hpp"
#include "physics/flow/vorticity.hpp"

namespace anneal::apps {
namespace {

struct VorticityOptions {
  CommonOptions common;
  std::string input, output, velocity = "velocity", periodic;
};

// Reads planes [window.first, window.first + window.count) of a [nz][ny][nx][3] field; on a
// periodic axis the planes outside [0, nz) wrap around.
std::vector<double> read_window(const io::H5File& file, const std::string& dataset, std::size_t nz,
                                const physics::flow::PlaneWindow& window) {
  std::vector<double> planes;
  long k = window.first;
  const long end = window.first + static_cast<long>(window.count);
  while (k < end) {
    const long wrapped = ((k % static_cast<long>(nz)) + static_cast<long>(nz)) % static_cast<long>(nz);
    const long run = std::min(end - k, static_cast<long>(nz) - wrapped);
    auto part = file.read_rows<double>(dataset, static_cast<std::size_t>(wrapped), static_cast<std::size_t>(run));
    planes.insert(planes.end(), part.data.begin(), part.data.end());
    k += run;
  }
  return planes;
}

void run_vorticity(const VorticityOptions& options, const CommandScope& scope) {
  namespace flow = physics::flow;
  const auto input = io::H5File::open_read(options.input);
  const io::RectilinearGrid grid = io::read_grid(input);
  ANNEAL_CHECK(grid.is_3d(), "'{}': vorticity needs a 3-D grid, but there is no /grid/z", options.input);
  const std::string dataset = io::field_path(options.velocity);
  io::require_dataset(input, dataset, {io::DType::f32, io::DType::f64}, grid.field_shape(3));

  flow::Periodicity periodic;
  for (char axis : options.periodic) {
    ANNEAL_CHECK(axis == 'x' || axis == 'y' || axis == 'z', "--periodic takes letters x, y, z; got '{}'",
                 options.periodic);
    (axis == 'x' ? periodic.x : axis == 'y' ? periodic.y : periodic.z) = true;
  }

  const std::size_t nz = grid.z.size();
  const BlockRange mine = block_range(nz, mpi::size(), mpi::rank());
  const auto window = flow::vorticity_input_window(nz, periodic.z, mine.begin, mine.end);
  const std::vector<double> velocity = read_window(input, dataset, nz, window);
  io::require_finite<double>(input, dataset, velocity);

  std::vector<double> vorticity(mine.size() * grid.y.size() * grid.x.size() * 3);
  flow::compute_vorticity(grid, periodic, window, velocity, mine.begin, mine.end, vorticity);

  io::GridOutput out(options.output, grid, scope.provenance({options.input}), {options.input});
  out.write_field<double>("vorticity", vorticity, 3, mine.begin, "1/s");
  const auto xmf = out.commit();
  log::info("wrote {} and {}", options.output, xmf.string());
}

struct RunCommandOptions {
  CommonOptions common;
  std::string scene, output, restart, checkpoint;
  double end_time = 0;
  long max_steps = -1;
  bool quiet = false;
};

void run_simulation(const RunCommandOptions& options, const CLI::App& command) {
  const CommandScope scope(command, options.common);
  physics::flow::Scene scene = physics::flow::read_scene(options.scene);
  if (options.end_time > 0) scene.end_time = options.end_time;
  if (options.max_steps >= 0) scene.max_steps = options.max_steps;
  const nlohmann::json scene_json = physics::flow::scene_to_json(scene);
  log::info("scene '{}' from {}:", scene.name, options.scene);
  for (const auto& [key, value] : scene_json.items()) log::info("  {} = {}", key, value.dump());

  std::vector<std::filesystem::path> inputs{options.scene};
  if (!scene.mask_file.empty()) inputs.push_back(scene.mask_file);
  if (!options.restart.empty()) inputs.push_back(options.restart);
  io::Provenance provenance = scope.provenance(inputs);
  // /meta/config: the command's options and the effective scene, defaults filled in.
  provenance.config_json = nlohmann::json{{"options", nlohmann::json::parse(provenance.config_json)}, {"scene", scene_json}}.dump();

  physics::flow::RunOptions run;
  run.output = options.output;
  run.restart = options.restart;
  run.checkpoint = options.checkpoint;
  run.progress = !options.quiet;
  const auto summary = physics::flow::run_flow(scene, run, provenance);
  log::info("flow: {} steps to t = {:.6g} ({}), {} frames, {:.1f} s, {:.1f} {} iterations per projection, max "
            "divergence {:.1e}",
            summary.steps, summary.time, summary.stop_reason, summary.frames, summary.wall_seconds,
            summary.mean_poisson_iterations, summary.pressure_solver, summary.max_divergence);
  log::info("wrote {} and {}", options.output, summary.xmf.string());
  for (const auto& path : summary.systems) log::info("wrote pressure system {}", path.string());
}

void register_run(CLI::App& flow) {
  auto options = std::make_shared<RunCommandOptions>();
  CLI::App* cmd = flow.add_subcommand("run", "Simulate a scene: incompressible Navier-Stokes on a MAC grid with a scalar");
  cmd->footer(
      "Scenes are TOML files (examples in data/scenes/, every key in docs/flow.md). PETSc options for the pressure "
      "solve go after --, e.g. `anneal flow run --config cavity.toml -o cavity.h5 -- -pc_type hypre -ksp_monitor`.");
  cmd->add_option("--config,--scene", options->scene, "Scene file (TOML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->output, "Output HDF5 time series (an .xmf sidecar is written beside it)")
      ->required();
  cmd->add_option("--restart", options->restart, "Continue from this checkpoint (written with output.checkpoint_every)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--checkpoint", options->checkpoint, "Checkpoint file (default: <output stem>.checkpoint.h5)");
  cmd->add_option("--end-time", options->end_time, "Override time.end of the scene");
  cmd->add_option("--max-steps", options->max_steps, "Override time.max_steps of the scene (0: no limit)");
  cmd->add_flag("--quiet", options->quiet, "No progress lines");
  add_common_options(*cmd, options->common, /*options_config=*/false);
  cmd->callback([options, cmd] { run_simulation(*options, *cmd); });
}

}  // namespace

void register_flow(CLI::App& app) {
  CLI::App* flow = app.add_subcommand("flow", "Incompressible flow: the solver and flow-field tools");
  flow->require_subcommand(1);
  register_run(*flow);

  auto options = std::make_shared<VorticityOptions>();
  CLI::App* cmd = flow->add_subcommand("vorticity", "Vorticity of a 3-D velocity field on a rectilinear grid");
  cmd->add_option("input", options->input, "Input HDF5 file with /grid/{x,y,z} and /fields/<velocity> [nz][ny][nx][3]")
      ->required();
  cmd->add_option("-o,--output", options->output, "Output HDF5 file (an .xmf sidecar is written beside it)")
      ->required();
  cmd->add_option("--velocity", options->velocity, "Name of the velocity field under /fields")->capture_default_str();
  cmd->add_option("--periodic", options->periodic, "Periodic axes, e.g. xyz (4th-order differences there)");
  add_common_options(*cmd, options->common);
  cmd->callback([options, cmd] {
    const CommandScope scope(*cmd, options->common);
    run_vorticity(*options, scope);
  });
}

}  // namespace anneal::apps
