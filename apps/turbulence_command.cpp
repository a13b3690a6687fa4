// anneal ftle | barriers | tnti: Lagrangian coherent structures and turbulent/non-turbulent
// interfaces of a velocity (+ scalar) time series (docs/turbulence.md).
#include <fmt/ranges.h>

#include "apps/command.hpp"
#include "apps/python_render.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "physics/turbulence/turbulence_run.hpp"

namespace anneal::apps {
namespace {

namespace tu = physics::turbulence;

struct TurbulenceCommandOptions {
  CommonOptions common;
  tu::TntiOptions run;
  std::string input, output, seeds, gradient = "fd", integrator = "rk4", space = "linear", time = "linear",
                                    kmeans = "exact", plot, frame;
  double step = 0, viscosity = -1;
  bool no_plot = false, quiet = false, all_pieces = false;
  double integral_time = 0;
};

template <class E>
E choose(const std::string& option, const std::string& value, std::initializer_list<std::pair<const char*, E>> choices) {
  std::string names;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  ANNEAL_THROW("{} must be one of {}, got '{}'", option, names, value);
}

std::vector<std::size_t> parse_counts(const std::string& text) {
  std::vector<std::size_t> counts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t x = text.find('x', start);
    const std::string part = text.substr(start, x == std::string::npos ? std::string::npos : x - start);
    try {
      std::size_t used = 0;
      const long n = std::stol(part, &used);
      ANNEAL_CHECK(used == part.size() && n >= 2, "bad");
      counts.push_back(static_cast<std::size_t>(n));
    } catch (...) {
      ANNEAL_THROW("--seeds expects counts like 256x128 or 64x64x64 (each at least 2), got '{}'", text);
    }
    if (x == std::string::npos) break;
    start = x + 1;
  }
  return counts;
}

// Turns the command-line strings into the run's options.
tu::TntiOptions resolve(const TurbulenceCommandOptions& o) {
  tu::TntiOptions r = o.run;
  r.input = o.input;
  r.output = o.output;
  if (!o.seeds.empty()) r.seeds.counts = parse_counts(o.seeds);
  r.ftle.method = choose<tu::GradientMethod>("--gradient", o.gradient,
                                             {{"fd", tu::GradientMethod::finite_differences},
                                              {"variational", tu::GradientMethod::variational}});
  r.ftle.flow.integrator =
      choose<tu::Integrator>("--integrator", o.integrator, {{"rk4", tu::Integrator::rk4}, {"rk45", tu::Integrator::rk45}});
  ANNEAL_CHECK(o.step >= 0, "--step must be positive");
  r.ftle.flow.step = o.step;
  r.space = choose<tu::Interpolation>("--space", o.space, {{"linear", tu::Interpolation::linear}, {"cubic", tu::Interpolation::cubic}});
  r.time = choose<tu::Interpolation>("--time", o.time, {{"linear", tu::Interpolation::linear}, {"cubic", tu::Interpolation::cubic}});
  r.exact_kmeans = choose<bool>("--kmeans", o.kmeans, {{"exact", true}, {"lloyd", false}});
  if (o.viscosity >= 0) r.viscosity = o.viscosity;
  if (o.integral_time > 0) r.integral_time = o.integral_time;
  r.largest_component = !o.all_pieces;
  r.progress = !o.quiet;
  if (o.frame == "auto") {
    r.frame_auto = true;
  } else if (!o.frame.empty()) {
    for (std::size_t start = 0; start <= o.frame.size();) {
      const std::size_t comma = o.frame.find(',', start);
      try {
        r.frame_velocity.push_back(std::stod(o.frame.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
      } catch (...) {
        ANNEAL_THROW("--frame-velocity expects components like 0.1,0 (or auto for tnti), got '{}'", o.frame);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return r;
}

void report(const tu::AnalysisSummary& s, const std::string& output) {
  const double rate = s.advection_seconds > 0 ? static_cast<double>(s.particle_steps) / s.advection_seconds : 0;
  log::info("{} seeds, {} particle steps in {:.2f} s ({:.3g} steps/s); wrote {} and {}", s.seeds, s.particle_steps,
            s.advection_seconds, rate, output, s.xmf.string());
}

void plot(const TurbulenceCommandOptions& o, const std::string& kind) {
  if (o.no_plot) return;
  const std::string png =
      o.plot.empty() ? std::filesystem::path(o.output).replace_extension(".png").string() : o.plot;
  if (run_post({kind, o.output, "-o", png}, png)) log::info("wrote {}", png);
}

enum class Kind { ftle, barriers, tnti };

void run(const TurbulenceCommandOptions& o, const CLI::App& command, Kind kind) {
  const CommandScope scope(command, o.common);
  const tu::TntiOptions options = resolve(o);
  ANNEAL_CHECK(kind == Kind::tnti || !options.frame_auto, "--frame-velocity auto is available in tnti only");
  const io::Provenance provenance = scope.provenance({o.input});
  tu::AnalysisSummary summary;
  switch (kind) {
    case Kind::ftle: summary = tu::run_ftle(options, provenance); break;
    case Kind::barriers: summary = tu::run_barriers(options, provenance); break;
    case Kind::tnti: summary = tu::run_tnti(options, provenance); break;
  }
  report(summary, o.output);
  plot(o, kind == Kind::tnti ? "tnti" : "ftle");  // anneal_post ftle also draws barrier files
}

CLI::App* add_analysis(CLI::App& app, const std::string& name, const std::string& help, Kind kind) {
  auto o = std::make_shared<TurbulenceCommandOptions>();
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->footer("Input layout, outputs and a worked example: docs/turbulence.md.");
  cmd->add_option("-i,--input", o->input, "Velocity (+ scalar) time series (HDF5)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o->output, "Output HDF5 file (an .xmf sidecar is written beside it)")->required();
  auto* t0 = cmd->add_option("--t0", o->run.t0, kind == Kind::tnti ? "The instant analysed" : "Start time(s)");
  t0->required()->delimiter(',');
  cmd->add_option("--T", o->run.T,
                  kind == Kind::tnti ? "Integration time(s) > 0, run forward and backward"
                                     : "Integration time(s): > 0 forward, < 0 backward")
      ->delimiter(',');
  cmd->add_option("--gradient", o->gradient, "Flow-map gradient: fd (central differences) or variational");
  cmd->add_option("--fd-delta", o->run.ftle.fd_delta, "Finite-difference step δ (default: 1/100 of the seed spacing)");
  cmd->add_option("--integrator", o->integrator, "rk4 (fixed step) or rk45 (adaptive Dormand–Prince)");
  cmd->add_option("--step", o->step, "RK4 step, or RK45's first step (default |T|/100)");
  cmd->add_option("--rtol", o->run.ftle.flow.adaptive.rtol, "RK45 relative tolerance");
  cmd->add_option("--atol", o->run.ftle.flow.adaptive.atol, "RK45 absolute tolerance");
  cmd->add_option("--space", o->space, "Interpolation in space: linear or cubic");
  cmd->add_option("--time", o->time, "Interpolation in time: linear or cubic");
  cmd->add_option("--stride", o->run.seeds.stride, "Seeds on every stride-th data node");
  if (kind != Kind::tnti) {
    cmd->add_option("--seeds", o->seeds, "Seed grid counts, e.g. 256x128 (default: the data grid)");
    cmd->add_option("--box", o->run.seeds.box, "Seed box x0,x1,y0,y1[,z0,z1] (default: the data domain)")->delimiter(',');
    cmd->add_option("--frame-velocity", o->frame, "Analyse in a frame translating with U, e.g. 0.2,0");
    cmd->add_option("--frame-time", o->run.frame_time, "When the frame coincides with the lab frame (default 0)");
  } else {
    cmd->add_option("--frame-velocity", o->frame, "Frame velocity U (reported), or auto: the mean velocity on the TNTI");
  }
  if (kind != Kind::ftle) cmd->add_option("--viscosity", o->viscosity, "Overrides the file's viscosity attribute");
  if (kind == Kind::barriers)
    cmd->add_option("--active-time", o->run.active_time, "Pseudo-time S of the active FTLE (default |T|)");
  if (kind == Kind::tnti) {
    cmd->add_option("--clusters", o->run.clusters, "Number of scalar clusters k (default 4)");
    cmd->add_option("--kmeans", o->kmeans, "exact (1-D dynamic programming) or lloyd (k-means++ seeded)");
    cmd->add_option("--kmeans-seed", o->run.seed, "Seed of the k-means++ initialisation");
    cmd->add_flag("--all-pieces", o->all_pieces, "Keep every piece of each interface, not only the largest");
    cmd->add_option("--T-over-TL", o->run.T_over_TL, "Integration times in units of the integral time scale")
        ->delimiter(',');
    cmd->add_option("--integral-time", o->integral_time, "The integral time scale T_L (default: estimated)");
    cmd->add_option("--bins", o->run.bins, "Distance bins of the conditional averages (default 40)");
    cmd->add_option("--bin-range", o->run.bin_range, "Bins cover ±range (default: a quarter of the smallest extent)");
  }
  cmd->add_option("--plot", o->plot, "PNG of the result (default: the output with .png)");
  cmd->add_flag("--no-plot", o->no_plot, "Do not draw the PNG");
  cmd->add_flag("--quiet", o->quiet, "No progress lines");
  add_common_options(*cmd, o->common);
  cmd->callback([o, cmd, kind] { run(*o, *cmd, kind); });
  return cmd;
}

}  // namespace

void register_turbulence(CLI::App& app) {
  add_analysis(app, "ftle", "Finite-time Lyapunov exponents of a velocity time series", Kind::ftle);
  add_analysis(app, "barriers", "Barriers to diffusive momentum transport (Haller et al. 2020)", Kind::barriers);
  add_analysis(app, "tnti",
               "Turbulent/non-turbulent interfaces by k-means of the scalar, with FTLE and barriers conditioned on "
               "the distance to them",
               Kind::tnti);
}

}  // namespace anneal::apps
