// anneal poisson problem | dataset | train | solve: the deep conjugate-direction method (DCDM) for
// sparse SPD Poisson systems, and PETSc's solvers on the same systems (docs/poisson.md).
#include "apps/command.hpp"
#include "apps/python_render.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "physics/poisson/poisson_run.hpp"
#include "physics/poisson/poisson_solve_run.hpp"

namespace anneal::apps {
namespace {

namespace po = physics::poisson;

struct ProblemCommandOptions {
  CommonOptions common;
  po::ProblemRunOptions run;
  std::string cells = "32", walls = "dirichlet", output;
  std::vector<std::string> spheres, boxes;
};

struct DatasetCommandOptions {
  CommonOptions common;
  po::DatasetRunOptions run;
  std::string output, basis = "f64";
  bool quiet = false;
};

struct SolveCommandOptions {
  CommonOptions common;
  po::SolveRunOptions run;
  std::string output, model, plot;
  bool no_plot = false;
};

struct TrainCommandOptions {
  CommonOptions common;
  po::TrainRunOptions run;
  std::string output, input = "residual", dtype = "f32";
  bool quiet = false;
};

// "1,2,3" -> {1, 2, 3}, exactly `count` numbers.
std::vector<double> parse_numbers(const std::string& text, std::size_t count, const char* option) {
  std::vector<double> values;
  std::size_t start = 0;
  try {
    while (start <= text.size()) {
      const std::size_t comma = std::min(text.find(',', start), text.size());
      std::size_t used = 0;
      const std::string item = text.substr(start, comma - start);
      values.push_back(std::stod(item, &used));
      ANNEAL_CHECK(used == item.size(), "trailing characters");
      start = comma + 1;
    }
  } catch (...) {
    ANNEAL_THROW("{} expects {} comma-separated numbers, got '{}'", option, count, text);
  }
  ANNEAL_CHECK(values.size() == count, "{} expects {} comma-separated numbers, got '{}'", option, count, text);
  return values;
}

std::array<long, 3> parse_cells(const std::string& text) {
  const bool cube = text.find(',') == std::string::npos;
  const auto v = parse_numbers(text, cube ? 1 : 3, "--cells");
  std::array<long, 3> cells{};
  for (std::size_t a = 0; a < 3; ++a) {
    const double c = v[cube ? 0 : a];
    ANNEAL_CHECK(c >= 1 && c == std::floor(c) && c <= 4096, "--cells: extents must be whole numbers in [1, 4096], got '{}'", text);
    cells[a] = static_cast<long>(c);
  }
  return cells;
}

solvers::Wall parse_wall(const std::string& name) {
  if (name == "dirichlet") return solvers::Wall::dirichlet;
  if (name == "neumann") return solvers::Wall::zero_flux;
  ANNEAL_THROW("--walls: unknown wall '{}' (dirichlet or neumann)", name);
}

// "dirichlet" (all six) or six names: x-,x+,y-,y+,z-,z+.
std::array<std::array<solvers::Wall, 2>, 3> parse_walls(const std::string& text) {
  if (text.find(',') == std::string::npos) return po::all_walls(parse_wall(text));
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    names.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  ANNEAL_CHECK(names.size() == 6, "--walls expects one kind or six (x-,x+,y-,y+,z-,z+), got '{}'", text);
  std::array<std::array<solvers::Wall, 2>, 3> walls{};
  for (std::size_t i = 0; i < 6; ++i) walls[i / 2][i % 2] = parse_wall(names[i]);
  return walls;
}

void run_problem(const ProblemCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  po::ProblemRunOptions options = o.run;
  options.problem.cells = parse_cells(o.cells);
  options.problem.walls = parse_walls(o.walls);
  for (const auto& s : o.spheres) {
    const auto v = parse_numbers(s, 4, "--sphere");
    options.problem.spheres.push_back(po::Sphere{{v[0], v[1], v[2]}, v[3], po::Units::unit});
  }
  for (const auto& b : o.boxes) {
    const auto v = parse_numbers(b, 6, "--box");
    options.problem.boxes.push_back(po::Box{{v[0], v[1], v[2]}, {v[3], v[4], v[5]}, po::Units::unit});
  }
  options.output = o.output;
  options.provenance = scope.provenance();
  const po::PoissonSystem s = po::run_problem(options);
  long solid = 0;
  for (auto t : s.cell_type) solid += t != 0;
  log::info("{}×{}×{} cells ({} solid), {} non-zeros{}; wrote {}", s.grid[0], s.grid[1], s.grid[2], solid,
            s.matrix.data.size(), s.null_space == po::NullSpace::constant ? ", singular (constant null space)" : "",
            o.output);
}

void run_dataset(const DatasetCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  po::DatasetRunOptions options = o.run;
  ANNEAL_CHECK(o.basis == "f32" || o.basis == "f64", "--basis must be f32 or f64, got '{}'", o.basis);
  options.dataset.basis = o.basis == "f32" ? solvers::BasisPrecision::f32 : solvers::BasisPrecision::f64;
  options.output = o.output;
  options.provenance = scope.provenance({options.system});
  std::unique_ptr<Progress> lanczos, vectors;
  if (!o.quiet) {
    options.dataset.lanczos_progress = [&](int step, int total) {
      if (!lanczos) lanczos = std::make_unique<Progress>("lanczos", total);
      lanczos->update(step);
    };
    options.dataset.vector_progress = [&](long done, long total) {
      if (!vectors) vectors = std::make_unique<Progress>("vectors", total);
      vectors->update(done);
    };
  }
  const po::RitzDatasetSummary s = po::run_dataset(options);
  if (lanczos) lanczos->finish();
  if (vectors) vectors->finish();
  log::info("{} right-hand sides from {} Ritz vectors (θ in [{:.3e}, {:.3e}], {} dropped below the cutoff{}); wrote {}",
            s.count, s.ritz_kept, s.ritz_min, s.ritz_max, s.ritz_dropped, s.breakdown ? ", Lanczos broke down early" : "",
            o.output);
}

void run_train(const TrainCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  po::TrainRunOptions options = o.run;
  ANNEAL_CHECK(o.input == "residual" || o.input == "cell-type",
               "--input must be residual (the paper) or cell-type (residual + cell-type image), got '{}'", o.input);
  options.architecture.in_channels = o.input == "residual" ? 1 : 2;
  ANNEAL_CHECK(o.dtype == "f32" || o.dtype == "f64", "--dtype must be f32 or f64, got '{}'", o.dtype);
  options.dtype = o.dtype == "f32" ? nn::DType::f32 : nn::DType::f64;
  options.train.progress = !o.quiet;
  options.output = o.output;
  options.provenance = scope.provenance({options.system, options.data});
  const po::TrainRunResult r = po::run_train(options);
  const auto& h = r.history;
  log::info("{} epochs on {} vectors in {:.1f} s: loss {:.4e}, validation {:.4e}, DCDM check {} iterations; wrote {}",
            h.epoch.size(), r.vectors, h.seconds.back(), h.train_loss.back(), h.validation_loss.back(),
            h.check_iterations.back(), o.output);
}

void run_solve(const SolveCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  po::SolveRunOptions options = o.run;
  options.output = o.output;
  options.model = o.model;
  std::vector<std::filesystem::path> sources{options.system};
  if (!options.model.empty()) sources.push_back(options.model);
  options.provenance = scope.provenance(sources);
  const po::SolveRunResult r = po::run_solve(options);
  log::info("{}: {} iterations, {} (relative residual {:.3e}){}; setup {:.3f} s, solve {:.3f} s; wrote {}", r.method,
            r.iterations, r.reason, r.relative_residual,
            r.error_vs_reference >= 0 ? fmt::format(", max error against the file's /x {:.2e}", r.error_vs_reference) : "",
            r.setup_seconds, r.solve_seconds, o.output);
  if (!o.no_plot) {
    const std::string png = o.plot.empty() ? std::filesystem::path(o.output).replace_extension(".png").string() : o.plot;
    if (run_post({"poisson", o.output, "-o", png}, png)) log::info("wrote {}", png);
  }
  // Not converging is a result, written with converged = 0, and a failure of the command.
  ANNEAL_CHECK(r.converged, "{} did not converge: {} after {} iterations at relative residual {:.3e} (written to {} "
               "with converged = 0)", r.method, r.reason, r.iterations, r.relative_residual, o.output);
}

}  // namespace

void register_poisson(CLI::App& app) {
  CLI::App* poisson = app.add_subcommand("poisson", "Deep conjugate-direction Poisson solver (DCDM) and PETSc baselines");
  poisson->require_subcommand(1);

  auto p = std::make_shared<ProblemCommandOptions>();
  CLI::App* problem = poisson->add_subcommand("problem", "Build a 7-point Poisson system on a box of cells (HDF5)");
  problem->add_option("--cells", p->cells, "N (a cube) or NX,NY,NZ")->capture_default_str();
  problem->add_option("--walls", p->walls, "dirichlet or neumann, or six of them: x-,x+,y-,y+,z-,z+")->capture_default_str();
  problem->add_option("--sphere", p->spheres, "Solid sphere cx,cy,cz,r in units of the longest side (repeatable)");
  problem->add_option("--box", p->boxes, "Solid box x0,y0,z0,x1,y1,z1 in units of the longest side (repeatable)");
  problem->add_option("--rhs", p->run.rhs, "random (A·z, the paper's test), smooth or source")->capture_default_str();
  problem->add_option("--seed", p->run.seed, "Seed of the right-hand side")->capture_default_str();
  problem->add_option("-o,--output", p->output, "System file to write")->required();
  add_common_options(*problem, p->common);
  problem->callback([p, problem] { run_problem(*p, *problem); });

  auto d = std::make_shared<DatasetCommandOptions>();
  CLI::App* dataset = poisson->add_subcommand("dataset", "DCDM training vectors from a system's Ritz vectors (Lanczos)");
  dataset->add_option("--system", d->run.system, "System file (HDF5, on a grid)")->required()->check(CLI::ExistingFile);
  dataset->add_option("-o,--output", d->output, "Dataset file to write")->required();
  dataset->add_option("--lanczos-steps", d->run.dataset.lanczos_steps, "Lanczos steps m (memory n·m·8 bytes)")->capture_default_str();
  dataset->add_option("--vectors", d->run.dataset.count, "Right-hand sides to make")->capture_default_str();
  dataset->add_option("--seed", d->run.dataset.seed, "Seed")->capture_default_str();
  dataset->add_option("--low-weight", d->run.dataset.low_weight, "Weight of the low half of the spectrum")->capture_default_str();
  dataset->add_option("--basis", d->basis, "Precision the Lanczos basis is stored in: f64 or f32 (half the memory)")->capture_default_str();
  dataset->add_flag("--quiet", d->quiet, "No progress lines");
  add_common_options(*dataset, d->common);
  dataset->callback([d, dataset] { run_dataset(*d, *dataset); });

  auto t = std::make_shared<TrainCommandOptions>();
  CLI::App* train = poisson->add_subcommand("train", "Train a DCDM network on a dataset; writes a model file");
  train->add_option("--system", t->run.system, "The system the vectors belong to")->required()->check(CLI::ExistingFile);
  train->add_option("--data", t->run.data, "Dataset from `anneal poisson dataset`")->required()->check(CLI::ExistingFile);
  train->add_option("-o,--output", t->output, "Model file to write")->required();
  train->add_option("--input", t->input, "residual (the paper) or cell-type (+ the cell-type image, Lan et al. 2024)")->capture_default_str();
  train->add_option("--channels", t->run.architecture.channels, "Channels of every convolution")->capture_default_str();
  train->add_option("--full-units", t->run.architecture.full_units, "Residual units before pooling")->capture_default_str();
  train->add_option("--coarse-units", t->run.architecture.coarse_units, "Residual units at half resolution")->capture_default_str();
  train->add_option("--post-units", t->run.architecture.post_units, "Residual units after upsampling")->capture_default_str();
  train->add_option("--dtype", t->dtype, "f32 or f64")->capture_default_str();
  train->add_option("--epochs", t->run.train.epochs, "Epochs")->capture_default_str();
  train->add_option("--batch-size", t->run.train.batch_size, "Vectors per Adam step")->capture_default_str();
  train->add_option("--learning-rate", t->run.train.learning_rate, "Adam's rate")->capture_default_str();
  train->add_option("--schedule", t->run.train.schedule, "cosine or constant")->capture_default_str();
  train->add_option("--validation-fraction", t->run.train.validation_fraction, "Last vectors held out")->capture_default_str();
  train->add_option("--max-vectors", t->run.max_vectors, "Use only the first N vectors (0: all)")->capture_default_str();
  train->add_option("--check-rtol", t->run.train.check_rtol, "Per-epoch DCDM check's tolerance (0: no check)")->capture_default_str();
  train->add_option("--seed", t->run.init_seed, "Seed of the initial weights")->capture_default_str();
  train->add_option("--shuffle-seed", t->run.train.seed, "Seed of the batch order")->capture_default_str();
  train->add_flag("--quiet", t->quiet, "No progress lines");
  add_common_options(*train, t->common);
  train->callback([t, train] { run_train(*t, *train); });

  auto v = std::make_shared<SolveCommandOptions>();
  CLI::App* solve = poisson->add_subcommand(
      "solve", "Solve a system with DCDM (--model) or any PETSc method (options after --); writes x and the history");
  solve->add_option("--system", v->run.system, "System file (HDF5: /A, /b, optional /x, /cell_type)")->required()->check(CLI::ExistingFile);
  solve->add_option("--model", v->model, "DCDM model from `anneal poisson train` (default method then: -ksp_type dcdm)")->check(CLI::ExistingFile);
  solve->add_option("-o,--output", v->output, "Output HDF5 file (an .xmf sidecar is written beside it)")->required();
  solve->add_option("--rtol", v->run.rtol, "Relative residual ‖b − Ax‖/‖b‖ to reach (-ksp_rtol overrides)")->capture_default_str();
  solve->add_option("--max-iterations", v->run.max_iterations, "Iteration limit (-ksp_max_it overrides)")->capture_default_str();
  solve->add_option("--plot", v->plot, "PNG of the history and a slice of x (default: the output with .png)");
  solve->add_flag("--no-plot", v->no_plot, "Do not draw the PNG");
  solve->footer(
      "Without --model the method is CG + GAMG; choose another after --, e.g. `-- -ksp_type cg -pc_type icc`, "
      "`-pc_type hypre`, `-ksp_type preonly -pc_type cholesky -pc_factor_mat_solver_type mumps`, or "
      "`-ksp_type dcdm -dcdm_model model.h5`. `-ksp_monitor` prints PETSc's monitor.");
  add_common_options(*solve, v->common);
  solve->callback([v, solve] { run_solve(*v, *solve); });
}

}  // namespace anneal::apps
