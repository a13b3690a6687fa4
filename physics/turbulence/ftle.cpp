#include "physics/turbulence/ftle.hpp"

#include <Eigen/SVD>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace anneal::physics::turbulence {

std::string to_string(GradientMethod method) {
  return method == GradientMethod::finite_differences ? "fd" : "variational";
}

template <int D>
double ftle_from_gradient(const Mat<D>& F, double T) {
  double sigma;
  if constexpr (D == 2) {
    // σ_max² = (S + √(S² − 4 det²)) / 2 with S = ‖F‖²_F: the larger root, free of cancellation.
    const double s = F[0] * F[0] + F[1] * F[1] + F[2] * F[2] + F[3] * F[3];
    const double det = F[0] * F[3] - F[1] * F[2];
    const double disc = std::sqrt(std::max(0.0, (s - 2 * std::abs(det)) * (s + 2 * std::abs(det))));
    sigma = std::sqrt(0.5 * (s + disc));
  } else {
    Eigen::Matrix3d m;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) m(i, j) = F[static_cast<std::size_t>(i * 3 + j)];
    sigma = Eigen::JacobiSVD<Eigen::Matrix3d>(m).singularValues()(0);
  }
  return std::log(sigma) / std::abs(T);
}

template <int D>
std::vector<Vec<D>> grid_points(const io::RectilinearGrid& grid) {
  ANNEAL_CHECK(grid.is_3d() == (D == 3), "a {}-D seed grid for a {}-D flow", grid.is_3d() ? 3 : 2, D);
  const std::size_t nx = grid.x.size(), ny = grid.y.size(), nz = D == 3 ? grid.z.size() : 1;
  std::vector<Vec<D>> points;
  points.reserve(nx * ny * nz);
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        Vec<D> p;
        p[0] = grid.x[i];
        p[1] = grid.y[j];
        if constexpr (D == 3) p[2] = grid.z[k];
        points.push_back(p);
      }
  return points;
}

double min_spacing(const io::RectilinearGrid& grid) {
  double h = std::numeric_limits<double>::infinity();
  for (const auto* axis : {&grid.x, &grid.y, &grid.z})
    for (std::size_t i = 1; i < axis->size(); ++i) h = std::min(h, (*axis)[i] - (*axis)[i - 1]);
  return h;
}

template <int D>
FtleResult<D> compute_ftle(const VelocityField<D>& field, std::span<const Vec<D>> seeds, double t0, double T,
                           const FtleOptions& options, double seed_spacing) {
  ANNEAL_CHECK(T != 0, "FTLE needs a non-zero integration time T");
  FtleResult<D> out;
  const std::size_t n = seeds.size();
  out.ftle.assign(n, std::numeric_limits<double>::quiet_NaN());
  out.status.assign(n, particle_ok);

  if (options.method == GradientMethod::variational) {
    const FlowMapResult<D> map = advect<D>(field, seeds, t0, T, options.flow, Carry::gradient);
    out.particles = n;
    out.particle_steps = map.steps;
    out.advection_seconds = map.seconds;
    out.status = map.status;
    for (std::size_t p = 0; p < n; ++p)
      if (map.status[p] == particle_ok) out.ftle[p] = ftle_from_gradient<D>(map.gradient[p], T);
    return out;
  }

  const double delta = options.fd_delta > 0 ? options.fd_delta : 0.01 * seed_spacing;
  ANNEAL_CHECK(std::isfinite(delta) && delta > 0, "the finite-difference step δ must be positive (got {})", delta);
  out.fd_delta = delta;
  // Particle 2k is the seed + δ e_k, particle 2k+1 the seed − δ e_k; on a seed within δ of a
  // non-periodic edge of the data the outer one is the seed itself (a one-sided difference), so edge
  // seeds get a value instead of a particle that starts outside.
  const FieldExtent<D>& e = field.extent();
  std::vector<Vec<D>> particles(n * 2 * D);
  std::vector<double> span(n * D);  // the distance between each pair at t0
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t p) {
    for (int k = 0; k < D; ++k) {
      const auto a = static_cast<std::size_t>(k);
      Vec<D> plus = seeds[p], minus = seeds[p];
      const double x = seeds[p][a];
      const bool edge_lo = !e.periodic[a] && x - delta < e.lo[a];
      const bool edge_hi = !e.periodic[a] && x + delta > e.hi[a];
      if (!edge_hi) plus[a] += delta;
      if (!edge_lo) minus[a] -= delta;
      span[p * D + a] = plus[a] - minus[a];
      particles[p * 2 * D + 2 * a] = plus;
      particles[p * 2 * D + 2 * a + 1] = minus;
    }
  });
  const FlowMapResult<D> map = advect<D>(field, std::span<const Vec<D>>(particles), t0, T, options.flow, Carry::position);
  out.particles = particles.size();
  out.particle_steps = map.steps;
  out.advection_seconds = map.seconds;
  // Above this separation the auxiliary particles span more than one cell of the data.
  const double resolved = field.extent().spacing > 0 ? field.extent().spacing : seed_spacing;
  std::vector<std::uint8_t> ill(n, 0);
  tbb::parallel_for(std::size_t{0}, n, [&](std::size_t p) {
    Mat<D> F;
    double spread = 0;
    for (int k = 0; k < D; ++k) {
      const std::size_t a = p * 2 * D + 2 * static_cast<std::size_t>(k);
      if (map.status[a] != particle_ok || map.status[a + 1] != particle_ok) {
        out.status[p] = std::max(map.status[a], map.status[a + 1]);
        return;
      }
      double separation = 0;
      for (int i = 0; i < D; ++i) {
        const double diff = map.position[a][static_cast<std::size_t>(i)] - map.position[a + 1][static_cast<std::size_t>(i)];
        F[static_cast<std::size_t>(i * D + k)] = diff / span[p * D + static_cast<std::size_t>(k)];
        separation += diff * diff;
      }
      spread = std::max(spread, delta * std::sqrt(separation) / span[p * D + static_cast<std::size_t>(k)]);
    }
    out.ftle[p] = ftle_from_gradient<D>(F, T);
    ill[p] = spread > resolved ? 1 : 0;
  });
  for (const auto flag : ill) out.ill_conditioned += flag;
  return out;
}

template double ftle_from_gradient<2>(const Mat<2>&, double);
template double ftle_from_gradient<3>(const Mat<3>&, double);
template std::vector<Vec<2>> grid_points<2>(const io::RectilinearGrid&);
template std::vector<Vec<3>> grid_points<3>(const io::RectilinearGrid&);
template FtleResult<2> compute_ftle<2>(const VelocityField<2>&, std::span<const Vec<2>>, double, double,
                                    const FtleOptions&, double);
template FtleResult<3> compute_ftle<3>(const VelocityField<3>&, std::span<const Vec<3>>, double, double,
                                    const FtleOptions&, double);

}  // namespace anneal::physics::turbulence
