// anneal demo: a small end-to-end run of every module that exists, each written to HDF5 + XDMF
// (ParaView) + a PNG slice, the same on one rank or many (one file):
//  1. the 3-D Taylor–Green vortex, its vorticity by finite differences checked against the exact one;
//  2. the flow solver: a round jet into fluid at rest, whose scalar shows the turbulent/non-turbulent
//     interface (about a minute on 2 cores at the default 32 × 32 × 64 cells);
//  3. Lagrangian PINNs: convection at β = 30, where an ordinary PINN fails and an lpinn does not
//     (under a minute on 2 cores);
//  4. turbulent interfaces: a planar jet from the flow solver, its turbulent/non-turbulent interface
//     found by k-means of the scalar, and FTLE and momentum barriers conditioned on the distance to
//     it (`anneal tnti`; about half a minute);
//  5. convergent graph solvers: pore networks with exact pressures, a CGS and the message-passing
//     baseline trained on 50–150-pore networks and scored on larger ones (about 10 s).
#include <cmath>
#include <filesystem>

#include "apps/command.hpp"
#include "apps/python_render.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "core/timer.hpp"
#include "io/grid_output.hpp"
#include "io/atomic_output.hpp"
#include "physics/flow/flow_run.hpp"
#include "physics/flow/taylor_green.hpp"
#include "physics/flow/vorticity.hpp"
#include "physics/graph/cgs_run.hpp"
#include "physics/graph/generate_run.hpp"
#include "physics/lpinn/lpinn_run.hpp"
#include "physics/poisson/poisson_solve_run.hpp"
#include "physics/turbulence/turbulence_run.hpp"

namespace anneal::apps {
namespace {

// The DCDM network the project trained and ships (data/poisson/README.md says how); ANNEAL_DATA_DIR
// in the environment points elsewhere.
std::string default_poisson_model() {
  const char* dir = std::getenv("ANNEAL_DATA_DIR");
  return (std::filesystem::path(dir ? dir : ANNEAL_DATA_DIR) / "poisson" / "dcdm_box32.h5").string();
}

struct DemoOptions {
  CommonOptions common;
  std::string output_dir = "anneal-demo";
  std::size_t size = 64;
  long flow_cells = 32;
  long lpinn_steps = 2000;
  long cgs_epochs = 40;
  std::string poisson_model = default_poisson_model();
  bool no_png = false;
};

// The demo's jet: data/scenes/jet_3d.toml at half the resolution (8 cells across the nozzle, Re =
// U D / ν = 2000), run to t = 6, when the jet has crossed most of the box.
constexpr const char* kDemoJet = R"(# anneal demo: a round jet into fluid at rest (rerun with `anneal flow run --config jet_3d.toml -o jet.h5`)
name = "demo_jet_3d"
seed = 11

[domain]
cells = [@N@, @N@, @2N@]
size = [2.0, 2.0, 4.0]

[boundary]
x_min = "slip"
x_max = "slip"
y_min = "slip"
y_max = "slip"
z_min = { type = "inflow", profile = "jet", speed = 1.0, diameter = 0.5, center = [1.0, 1.0], edge = 0.04, coflow = 0.02, scalar = 1.0, noise = 0.25 }
z_max = "outflow"

[fluid]
viscosity = 2.5e-4
diffusivity = 2.5e-4

[time]
end = 6.0
cfl = 0.6

[output]
interval = 1.0
precision = "f32"
pressure_systems = [@STEP@]
)";

// Every @KEY@ of a template replaced by its value.
std::string fill_template(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values)
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key)) text.replace(at, key.size(), value);
  return text;
}

// Writes the scene `text` as `<name>.toml` beside the demo's outputs (so that users can rerun it)
// and runs the flow solver on it into `<name>.h5`.
std::filesystem::path run_demo_scene(const DemoOptions& options, const CommandScope& scope, const std::string& name,
                                     const std::string& text, const std::string& what) {
  namespace flow = physics::flow;
  const std::filesystem::path dir(options.output_dir);
  io::write_text_atomically(dir / (name + ".toml"), text);
  const flow::Scene scene = flow::parse_scene(text, (dir / (name + ".toml")).string());
  io::Provenance provenance = scope.provenance({dir / (name + ".toml")});
  provenance.config_json = flow::scene_to_json(scene).dump();
  flow::RunOptions run;
  run.output = dir / (name + ".h5");
  std::string cells;
  for (int a = 0; a < scene.dim; ++a) cells += (a ? " x " : "") + std::to_string(scene.cells[static_cast<std::size_t>(a)]);
  log::info("flow: {}, {} cells, to t = {}", what, cells, scene.end_time);
  const auto summary = flow::run_flow(scene, run, provenance);
  log::info("flow: {} steps in {:.1f} s ({:.1f} {} iterations per projection, max divergence {:.1e}); wrote {}",
            summary.steps, summary.wall_seconds, summary.mean_poisson_iterations, summary.pressure_solver,
            summary.max_divergence, run.output.string());
  return run.output;
}

void run_jet(const DemoOptions& options, const CommandScope& scope) {
  // The Poisson part's system: step 3N, about t = 3.6 whatever the resolution.
  const std::string text = fill_template(kDemoJet, {{"@2N@", std::to_string(2 * options.flow_cells)},
                                                     {"@N@", std::to_string(options.flow_cells)},
                                                     {"@STEP@", std::to_string(3 * options.flow_cells)}});
  const std::filesystem::path output = run_demo_scene(options, scope, "jet_3d", text, "a round jet");
  const std::filesystem::path dir(options.output_dir);
  if (!options.no_png && mpi::rank() == 0) {
    const auto png = dir / "jet_3d_scalar_y.png";
    if (render_png(output, "scalar", png, {"--axis", "y", "--cmap", "magma", "--title", "jet scalar, mid-plane y = 1"}))
      log::info("wrote {}", png.string());
  }
}

// The demo's convection problem: data/lpinn/convection.toml with the demo's step budget, half Adam
// and half L-BFGS.
constexpr const char* kDemoConvection = R"(# anneal demo: convection at β = 30 (rerun with `anneal lpinn train --config @NAME@.toml -o out.h5`)
name = "@NAME@"
seed = 0

[problem]
equation = "convection"
domain = [0.0, 6.283185307179586]
t_end = 1.0
beta = 30.0

[model]
method = "@METHOD@"
depth = 4
width = 50

[collocation]
nx = 64
nt = 32

[optimizer]
adam_steps = @ADAM@
lbfgs_iterations = @LBFGS@

[evaluation]
every = 100
)";

// The demo's planar jet: data/scenes/jet_2d.toml at half its resolution by default (3N × 4N cells),
// written every 0.05 so that particles can be advected through it.
constexpr const char* kDemoPlanarJet = R"(# anneal demo: a planar jet for the interface analysis (rerun with `anneal flow run --config jet_2d.toml -o jet_2d.h5`)
name = "demo_jet_2d"
seed = 7

[domain]
cells = [@NX@, @NY@]
size = [1.5, 2.0]

[boundary]
x_min = "slip"
x_max = "slip"
y_min = { type = "inflow", profile = "jet", speed = 1.0, diameter = 0.1, center = [0.75], edge = 0.004, coflow = 0.02, scalar = 1.0, noise = 0.2 }
y_max = "outflow"

[fluid]
viscosity = 1e-4
diffusivity = 1e-4

[time]
end = 3.0
cfl = 0.6

[output]
interval = 0.05
)";

void run_turbulence(const DemoOptions& options, const CommandScope& scope) {
  namespace tu = physics::turbulence;
  const std::string text = fill_template(kDemoPlanarJet, {{"@NX@", std::to_string(3 * options.flow_cells)},
                                                          {"@NY@", std::to_string(4 * options.flow_cells)}});
  const std::filesystem::path flow_output = run_demo_scene(options, scope, "jet_2d", text, "a planar jet");
  const std::filesystem::path dir(options.output_dir);

  // The interfaces at t0 = 2.5, with FTLE and barriers over T = 0.2 and 0.4 both ways.
  tu::TntiOptions o;
  o.input = flow_output;
  o.output = dir / "jet_2d_tnti.h5";
  o.t0 = {2.5};
  o.T = {0.2, 0.4};
  o.ftle.flow.step = 0.005;
  const auto result = tu::run_tnti(o, scope.provenance({flow_output}));
  log::info("tnti: interfaces at scalar {:.3f} (TNTI) and {:.3f} (internal); {:.3g} particle steps/s; wrote {}",
            result.thresholds.front(), result.thresholds.back(),
            static_cast<double>(result.particle_steps) / std::max(result.advection_seconds, 1e-9), o.output.string());
  if (!options.no_png && mpi::rank() == 0) {
    const auto png = dir / "jet_2d_tnti.png";
    if (run_post({"tnti", o.output.string(), "-o", png.string()}, png)) log::info("wrote {}", png.string());
  }
}

void run_lpinn(const DemoOptions& options) {
  namespace lp = physics::lpinn;
  const std::filesystem::path dir(options.output_dir);
  for (const std::string method : {"pinn", "lpinn"}) {
    const std::string name = method + "_convection";
    const long adam = options.lpinn_steps / 2;
    const std::string text =
        fill_template(kDemoConvection, {{"@NAME@", name}, {"@METHOD@", method}, {"@ADAM@", std::to_string(adam)},
                                        {"@LBFGS@", std::to_string(options.lpinn_steps - adam)}});
    io::write_text_atomically(dir / (name + ".toml"), text);
    const lp::RunConfig config = lp::parse_run_config(text, (dir / (name + ".toml")).string(), dir);
    lp::RunOptions run;
    run.output = dir / (name + ".h5");
    run.command_line = command_line();
    run.inputs = {dir / (name + ".toml")};
    log::info("{}: convection u_t + 30 u_x = 0, {} steps", method, options.lpinn_steps);
    const auto result = lp::run_lpinn(config, run);
    log::info("{}: relative L2 error {:.2e} against the exact solution in {:.1f} s; wrote {}", method,
              result.score.rel_l2, result.summary.seconds, run.output.string());
    if (!options.no_png && mpi::rank() == 0) {
      const auto png = dir / (name + ".png");
      if (run_post({"lpinn", run.output.string(), "-o", png.string()}, png)) log::info("wrote {}", png.string());
    }
  }
}

// Pore networks (physics/graph/pore_network.hpp): train on 120 networks of 50–150 pores, score on 8
// networks of 400, for CGS and the message-passing baseline with the same budget.
void run_cgs(const DemoOptions& options, const CommandScope& scope) {
  namespace gr = physics::graph;
  const std::filesystem::path dir(options.output_dir);
  gr::GenerateOptions train_set;
  train_set.graphs = 120;
  train_set.min_nodes = 50;
  train_set.max_nodes = 150;
  train_set.seed = 1;
  gr::GenerateOptions test_set = train_set;
  test_set.graphs = 8;
  test_set.min_nodes = test_set.max_nodes = 400;
  test_set.seed = 2;
  io::Provenance provenance = scope.provenance();
  provenance.config_json.clear();  // each file records its generator's options
  gr::generate_dataset(train_set, dir / "cgs_train.h5", provenance);
  gr::generate_dataset(test_set, dir / "cgs_test.h5", provenance);
  log::info("cgs: 120 pore networks of 50-150 pores to train on, 8 of 400 to test on (exact pressures by sparse "
            "Cholesky)");
  for (const std::string kind : {"mpnn", "cgs"}) {
    gr::TrainRunOptions train;
    train.data = dir / "cgs_train.h5";
    train.output = dir / (kind + "_model.h5");
    train.model.kind = gr::parse_model_kind(kind);
    train.train.epochs = options.cgs_epochs;
    train.train.progress = false;
    train.provenance = scope.provenance({train.data});
    const auto trained = gr::run_train(train);
    gr::EvalRunOptions eval;
    eval.model = train.output;
    eval.data = dir / "cgs_test.h5";
    eval.output = dir / (kind + "_eval.h5");
    eval.provenance = scope.provenance({eval.data, eval.model});
    const auto metrics = gr::run_eval(eval);
    log::info("{}: trained {} epochs in {:.1f} s; on 400-pore networks MSE {:.2e}, MAPE {:.2e}; wrote {}", kind,
              options.cgs_epochs, trained.train.seconds, metrics.mse, metrics.mape, eval.output.string());
    if (!options.no_png && mpi::rank() == 0) {
      const auto png = dir / (kind + "_eval.png");
      if (run_post({"cgs", eval.output.string(), "-o", png.string()}, png)) log::info("wrote {}", png.string());
    }
  }
}

// The pressure Poisson system the round jet's projection solved at step 3N (32 × 32 × 64 cells at the
// default size, Neumann all round: singular, consistent), solved by DCDM with the shipped network and
// by PETSc's CG, CG + ICC and CG + GAMG, to the same relative residual.
void run_poisson(const DemoOptions& options, const CommandScope& scope) {
  namespace po = physics::poisson;
  const std::filesystem::path dir(options.output_dir);
  const auto system = dir / fmt::format("jet_3d.pressure_{}.h5", 3 * options.flow_cells);
  struct Method {
    const char* name;
    const char* ksp;
    const char* pc;
  };
  std::vector<std::string> outputs;
  // PETSc's ICC is sequential: on several ranks, block Jacobi with ILU(0) blocks (on a symmetric
  // matrix the incomplete Cholesky factors of each rank's block).
  const char* icc = mpi::size() > 1 ? "bjacobi" : "icc";
  for (const Method m : {Method{"dcdm", "dcdm", "none"}, Method{"cg", "cg", "none"}, Method{"icc", "cg", icc},
                         Method{"gamg", "cg", "gamg"}}) {
    po::SolveRunOptions solve;
    solve.system = system;
    solve.output = dir / (std::string("poisson_") + m.name + ".h5");
    solve.rtol = 1e-6;
    solve.ksp_type = m.ksp;
    solve.pc_type = m.pc;
    if (std::string(m.name) == "dcdm") solve.model = options.poisson_model;
    solve.provenance = scope.provenance(solve.model.empty() ? std::vector<std::filesystem::path>{system}
                                                            : std::vector<std::filesystem::path>{system, solve.model});
    const po::SolveRunResult r = po::run_solve(solve);
    log::info("poisson: {}: {} iterations, {} (relative residual {:.2e}), setup {:.2f} s, solve {:.2f} s; wrote {}",
              r.method, r.iterations, r.reason, r.relative_residual, r.setup_seconds, r.solve_seconds,
              solve.output.string());
    outputs.push_back(solve.output.string());
  }
  if (!options.no_png && mpi::rank() == 0) {
    const auto png = dir / "poisson.png";
    std::vector<std::string> args{"poisson"};
    args.insert(args.end(), outputs.begin(), outputs.end());
    args.insert(args.end(), {"-o", png.string()});
    if (run_post(args, png)) log::info("wrote {}", png.string());
  }
}

void run_taylor_green(const DemoOptions& options, const CommandScope& scope) {
  namespace flow = physics::flow;
  const std::size_t n = options.size;
  const double two_pi = 2 * std::acos(-1.0);
  io::RectilinearGrid grid;
  grid.x = grid.y = grid.z = io::periodic_axis(0.0, two_pi, n);
  grid.units = "m";

  const BlockRange mine = block_range(n, mpi::size(), mpi::rank());
  const auto window = flow::vorticity_input_window(n, true, mine.begin, mine.end);
  const std::size_t plane = n * n * 3;

  Stopwatch watch;
  std::vector<double> velocity(window.count * plane);
  flow::sample_taylor_green(grid, window.first, window.count, velocity);
  std::vector<double> vorticity(mine.size() * plane);
  flow::compute_vorticity(grid, {true, true, true}, window, velocity, mine.begin, mine.end, vorticity);

  // How far the 4th-order differences are from the exact vorticity (the demo checks itself).
  double error = 0, peak = 0;
  for (std::size_t k = mine.begin; k < mine.end; ++k)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i) {
        const auto exact = flow::taylor_green_vorticity(grid.x[i], grid.y[j], grid.z[k]);
        const double* w = &vorticity[(((k - mine.begin) * n + j) * n + i) * 3];
        for (int c = 0; c < 3; ++c) {
          error = std::max(error, std::abs(w[c] - exact[static_cast<std::size_t>(c)]));
          peak = std::max(peak, std::abs(exact[static_cast<std::size_t>(c)]));
        }
      }
  error = mpi::max_over_ranks(error);
  peak = mpi::max_over_ranks(peak);
  log::info("Taylor-Green {}^3: vorticity max error {:.3e} ({:.2e} of its peak) in {:.2f} s", n, error, error / peak,
            watch.seconds());

  const std::filesystem::path h5 = std::filesystem::path(options.output_dir) / "taylor_green.h5";
  io::GridOutput out(h5, grid, scope.provenance());
  // The slab of velocity this rank owns starts kVorticityHalo planes into its window.
  const std::size_t skip = static_cast<std::size_t>(static_cast<long>(mine.begin) - window.first) * plane;
  out.write_field<double>("velocity", std::span<const double>(velocity).subspan(skip, mine.size() * plane), 3,
                          mine.begin, "m/s");
  out.write_field<double>("vorticity", vorticity, 3, mine.begin, "1/s");
  const auto xmf = out.commit();
  log::info("wrote {} and {}", h5.string(), xmf.string());

  if (!options.no_png && mpi::rank() == 0) {
    const auto png = std::filesystem::path(options.output_dir) / "taylor_green_vorticity_z.png";
    if (render_png(h5, "vorticity", png, {"--component", "2", "--axis", "z", "--index", std::to_string(n / 2)}))
      log::info("wrote {}", png.string());
  }
}

}  // namespace

void register_demo(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Run a small end-to-end example of each module and show where the files are");
  cmd->add_option("-o,--output-dir", options->output_dir, "Directory for the demo's files (created if missing)")
      ->capture_default_str();
  cmd->add_option("--size", options->size, "Grid nodes per axis of the Taylor-Green field")
      ->check(CLI::Range(8, 1024))
      ->capture_default_str();
  cmd->add_option("--flow-cells", options->flow_cells,
                  "Cells across the round jet's box (x and y; twice as many along z); the planar jet has 3N x 4N")
      ->check(CLI::Range(8, 256))
      ->capture_default_str();
  cmd->add_option("--lpinn-steps", options->lpinn_steps,
                  "Training steps of the PINN and Lagrangian-PINN runs (half Adam, half L-BFGS)")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  cmd->add_option("--cgs-epochs", options->cgs_epochs, "Training epochs of the graph-solver models")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--poisson-model", options->poisson_model, "DCDM network for the Poisson part (the shipped one)")
      ->capture_default_str();
  cmd->add_flag("--no-png", options->no_png, "Skip the PNG pictures");
  add_common_options(*cmd, options->common);
  cmd->callback([options, cmd] {
    const CommandScope scope(*cmd, options->common);
    if (mpi::rank() == 0) std::filesystem::create_directories(options->output_dir);
    mpi::barrier();
    run_taylor_green(*options, scope);
    run_jet(*options, scope);
    run_lpinn(*options);
    run_turbulence(*options, scope);
    run_cgs(*options, scope);
    run_poisson(*options, scope);
    log::info("demo finished: open {0}/taylor_green.xmf or {0}/jet_3d.xmf in ParaView, the .h5 files with h5py, "
              "{0}/lpinn_convection.png beside {0}/pinn_convection.png, {0}/jet_2d_tnti.png, {0}/cgs_eval.png and {0}/poisson.png",
              options->output_dir);
  });
}

}  // namespace anneal::apps
