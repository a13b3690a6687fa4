// `anneal ftle` and `anneal barriers`: FTLE and barrier fields for every (t0, T) case on a seed grid.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/progress.hpp"
#include "io/grid_output.hpp"
#include "physics/turbulence/barriers.hpp"
#include "physics/turbulence/turbulence_run.hpp"

namespace anneal::physics::turbulence {
namespace detail {

template <int D>
std::shared_ptr<GriddedVelocity<D>> load_velocity(const FlowFileInfo& info, double t_lo, double t_hi,
                                                  const AnalysisOptions& options, bool with_laplacian,
                                                  bool with_scalar) {
  const std::size_t margin = options.time == Interpolation::cubic ? 2 : 1;
  auto data = std::make_shared<FlowData>(read_flow_data(info, t_lo, t_hi, with_scalar, margin));
  if (options.viscosity) data->viscosity = options.viscosity;
  return std::make_shared<GriddedVelocity<D>>(data, options.space, options.time, with_laplacian);
}

io::Shape plane_offset(const SeedGrid& seeds, const BlockRange& planes) {
  if (seeds.grid.is_3d()) return {planes.begin, 0, 0};
  return {planes.begin, 0};
}

io::Shape plane_count(const SeedGrid& seeds, const BlockRange& planes) {
  if (seeds.grid.is_3d()) return {planes.size(), seeds.grid.y.size(), seeds.grid.x.size()};
  return {planes.size(), seeds.grid.x.size()};
}

template std::shared_ptr<GriddedVelocity<2>> load_velocity<2>(const FlowFileInfo&, double, double,
                                                              const AnalysisOptions&, bool, bool);
template std::shared_ptr<GriddedVelocity<3>> load_velocity<3>(const FlowFileInfo&, double, double,
                                                              const AnalysisOptions&, bool, bool);

}  // namespace detail

namespace {

struct Case {
  double t0, T;
};

std::vector<Case> cases_of(const AnalysisOptions& o) {
  ANNEAL_CHECK(!o.t0.empty(), "give at least one start time (--t0)");
  ANNEAL_CHECK(!o.T.empty(), "give at least one integration time (--T)");
  std::vector<Case> cases;
  for (const double t0 : o.t0)
    for (const double T : o.T) {
      ANNEAL_CHECK(std::isfinite(t0) && std::isfinite(T), "--t0 and --T must be finite numbers");
      ANNEAL_CHECK(T != 0, "--T must not be 0 (T > 0 integrates forward, T < 0 backward)");
      cases.push_back({t0, T});
    }
  return cases;
}

void check_frame(const AnalysisOptions& o, int d) {
  ANNEAL_CHECK(o.frame_velocity.empty() || o.frame_velocity.size() == static_cast<std::size_t>(d),
               "--frame-velocity needs {} components for {}-D data, got {}", d, d, o.frame_velocity.size());
}

// Runs `compute(first, last)` over a rank's seeds in pieces, so that long runs show progress.
template <class Compute>
void in_pieces(std::size_t n, Progress& progress, std::int64_t& done, Compute compute) {
  const std::size_t piece = std::max<std::size_t>(4096, n / 20 + 1);
  for (std::size_t first = 0; first < n; first += piece) {
    const std::size_t last = std::min(n, first + piece);
    compute(first, last);
    done += static_cast<std::int64_t>(last - first);
    progress.update(done);
  }
}

std::vector<double> case_column(const std::vector<Case>& cases, bool start) {
  std::vector<double> out;
  for (const Case& c : cases) out.push_back(start ? c.t0 : c.T);
  return out;
}

void write_common_attributes(io::GridOutput& out, const AnalysisOptions& o, const std::vector<Case>& cases,
                             const AnalysisSummary& s) {
  io::H5File& f = out.file();
  f.write<double>("/cases/t0", case_column(cases, true), {cases.size()});
  f.write<double>("/cases/T", case_column(cases, false), {cases.size()});
  f.set_attribute("/grid/t", "units", std::string("case index (see /cases/t0 and /cases/T)"));
  f.set_attribute("/", "gradient", to_string(o.ftle.method));
  f.set_attribute("/", "integrator", to_string(o.ftle.flow.integrator));
  f.set_attribute("/", "interpolation_space", to_string(o.space));
  f.set_attribute("/", "interpolation_time", to_string(o.time));
  if (!o.frame_velocity.empty()) {
    f.set_attribute("/", "frame_velocity", o.frame_velocity);
    f.set_attribute("/", "frame_time", o.frame_time);
  }
  f.set_attribute("/", "particle_steps", static_cast<std::int64_t>(s.particle_steps));
  f.set_attribute("/", "advection_seconds", s.advection_seconds);
  f.set_attribute("/", "failed_seeds", static_cast<std::int64_t>(s.failed));
}

}  // namespace

namespace detail {

void reduce_over_ranks(AnalysisSummary& s) {
  s.particle_steps = static_cast<long>(mpi::sum_over_ranks(static_cast<double>(s.particle_steps)));
  s.advection_seconds = mpi::max_over_ranks(s.advection_seconds);
  s.failed = static_cast<std::size_t>(mpi::sum_over_ranks(static_cast<double>(s.failed)));
  s.ill_conditioned = static_cast<std::size_t>(mpi::sum_over_ranks(static_cast<double>(s.ill_conditioned)));
}

Progress analysis_progress(const std::string& label, std::size_t total, bool live) {
  Progress::Options options;
  options.live = live ? -1 : 0;
  return Progress(label, static_cast<std::int64_t>(total), options);
}

}  // namespace detail

namespace {

void warn_about(const AnalysisSummary& s, std::size_t total) {
  if (s.failed > 0)
    log::warn("{} of {} seed results are NaN: their particles left the data, entered masked data or stalled "
              "(see /fields/particle_status)",
              s.failed, total);
  if (s.ill_conditioned > 0)
    log::warn("finite differences are ill-conditioned at {} of {} seeds: δ·σ_max exceeds the data spacing, so "
              "the auxiliary particles no longer see a linear map; use --gradient variational or a smaller "
              "--fd-delta",
              s.ill_conditioned, total);
}

template <int D>
AnalysisSummary ftle_impl(const FlowFileInfo& info, const AnalysisOptions& o, const io::Provenance& provenance) {
  check_frame(o, D);
  const std::vector<Case> cases = cases_of(o);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Case& c : cases) lo = std::min({lo, c.t0, c.t0 + c.T}), hi = std::max({hi, c.t0, c.t0 + c.T});
  check_time_window(info, lo, hi, "--t0/--T");
  const auto field = detail::load_velocity<D>(info, lo, hi, o, false);
  const SeedGrid seeds = make_seed_grid(info, o.seeds);
  const BlockRange planes = local_planes(seeds);
  log::info("ftle: {} seeds ({} gradient), {} case(s), {}", seeds.size(), to_string(o.ftle.method), cases.size(),
            field->describe());

  io::GridOutput out(o.output, seeds.grid, provenance, {o.input});
  out.add_series_field("ftle", io::DType::f64, 1, "1/time");
  out.add_series_field("particle_status", io::DType::u8, 1, "0 ok, 1 left the domain, 2 masked data, 3 stalled");
  Progress progress = detail::analysis_progress("ftle", cases.size() * planes.size() * seeds.plane_size(), o.progress);
  std::int64_t done = 0;
  AnalysisSummary summary;
  summary.frame_velocity = o.frame_velocity;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto positions = local_seed_positions<D>(seeds, planes, o.frame_velocity, cases[c].t0 - o.frame_time);
    std::vector<double> ftle(positions.size());
    std::vector<std::uint8_t> status(positions.size());
    in_pieces(positions.size(), progress, done, [&](std::size_t first, std::size_t last) {
      const auto r = compute_ftle<D>(*field, std::span(positions).subspan(first, last - first), cases[c].t0,
                                     cases[c].T, o.ftle, min_spacing(seeds.grid));
      std::copy(r.ftle.begin(), r.ftle.end(), ftle.begin() + static_cast<std::ptrdiff_t>(first));
      std::copy(r.status.begin(), r.status.end(), status.begin() + static_cast<std::ptrdiff_t>(first));
      summary.particle_steps += r.particle_steps;
      summary.advection_seconds += r.advection_seconds;
      summary.ill_conditioned += r.ill_conditioned;
    });
    summary.failed += static_cast<std::size_t>(std::count_if(ftle.begin(), ftle.end(), [](double v) { return std::isnan(v); }));
    out.begin_frame(static_cast<double>(c));
    out.write_frame_block<double>("ftle", ftle, detail::plane_offset(seeds, planes), detail::plane_count(seeds, planes));
    out.write_frame_block<std::uint8_t>("particle_status", status, detail::plane_offset(seeds, planes),
                                        detail::plane_count(seeds, planes));
  }
  progress.finish();
  detail::reduce_over_ranks(summary);
  summary.seeds = seeds.size();
  write_common_attributes(out, o, cases, summary);
  if (o.ftle.method == GradientMethod::finite_differences) {
    const double delta = o.ftle.fd_delta > 0 ? o.ftle.fd_delta : 0.01 * min_spacing(seeds.grid);
    out.file().set_attribute("/", "fd_delta", delta);
    out.file().set_attribute("/", "ill_conditioned_seeds", static_cast<std::int64_t>(summary.ill_conditioned));
  }
  warn_about(summary, seeds.size() * cases.size());
  summary.xmf = out.commit();
  return summary;
}

template <int D>
AnalysisSummary barriers_impl(const FlowFileInfo& info, const AnalysisOptions& o, const io::Provenance& provenance) {
  check_frame(o, D);
  const std::vector<Case> cases = cases_of(o);
  const std::optional<double> nu = o.viscosity ? o.viscosity : info.viscosity;
  ANNEAL_CHECK(nu.has_value(), "'{}' has no attribute 'viscosity'; give it with --viscosity", info.path.string());
  ANNEAL_CHECK(*nu > 0, "barrier fields need a viscosity > 0 (got {})", *nu);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Case& c : cases) lo = std::min({lo, c.t0, c.t0 + c.T}), hi = std::max({hi, c.t0, c.t0 + c.T});
  check_time_window(info, lo, hi, "--t0/--T");
  const auto field = detail::load_velocity<D>(info, lo, hi, o, /*with_laplacian=*/true);
  const SeedGrid seeds = make_seed_grid(info, o.seeds);
  const BlockRange planes = local_planes(seeds);
  log::info("barriers: {} seeds, {} case(s), ν = {}, {}", seeds.size(), cases.size(), *nu, field->describe());

  io::GridOutput out(o.output, seeds.grid, provenance, {o.input});
  out.add_series_field("barrier", io::DType::f64, D, "length/time^2 (ν/T ∫ det∇F ∇F⁻¹ Δv dt)");
  out.add_series_field("barrier_strength", io::DType::f64, 1, "length/time^2");
  out.add_series_field("active_ftle", io::DType::f64, 1, "1/time (FTLE of x' = b/ν)");
  if (D == 2) out.add_series_field("vorticity_mean", io::DType::f64, 1, "1/time (trajectory-averaged vorticity)");
  out.add_series_field("particle_status", io::DType::u8, 1, "0 ok, 1 left the domain, 2 masked data, 3 stalled");
  Progress progress =
      detail::analysis_progress("barriers", cases.size() * planes.size() * seeds.plane_size(), o.progress);
  std::int64_t done = 0;
  AnalysisSummary summary;
  summary.frame_velocity = o.frame_velocity;
  const std::size_t first_seed = planes.begin * seeds.plane_size();
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto positions = local_seed_positions<D>(seeds, planes, o.frame_velocity, cases[c].t0 - o.frame_time);
    // The whole barrier field on every rank: the active FTLE advects through all of it.
    std::vector<double> b(seeds.size() * D, 0.0);
    std::vector<double> strength(positions.size()), vorticity(positions.size());
    std::vector<std::uint8_t> status(positions.size());
    in_pieces(positions.size(), progress, done, [&](std::size_t first, std::size_t last) {
      const auto r = barrier_field<D>(*field, std::span(positions).subspan(first, last - first), cases[c].t0,
                                      cases[c].T, *nu, o.ftle.flow);
      for (std::size_t p = first; p < last; ++p) {
        for (int i = 0; i < D; ++i) b[(first_seed + p) * D + static_cast<std::size_t>(i)] = r.barrier[p - first][static_cast<std::size_t>(i)];
        strength[p] = r.strength[p - first];
        status[p] = r.status[p - first];
        if constexpr (D == 2) vorticity[p] = r.mean_vorticity[p - first];
      }
      summary.particle_steps += r.particle_steps;
      summary.advection_seconds += r.advection_seconds;
    });
    summary.failed += static_cast<std::size_t>(std::count_if(strength.begin(), strength.end(), [](double v) { return std::isnan(v); }));
    mpi::sum_over_ranks(std::span<double>(b));
    std::vector<Vec<D>> barrier(seeds.size());
    for (std::size_t p = 0; p < seeds.size(); ++p)
      for (int i = 0; i < D; ++i) barrier[p][static_cast<std::size_t>(i)] = b[p * D + static_cast<std::size_t>(i)];
    // Active FTLE: each rank advects its own seeds through the whole field.
    FtleOptions active_options = o.ftle;
    const double S = o.active_time > 0 ? o.active_time : std::abs(cases[c].T);
    const auto active = active_ftle<D>(seeds.grid, seeds.periodic, barrier, *nu, S, Interpolation::cubic,
                                       active_options, first_seed, positions.size());
    const std::vector<double>& active_local = active.ftle;
    const std::span<const double> b_local(b.data() + first_seed * D, positions.size() * D);
    out.begin_frame(static_cast<double>(c));
    const io::Shape offset = detail::plane_offset(seeds, planes), count = detail::plane_count(seeds, planes);
    out.write_frame_block<double>("barrier", b_local, offset, count);
    out.write_frame_block<double>("barrier_strength", strength, offset, count);
    out.write_frame_block<double>("active_ftle", active_local, offset, count);
    if (D == 2) out.write_frame_block<double>("vorticity_mean", vorticity, offset, count);
    out.write_frame_block<std::uint8_t>("particle_status", status, offset, count);
  }
  progress.finish();
  detail::reduce_over_ranks(summary);
  summary.seeds = seeds.size();
  write_common_attributes(out, o, cases, summary);
  out.file().set_attribute("/", "viscosity", *nu);
  out.file().set_attribute("/", "active_time", o.active_time);
  warn_about(summary, seeds.size() * cases.size());
  summary.xmf = out.commit();
  return summary;
}

}  // namespace

AnalysisSummary run_ftle(const AnalysisOptions& options, const io::Provenance& provenance) {
  const FlowFileInfo info = inspect_flow_file(options.input);
  return info.dimensions() == 2 ? ftle_impl<2>(info, options, provenance) : ftle_impl<3>(info, options, provenance);
}

AnalysisSummary run_barriers(const AnalysisOptions& options, const io::Provenance& provenance) {
  const FlowFileInfo info = inspect_flow_file(options.input);
  return info.dimensions() == 2 ? barriers_impl<2>(info, options, provenance)
                                : barriers_impl<3>(info, options, provenance);
}

}  // namespace anneal::physics::turbulence
