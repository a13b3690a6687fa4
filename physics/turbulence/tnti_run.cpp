// `anneal tnti`: the analysis of Khojasteh, van Dalen, Been, Westerweel & van de Water (Phys. Rev.
// Fluids 10, 064605, 2025) at one instant t0 — cluster the scalar into k groups (ambient → core),
// take the turbulent/non-turbulent interface (between the first two clusters) and the internal
// interface (between the last two) as level sets of the scalar, and average forward and backward
// FTLE, barrier strength, vorticity and the scalar against the signed distance to each interface,
// for several integration times in units of the integral time scale.
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/progress.hpp"
#include "io/atomic_output.hpp"
#include "io/grid_output.hpp"
#include "io/xdmf.hpp"
#include "physics/turbulence/barriers.hpp"
#include "physics/turbulence/conditional.hpp"
#include "physics/turbulence/interfaces.hpp"
#include "physics/turbulence/turbulence_run.hpp"
#include "solvers/clustering/kmeans.hpp"

namespace anneal::physics::turbulence {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// A node field of the data at t0, linear in time between the bracketing frames; NaN where masked.
struct Snapshot {
  std::vector<double> scalar;
  std::vector<std::uint8_t> valid;
};

Snapshot snapshot_at(const FlowFileInfo& info, double t0) {
  const FlowData data = read_flow_data(info, t0, t0, /*with_scalar=*/true, 0);
  const std::size_t nodes = data.nodes();
  std::size_t f = 0;
  while (f + 2 < data.times.size() && data.times[f + 1] < t0) ++f;
  const double w = data.times.size() < 2 ? 0.0
                                         : std::clamp((t0 - data.times[f]) / (data.times[f + 1] - data.times[f]), 0.0, 1.0);
  const std::size_t g = std::min(f + 1, data.times.size() - 1);
  Snapshot s;
  s.scalar.resize(nodes);
  s.valid.resize(nodes);
  for (std::size_t n = 0; n < nodes; ++n) {
    const bool ok = !data.masked(f, n) && !data.masked(g, n);
    s.valid[n] = ok ? 1 : 0;
    s.scalar[n] = ok ? (1 - w) * data.scalar[f * nodes + n] + w * data.scalar[g * nodes + n] : nan;
  }
  return s;
}

// The values of a data-grid node field at the seed grid (every stride-th node).
template <class T>
std::vector<T> subsample(const std::vector<T>& field, const FlowFileInfo& info, std::size_t stride) {
  if (stride == 1) return field;
  const std::size_t nx = info.grid.x.size(), ny = info.grid.y.size(), nz = info.grid.is_3d() ? info.grid.z.size() : 1;
  std::vector<T> out;
  for (std::size_t k = 0; k < nz; k += (info.grid.is_3d() ? stride : 1))
    for (std::size_t j = 0; j < ny; j += stride)
      for (std::size_t i = 0; i < nx; i += stride) out.push_back(field[(k * ny + j) * nx + i]);
  return out;
}

struct Interface {
  std::string name;
  double level = 0;
  InterfaceMesh mesh;
  std::vector<double> distance;  // per seed, full grid
};

// Sums a per-rank conditional average over ranks.
ConditionalAverage combine_over_ranks(const ConditionalAverage& local) {
  std::vector<double> sums(local.mean.size() * 2);
  for (std::size_t b = 0; b < local.mean.size(); ++b) {
    sums[2 * b] = local.count[b] > 0 ? local.mean[b] * static_cast<double>(local.count[b]) : 0.0;
    sums[2 * b + 1] = static_cast<double>(local.count[b]);
  }
  mpi::sum_over_ranks(std::span<double>(sums));
  ConditionalAverage out;
  for (std::size_t b = 0; b < local.mean.size(); ++b) {
    out.count.push_back(static_cast<std::int64_t>(sums[2 * b + 1]));
    out.mean.push_back(out.count.back() > 0 ? sums[2 * b] / sums[2 * b + 1] : nan);
  }
  return out;
}

template <int D>
AnalysisSummary tnti_impl(const FlowFileInfo& info, const TntiOptions& o, const io::Provenance& provenance) {
  ANNEAL_CHECK(o.t0.size() == 1, "tnti analyses one instant: give one --t0 (got {})", o.t0.size());
  ANNEAL_CHECK(o.seeds.counts.empty() && o.seeds.box.empty(),
               "tnti works on the data grid (the scalar is clustered there); use --stride to thin it");
  ANNEAL_CHECK(o.clusters >= 2, "--clusters must be at least 2 (got {})", o.clusters);
  ANNEAL_CHECK(info.has_scalar, "'{}' has no /fields/scalar, which tnti clusters to find the interfaces",
               info.path.string());
  ANNEAL_CHECK(o.frame_velocity.empty() || o.frame_velocity.size() == static_cast<std::size_t>(D),
               "--frame-velocity needs {} components", D);
  const double t0 = o.t0.front();
  check_time_window(info, t0, t0, "--t0");

  // 1. Clusters of the scalar at t0 and the interfaces between them.
  const Snapshot full = snapshot_at(info, t0);
  const SeedGrid seeds = make_seed_grid(info, o.seeds);
  const std::vector<double> scalar = subsample(full.scalar, info, o.seeds.stride);
  const std::vector<std::uint8_t> valid = subsample(full.valid, info, o.seeds.stride);
  std::vector<double> samples;
  for (std::size_t n = 0; n < scalar.size(); ++n)
    if (valid[n]) samples.push_back(scalar[n]);
  solvers::KMeansOptions kopts;
  kopts.k = o.clusters;
  kopts.seed = o.seed;
  const solvers::KMeansResult clusters =
      o.exact_kmeans ? solvers::kmeans_1d_exact(samples, o.clusters) : solvers::kmeans(samples, 1, kopts);
  const std::vector<double> thresholds = solvers::midpoint_thresholds(clusters);
  std::vector<std::uint8_t> label(scalar.size(), 255);
  for (std::size_t n = 0, s = 0; n < scalar.size(); ++n)
    if (valid[n]) label[n] = static_cast<std::uint8_t>(clusters.labels[s++]);

  double extent = std::numeric_limits<double>::infinity();
  for (const auto* axis : {&seeds.grid.x, &seeds.grid.y, &seeds.grid.z})
    if (!axis->empty()) extent = std::min(extent, axis->back() - axis->front());
  DistanceBins bins;
  bins.count = o.bins;
  bins.hi = o.bin_range > 0 ? o.bin_range : 0.25 * extent;
  bins.lo = -bins.hi;
  // In 3-D the exact distance far from a large surface is costly: it is needed only within the bins.
  const double band = D == 3 ? 1.5 * bins.hi : std::numeric_limits<double>::infinity();
  std::vector<Interface> interfaces = {{"tnti", thresholds.front(), {}, {}}};
  if (o.clusters >= 3) interfaces.push_back({"internal", thresholds.back(), {}, {}});
  for (Interface& i : interfaces) {
    i.mesh = extract_level_set(seeds.grid, scalar, i.level, valid);
    if (o.largest_component) i.mesh = largest_component(i.mesh);
    ANNEAL_CHECK(i.mesh.element_count() > 0, "the {} level set (scalar = {}) is empty at t0 = {}", i.name, i.level, t0);
    i.distance = signed_distance(seeds.grid, scalar, i.level, i.mesh, valid, band);
  }
  log::info("tnti: {} clusters, centroids {:.4g}, interfaces at scalar {:.4g} ({} and {} elements)", o.clusters,
            fmt::join(clusters.centroids, ", "), fmt::join(thresholds, ", "), interfaces.front().mesh.element_count(),
            interfaces.back().mesh.element_count());

  // 2. Integration times, in units of the integral time scale when asked.
  AnalysisSummary summary;
  double TL = o.integral_time.value_or(0);
  if (!o.integral_time && !o.T_over_TL.empty()) {
    FlowData all = read_flow_data(info, info.times.front(), info.times.back(), false, 0);
    std::vector<std::uint8_t> turbulent(full.scalar.size());
    for (std::size_t n = 0; n < turbulent.size(); ++n)
      turbulent[n] = full.valid[n] && full.scalar[n] > thresholds.front() ? 1 : 0;
    TL = integral_time_scale(all, turbulent);
    log::info("tnti: integral time scale T_L = {:.4g} (from the velocity autocorrelation in the turbulent region)", TL);
  }
  std::vector<double> Ts = o.T;
  for (const double r : o.T_over_TL) Ts.push_back(r * TL);
  ANNEAL_CHECK(!Ts.empty(), "give integration times with --T or --T-over-TL");
  std::sort(Ts.begin(), Ts.end());
  for (const double T : Ts) ANNEAL_CHECK(T > 0, "tnti integration times must be positive (both directions are run), got {}", T);
  summary.integral_time_scale = TL;
  check_time_window(info, t0 - Ts.back(), t0 + Ts.back(), "--T (forward and backward from t0)");

  const std::optional<double> nu = o.viscosity ? o.viscosity : info.viscosity;
  const bool barriers = nu.has_value() && *nu > 0;
  if (!barriers) log::warn("tnti: no viscosity (attribute or --viscosity): barrier strength is not computed");
  // One read of the frames both the flow maps and the vorticity at t0 use.
  const auto field = detail::load_velocity<D>(info, t0 - Ts.back(), t0 + Ts.back(), o, barriers);

  // 3. The frame: given, or the mean fluid velocity on the TNTI. At one instant nothing computed
  //    here depends on it (FTLE and barriers are invariant under a uniform translation): it is reported.
  summary.frame_velocity = o.frame_velocity;
  if (o.frame_auto) {
    Vec<D> sum{};
    std::size_t used = 0;
    const InterfaceMesh& m = interfaces.front().mesh;
    for (std::size_t p = 0; p < m.point_count(); ++p) {
      Vec<D> x, v;
      for (int a = 0; a < D; ++a) x[a] = m.points[p * D + static_cast<std::size_t>(a)];
      if (field->velocity(x, t0, v) != particle_ok) continue;
      for (int a = 0; a < D; ++a) sum[a] += v[a];
      ++used;
    }
    ANNEAL_CHECK(used > 0, "--frame-velocity auto: no TNTI point has valid velocity");
    summary.frame_velocity.assign(sum.begin(), sum.end());
    for (double& u : summary.frame_velocity) u /= static_cast<double>(used);
    log::info("tnti: frame velocity (mean on the TNTI) ({})", fmt::join(summary.frame_velocity, ", "));
  }

  // 4. Vorticity at t0 (|ω| in 3-D), from the cubic interpolant's derivatives at the nodes.
  const BlockRange planes = local_planes(seeds);
  const std::vector<Vec<D>> positions = local_seed_positions<D>(seeds, planes, {}, 0.0);
  const std::size_t first = planes.begin * seeds.plane_size(), n_local = positions.size();
  const GriddedVelocity<D> smooth(field->data(), Interpolation::cubic, Interpolation::linear);
  std::vector<double> vorticity(n_local, nan);
  for (std::size_t p = 0; p < n_local; ++p) {
    Vec<D> v;
    Mat<D> g;
    if (!valid[first + p] || smooth.gradient(positions[p], t0, v, g) != particle_ok) continue;
    if constexpr (D == 2) {
      vorticity[p] = vorticity_2d(g);
    } else {
      const Vec<3> w = vorticity_3d(g);
      vorticity[p] = std::sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]);
    }
  }

  // 5. FTLE both ways and barrier strength for every T.
  io::GridOutput out(o.output, seeds.grid, provenance, {o.input});
  out.add_static_field("scalar", io::DType::f64, 1, "1");
  out.add_static_field("cluster", io::DType::u8, 1, "0 ambient … k−1 core; 255 masked");
  out.add_static_field("vorticity", io::DType::f64, 1, D == 2 ? "1/time (ω_z)" : "1/time (|ω|)");
  for (const Interface& i : interfaces) out.add_static_field("distance_" + i.name, io::DType::f64, 1, "length (+ turbulent side)");
  out.add_series_field("ftle_forward", io::DType::f64, 1, "1/time");
  out.add_series_field("ftle_backward", io::DType::f64, 1, "1/time");
  if (barriers) out.add_series_field("barrier_strength", io::DType::f64, 1, "length/time^2");
  const io::Shape offset = detail::plane_offset(seeds, planes), count = detail::plane_count(seeds, planes);
  auto local = [&](const std::vector<double>& f) {
    return std::vector<double>(f.begin() + static_cast<std::ptrdiff_t>(first),
                               f.begin() + static_cast<std::ptrdiff_t>(first + n_local));
  };
  out.write_static_block<double>("scalar", local(scalar), offset, count);
  out.write_static_block<std::uint8_t>(
      "cluster", std::vector<std::uint8_t>(label.begin() + static_cast<std::ptrdiff_t>(first),
                                           label.begin() + static_cast<std::ptrdiff_t>(first + n_local)),
      offset, count);
  out.write_static_block<double>("vorticity", vorticity, offset, count);
  for (const Interface& i : interfaces) out.write_static_block<double>("distance_" + i.name, local(i.distance), offset, count);

  // tables[interface][quantity] = per-T rows of bin means; counts per interface.
  std::vector<std::vector<std::vector<double>>> tables(interfaces.size(), std::vector<std::vector<double>>(3));
  std::vector<std::vector<std::int64_t>> counts(interfaces.size());

  Progress progress = detail::analysis_progress("tnti", Ts.size() * n_local * (barriers ? 3 : 2), o.progress);
  std::int64_t done = 0;
  for (std::size_t j = 0; j < Ts.size(); ++j) {
    std::array<std::vector<double>, 3> q;  // forward FTLE, backward FTLE, barrier strength
    for (int which = 0; which < (barriers ? 3 : 2); ++which) {
      if (which < 2) {
        const auto r = compute_ftle<D>(*field, positions, t0, which == 0 ? Ts[j] : -Ts[j], o.ftle, min_spacing(seeds.grid));
        q[static_cast<std::size_t>(which)] = r.ftle;
        summary.particle_steps += r.particle_steps;
        summary.advection_seconds += r.advection_seconds;
        summary.ill_conditioned += r.ill_conditioned;
      } else {
        const auto r = barrier_field<D>(*field, positions, t0, Ts[j], *nu, o.ftle.flow);
        q[2] = r.strength;
        summary.particle_steps += r.particle_steps;
        summary.advection_seconds += r.advection_seconds;
      }
      done += static_cast<std::int64_t>(n_local);
      progress.update(done);
    }
    out.begin_frame(Ts[j]);
    out.write_frame_block<double>("ftle_forward", q[0], offset, count);
    out.write_frame_block<double>("ftle_backward", q[1], offset, count);
    if (barriers) out.write_frame_block<double>("barrier_strength", q[2], offset, count);
    for (std::size_t i = 0; i < interfaces.size(); ++i) {
      const std::vector<double> d = local(interfaces[i].distance);
      for (std::size_t k = 0; k < (barriers ? 3u : 2u); ++k) {
        const ConditionalAverage c = combine_over_ranks(conditional_average(d, q[k], bins));
        tables[i][k].insert(tables[i][k].end(), c.mean.begin(), c.mean.end());
      }
    }
  }
  progress.finish();

  // 6. Interfaces, clusters and the conditional tables (every rank holds the same values).
  io::H5File& f = out.file();
  f.set_attribute("/grid/t", "units", std::string("integration time T (time)"));
  const std::vector<std::string> names = {"ftle_forward", "ftle_backward", "barrier_strength"};
  for (std::size_t i = 0; i < interfaces.size(); ++i) {
    const Interface& it = interfaces[i];
    const std::string g = "/interfaces/" + it.name;
    f.write<double>(g + "/points", it.mesh.points, {it.mesh.point_count(), static_cast<std::size_t>(D)});
    const std::vector<std::int64_t> elements(it.mesh.elements.begin(), it.mesh.elements.end());
    f.write<std::int64_t>(g + "/elements", elements, {it.mesh.element_count(), static_cast<std::size_t>(D)});
    f.set_attribute(g, "level", it.level);
    const std::string c = "/conditional/" + it.name;
    const std::vector<double> d = local(it.distance);
    const ConditionalAverage s = combine_over_ranks(conditional_average(d, local(scalar), bins));
    const ConditionalAverage w = combine_over_ranks(conditional_average(d, vorticity, bins));
    f.write<double>(c + "/distance", bins.centres(), {bins.count});
    f.write<std::int64_t>(c + "/count", s.count, {bins.count});
    f.write<double>(c + "/scalar", s.mean, {bins.count});
    f.write<double>(c + "/vorticity", w.mean, {bins.count});
    for (std::size_t k = 0; k < (barriers ? 3u : 2u); ++k)
      f.write<double>(c + "/" + names[k], tables[i][k], {Ts.size(), bins.count});
  }
  f.write<double>("/clusters/centroids", clusters.centroids, {clusters.centroids.size()});
  f.write<double>("/clusters/thresholds", thresholds, {thresholds.size()});
  f.set_attribute("/clusters", "method", std::string(o.exact_kmeans ? "exact 1-D k-means" : "k-means++ and Lloyd"));
  f.set_attribute("/", "t0", t0);
  f.set_attribute("/", "integral_time_scale", TL);
  std::vector<double> ratios;
  for (const double T : Ts) ratios.push_back(TL > 0 ? T / TL : nan);
  f.set_attribute("/", "T_over_TL", ratios);
  if (!summary.frame_velocity.empty()) f.set_attribute("/", "frame_velocity", summary.frame_velocity);
  f.set_attribute("/", "gradient", to_string(o.ftle.method));
  f.set_attribute("/", "integrator", to_string(o.ftle.flow.integrator));
  if (barriers) f.set_attribute("/", "viscosity", *nu);
  detail::reduce_over_ranks(summary);
  f.set_attribute("/", "particle_steps", static_cast<std::int64_t>(summary.particle_steps));
  f.set_attribute("/", "advection_seconds", summary.advection_seconds);
  summary.seeds = seeds.size();
  summary.thresholds = thresholds;
  summary.xmf = out.commit();
  // The interfaces as line/triangle meshes for ParaView, beside the grid's sidecar.
  std::vector<io::XdmfMesh> meshes;
  for (const Interface& it : interfaces)
    meshes.push_back({it.name, "/interfaces/" + it.name + "/points", "/interfaces/" + it.name + "/elements",
                      it.mesh.point_count(), it.mesh.element_count(), D});
  std::filesystem::path mesh_xmf = o.output;
  mesh_xmf.replace_extension(".interfaces.xmf");
  io::write_text_atomically(mesh_xmf, io::xdmf_meshes(o.output.filename().string(), meshes), {o.input});
  return summary;
}

}  // namespace

AnalysisSummary run_tnti(const TntiOptions& options, const io::Provenance& provenance) {
  const FlowFileInfo info = inspect_flow_file(options.input);
  return info.dimensions() == 2 ? tnti_impl<2>(info, options, provenance) : tnti_impl<3>(info, options, provenance);
}

}  // namespace anneal::physics::turbulence
