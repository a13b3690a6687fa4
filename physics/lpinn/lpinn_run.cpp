#include "physics/lpinn/lpinn_run.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/toml_table.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"
#include "physics/lpinn/reference.hpp"

namespace anneal::physics::lpinn {
namespace {

constexpr const char* kTables = "tables: problem, model, loss, collocation, optimizer, evaluation; keys: name, seed";

template <class E>
E choose(const std::string& value, const std::vector<std::pair<const char*, E>>& options, const std::string& what) {
  std::string names;
  for (const auto& [name, e] : options) {
    if (value == name) return e;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  ANNEAL_THROW("{} = '{}' is not one of: {}", what, value, names);
}

std::int64_t count(TableReader& t, const char* key, std::int64_t fallback, std::int64_t minimum, const std::string& source) {
  const long v = t.integer(key, static_cast<long>(fallback));
  ANNEAL_CHECK(v >= minimum, "{}: {}{} must be ≥ {}, got {}", source, t.prefix(), key, minimum, v);
  return v;
}

InitialCondition read_initial(const toml::table* table, const Problem& p, const std::string& source,
                              const std::filesystem::path& base_dir, std::filesystem::path& file) {
  TableReader t(table, "problem.initial", source);
  const std::string kind = t.text("kind", "sine");
  InitialCondition ic = InitialCondition::sine(0, 1, 1, p.x_min, p.x_max);
  if (kind == "sine") {
    ic = InitialCondition::sine(t.number("offset", 0), t.number("amplitude", 1),
                                static_cast<int>(t.integer("wavenumber", 1)), p.x_min, p.x_max);
  } else if (kind == "gaussian") {
    ic = InitialCondition::gaussian(t.number("center", 0.5 * (p.x_min + p.x_max)), t.number("width", p.length() / 8),
                                    p.x_min, p.x_max);
  } else if (kind == "file") {
    const std::string path = t.text("file", "");
    ANNEAL_CHECK(!path.empty(), "{}: problem.initial.kind = 'file' needs problem.initial.file", source);
    file = std::filesystem::path(path).is_absolute() ? std::filesystem::path(path) : base_dir / path;
    ic = read_initial_condition(file, p);
  } else {
    ANNEAL_THROW("{}: problem.initial.kind = '{}' is not one of: sine, gaussian, file", source, kind);
  }
  t.finish();
  return ic;
}

}  // namespace

InitialCondition read_initial_condition(const std::filesystem::path& path, const Problem& p) {
  ANNEAL_CHECK(p.periodic, "'{}': initial data from a file needs a periodic domain (its references are spectral)",
               path.string());
  const auto file = io::H5File::open_read(path);
  const auto x_info = io::require_dataset(file, "/grid/x", {io::DType::f64, io::DType::f32}, {io::kAny});
  io::require_dataset(file, "/fields/u0", {io::DType::f64, io::DType::f32}, {x_info.shape[0]});
  const auto x = file.read<double>("/grid/x").data;
  const auto u0 = file.read<double>("/fields/u0").data;
  io::require_finite<double>(file, "/fields/u0", u0);
  const std::size_t n = x.size();
  ANNEAL_CHECK(n >= 8, "'{}': /grid/x has {} points, need at least 8", path.string(), n);
  const double h = p.length() / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double expected = p.x_min + h * static_cast<double>(i);
    ANNEAL_CHECK(std::abs(x[i] - expected) <= 1e-9 * p.length(),
                 "'{}': /grid/x[{}] = {} but the problem's periodic grid of {} points has x = {} there (x_min + i·L/n, "
                 "without the end point x_max = {})",
                 path.string(), i, x[i], n, expected, p.x_max);
  }
  return InitialCondition::samples(u0, p.x_min, p.x_max);
}

RunConfig parse_run_config(std::string_view toml_text, const std::string& source, const std::filesystem::path& base_dir) {
  const toml::table root = parse_toml(toml_text, source);
  RunConfig c;
  TableReader top(&root, "", source, kTables);
  c.name = top.text("name", "lpinn");
  c.train.seed = static_cast<std::uint64_t>(top.integer("seed", 0));
  for (const char* table : {"problem", "model", "loss", "collocation", "optimizer", "evaluation"}) top.node(table);
  top.finish();

  // ---- problem
  const toml::table* problem_table = subtable(root, "problem", source);
  ANNEAL_CHECK(problem_table != nullptr, "{}: the [problem] table is required", source);
  TableReader pt(problem_table, "problem", source);
  Problem& p = c.problem;
  try {
    p.equation = parse_equation(pt.text("equation", "convection"));
  } catch (const Error& e) {
    ANNEAL_THROW("{}: problem.equation: {}", source, e.what());
  }
  const auto domain = pt.numbers("domain", 2, 2);
  if (!domain.empty()) p.x_min = domain[0], p.x_max = domain[1];
  p.periodic = choose<bool>(pt.text("boundary", "periodic"), {{"periodic", true}, {"dirichlet", false}},
                            source + ": problem.boundary");
  p.t_end = pt.number("t_end", 1.0);
  p.beta = pt.number("beta", 1.0);
  p.nu = pt.number("nu", 0.0);
  p.u0 = read_initial(subtable(*problem_table, "initial", source), p, source, base_dir, c.initial_file);
  pt.node("initial");
  pt.finish();
  try {
    p.validate();
  } catch (const Error& e) {
    ANNEAL_THROW("{}: {}", source, e.what());
  }

  // ---- model and loss
  TableReader mt(subtable(root, "model", source), "model", source);
  ModelOptions& m = c.model;
  m.method = choose<Method>(mt.text("method", "lpinn"), {{"pinn", Method::pinn}, {"lpinn", Method::lpinn}},
                            source + ": model.method");
  m.network.depth = count(mt, "depth", 4, 1, source);
  m.network.width = count(mt, "width", 50, 1, source);
  try {
    m.network.activation = nn::parse_activation(mt.text("activation", "tanh"));
  } catch (const Error& e) {
    ANNEAL_THROW("{}: model.activation: {}", source, e.what());
  }
  m.constraints = choose<Constraints>(mt.text("constraints", "hard"),
                                      {{"soft", Constraints::soft}, {"hard", Constraints::hard}},
                                      source + ": model.constraints");
  m.diffusion = choose<DiffusionForm>(mt.text("diffusion", "physical"),
                                      {{"physical", DiffusionForm::physical}, {"released", DiffusionForm::released}},
                                      source + ": model.diffusion");
  m.speed_scale = mt.number("speed_scale", 0.0);
  ANNEAL_CHECK(m.speed_scale >= 0, "{}: model.speed_scale must be ≥ 0 (0: automatic)", source);
  m.dtype = choose<nn::DType>(mt.text("dtype", "f64"), {{"f32", nn::DType::f32}, {"f64", nn::DType::f64}},
                              source + ": model.dtype");
  mt.finish();
  TableReader lt(subtable(root, "loss", source), "loss", source);
  for (auto [key, weight] : {std::pair{"residual", &m.weights.residual}, std::pair{"characteristic", &m.weights.characteristic},
                             std::pair{"initial", &m.weights.initial}, std::pair{"boundary", &m.weights.boundary}}) {
    *weight = lt.number(key, 1.0);
    ANNEAL_CHECK(*weight >= 0, "{}: loss.{} must be ≥ 0, got {}", source, key, *weight);
  }
  lt.finish();

  // ---- training
  TableReader ct(subtable(root, "collocation", source), "collocation", source);
  auto& col = c.train.collocation;
  col.nx = count(ct, "nx", col.nx, 0, source);
  col.nt = count(ct, "nt", col.nt, 0, source);
  ANNEAL_CHECK(col.nx > 0 && col.nt > 0, "{}: zero collocation points (collocation.nx = {}, nt = {})", source, col.nx,
               col.nt);
  col.sampling = choose<Sampling>(ct.text("sampling", "grid"), {{"grid", Sampling::grid}, {"random", Sampling::random}},
                                  source + ": collocation.sampling");
  col.resample_every = count(ct, "resample_every", col.resample_every, 1, source);
  col.initial_points = count(ct, "initial_points", col.initial_points, 1, source);
  col.boundary_points = count(ct, "boundary_points", col.boundary_points, 1, source);
  ct.finish();

  TableReader ot(subtable(root, "optimizer", source), "optimizer", source);
  auto& o = c.train.optimizer;
  o.adam_steps = count(ot, "adam_steps", o.adam_steps, 0, source);
  o.learning_rate = ot.number("learning_rate", o.learning_rate);
  ANNEAL_CHECK(o.learning_rate > 0, "{}: optimizer.learning_rate must be > 0", source);
  o.schedule = choose<ScheduleKind>(ot.text("schedule", "constant"),
                                    {{"constant", ScheduleKind::constant}, {"cosine", ScheduleKind::cosine},
                                     {"step", ScheduleKind::step}},
                                    source + ": optimizer.schedule");
  o.min_learning_rate = ot.number("min_learning_rate", o.min_learning_rate);
  o.decay_every = count(ot, "decay_every", o.decay_every, 1, source);
  o.decay_rate = ot.number("decay_rate", o.decay_rate);
  o.lbfgs_iterations = count(ot, "lbfgs_iterations", o.lbfgs_iterations, 0, source);
  o.lbfgs_chunk = count(ot, "lbfgs_chunk", o.lbfgs_chunk, 1, source);
  o.lbfgs_history = count(ot, "lbfgs_history", o.lbfgs_history, 1, source);
  o.lbfgs_tolerance_grad = ot.number("lbfgs_tolerance_grad", o.lbfgs_tolerance_grad);
  o.lbfgs_tolerance_change = ot.number("lbfgs_tolerance_change", o.lbfgs_tolerance_change);
  ANNEAL_CHECK(o.adam_steps + o.lbfgs_iterations > 0, "{}: optimizer: adam_steps and lbfgs_iterations are both 0",
               source);
  ot.finish();

  TableReader et(subtable(root, "evaluation", source), "evaluation", source);
  c.eval_nx = count(et, "nx", c.eval_nx, 2, source);
  c.eval_nt = count(et, "nt", c.eval_nt, 2, source);
  c.train.evaluate_every = count(et, "every", 0, 0, source);
  et.finish();
  return c;
}

RunConfig read_run_config(const std::filesystem::path& file) {
  return parse_run_config(read_config_text(file, "run file"), file.string(), file.parent_path());
}

nlohmann::json run_config_to_json(const RunConfig& c) {
  const auto& p = c.problem;
  const auto& m = c.model;
  const auto& col = c.train.collocation;
  const auto& o = c.train.optimizer;
  const char* schedules[] = {"constant", "cosine", "step"};
  return {{"name", c.name},
          {"seed", c.train.seed},
          {"problem",
           {{"equation", to_string(p.equation)}, {"domain", {p.x_min, p.x_max}}, {"boundary", p.periodic ? "periodic" : "dirichlet"},
            {"t_end", p.t_end}, {"beta", p.beta}, {"nu", p.nu}, {"initial", p.u0.description()},
            {"initial_file", c.initial_file.string()}}},
          {"model",
           {{"method", to_string(m.method)}, {"depth", m.network.depth}, {"width", m.network.width},
            {"activation", nn::to_string(m.network.activation)}, {"constraints", to_string(m.constraints)},
            {"diffusion", to_string(m.diffusion)}, {"speed_scale", m.speed_scale},
            {"dtype", m.dtype == nn::DType::f32 ? "f32" : "f64"}}},
          {"loss",
           {{"residual", m.weights.residual}, {"characteristic", m.weights.characteristic},
            {"initial", m.weights.initial}, {"boundary", m.weights.boundary}}},
          {"collocation",
           {{"nx", col.nx}, {"nt", col.nt}, {"sampling", col.sampling == Sampling::grid ? "grid" : "random"},
            {"resample_every", col.resample_every}, {"initial_points", col.initial_points},
            {"boundary_points", col.boundary_points}}},
          {"optimizer",
           {{"adam_steps", o.adam_steps}, {"learning_rate", o.learning_rate},
            {"schedule", schedules[static_cast<int>(o.schedule)]}, {"min_learning_rate", o.min_learning_rate},
            {"decay_every", o.decay_every}, {"decay_rate", o.decay_rate}, {"lbfgs_iterations", o.lbfgs_iterations},
            {"lbfgs_chunk", o.lbfgs_chunk}, {"lbfgs_history", o.lbfgs_history},
            {"lbfgs_tolerance_grad", o.lbfgs_tolerance_grad}, {"lbfgs_tolerance_change", o.lbfgs_tolerance_change}}},
          {"evaluation", {{"nx", c.eval_nx}, {"nt", c.eval_nt}, {"every", c.train.evaluate_every}}}};
}

Score score(const std::vector<double>& u, const std::vector<double>& reference) {
  ANNEAL_CHECK(u.size() == reference.size(), "score: {} values against {} reference values", u.size(), reference.size());
  double diff = 0, norm = 0;
  Score s;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double e = u[i] - reference[i];
    diff += e * e;
    norm += reference[i] * reference[i];
    s.max_error = std::max(s.max_error, std::isfinite(e) ? std::abs(e) : INFINITY);
  }
  s.rel_l2 = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
  if (!std::isfinite(diff)) s.rel_l2 = INFINITY;
  return s;
}

std::vector<double> evaluation_x(const Problem& p, std::int64_t nx) {
  std::vector<double> x(static_cast<std::size_t>(nx));
  const double denom = static_cast<double>(p.periodic ? nx : nx - 1);
  for (std::int64_t i = 0; i < nx; ++i) x[static_cast<std::size_t>(i)] = p.x_min + p.length() * static_cast<double>(i) / denom;
  if (!p.periodic) x.back() = p.x_max;
  return x;
}

std::vector<double> evaluation_t(const Problem& p, std::int64_t nt) {
  std::vector<double> t(static_cast<std::size_t>(nt));
  for (std::int64_t i = 0; i < nt; ++i) t[static_cast<std::size_t>(i)] = p.t_end * static_cast<double>(i) / static_cast<double>(nt - 1);
  t.back() = p.t_end;
  return t;
}

RunResult run_lpinn(const RunConfig& config, const RunOptions& options) {
  ANNEAL_CHECK(!options.output.empty(), "lpinn: no output file given (--output FILE.h5)");
  std::vector<std::filesystem::path> inputs = options.inputs;
  if (!config.initial_file.empty()) inputs.push_back(config.initial_file);
  if (!options.restart.empty()) inputs.push_back(options.restart);
  // Opened (and checked) before hours of training, not after.
  io::AtomicOutput out(options.output, inputs);

  const std::vector<double> x = evaluation_x(config.problem, config.eval_nx);
  const std::vector<double> t = evaluation_t(config.problem, config.eval_nt);
  const std::vector<double> u_ref = reference_solution(config.problem, x, t);

  RandomStream init_rng(config.train.seed, 1);
  const auto model = make_model(config.problem, config.model, init_rng);
  log::info("lpinn: {} on {}; {} parameters; {} interior points", to_string(config.model.method),
            config.problem.description(), model->parameter_count(),
            config.train.collocation.nx * config.train.collocation.nt);

  io::Provenance provenance{options.command_line, run_config_to_json(config).dump(), "cpu", inputs};
  TrainOptions train = config.train;
  train.checkpoint = options.checkpoint;
  train.checkpoint_every = options.checkpoint_every;
  train.progress = options.progress;
  Trainer trainer(*model, train, provenance,
                  [&](const Model& m) { return score(m.predict(x, t).u, u_ref).rel_l2; });
  if (!options.restart.empty()) trainer.restore(options.restart);
  RunResult result;
  result.summary = trainer.run();

  const Prediction prediction = model->predict(x, t);
  result.score = score(prediction.u, u_ref);
  result.crossed_rows = prediction.crossed_rows;
  if (prediction.crossed_rows > 0)
    log::warn("lpinn: the characteristics cross at {} of {} output times (X(·, t) is not monotone): u there is "
              "taken on the first crossing",
              prediction.crossed_rows, t.size());

  {
    auto file = io::H5File::create(out.temp_path());
    const std::size_t nx = x.size(), nt = t.size();
    std::vector<double> error(u_ref.size());
    for (std::size_t i = 0; i < error.size(); ++i) error[i] = prediction.u[i] - u_ref[i];
    file.write<double>("/grid/x", x, {nx});
    file.write<double>("/grid/t", t, {nt});
    file.write<double>("/fields/u", prediction.u, {nt, nx});
    file.write<double>("/fields/u_ref", u_ref, {nt, nx});
    file.write<double>("/fields/error", error, {nt, nx});
    file.set_attribute("/fields/u", "about", std::string("prediction u(x, t), [nt][nx]"));
    file.set_attribute("/fields/u_ref", "about",
                       std::string(config.problem.equation == Equation::burgers     ? "Cole–Hopf reference"
                                   : config.problem.equation == Equation::convection ? "exact solution u0(x − βt)"
                                                                                     : "exact Fourier solution"));
    if (!prediction.labels.empty()) {
      file.write<double>("/characteristics/x0", prediction.labels, {prediction.labels.size()});
      file.write<double>("/characteristics/X", prediction.characteristics, {nt, prediction.labels.size()});
      file.set_attribute("/characteristics/X", "about",
                         std::string("X(x0_j, t_i), [nt][nc], unwrapped (periodic domains: not folded back)"));
    }
    write_history(file, trainer.history(), "/history");
    file.set_attribute("/", "rel_l2", result.score.rel_l2);
    file.set_attribute("/", "max_error", result.score.max_error);
    file.set_attribute("/", "method", to_string(config.model.method));
    file.set_attribute("/", "problem", config.problem.description());
    file.set_attribute("/", "name", config.name);
    file.set_attribute("/", "steps", result.summary.steps);
    file.set_attribute("/", "train_seconds", result.summary.seconds);
    file.set_attribute("/", "final_loss", result.summary.final_loss);
    file.set_attribute("/", "stop", result.summary.stop);
    file.set_attribute("/", "crossed_rows", prediction.crossed_rows);
    file.set_attribute("/", "viscosity", config.problem.nu);
    io::write_provenance(file, provenance);
    file.close();
  }
  out.commit();
  return result;
}

}  // namespace anneal::physics::lpinn
