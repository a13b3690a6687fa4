#include "physics/turbulence/analytic_flows.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <functional>

#include "core/error.hpp"

namespace anneal::physics::turbulence {
namespace {

constexpr double pi = std::numbers::pi;

// A closed-form field: one function gives v and ∇v, another Δv; unbounded in space and time
// unless a periodic box is given.
template <int D>
class ClosedFormFlow final : public VelocityField<D> {
 public:
  using Gradient = std::function<void(const Vec<D>&, double, Vec<D>&, Mat<D>&)>;
  using Laplacian = std::function<void(const Vec<D>&, double, Vec<D>&)>;
  ClosedFormFlow(std::string name, Gradient gradient, Laplacian laplacian, FieldExtent<D> extent)
      : name_(std::move(name)), gradient_(std::move(gradient)), laplacian_(std::move(laplacian)), extent_(extent) {}
  const FieldExtent<D>& extent() const override { return extent_; }
  std::uint8_t velocity(const Vec<D>& x, double t, Vec<D>& v) const override {
    Mat<D> g;
    gradient_(x, t, v, g);
    return particle_ok;
  }
  std::uint8_t gradient(const Vec<D>& x, double t, Vec<D>& v, Mat<D>& g) const override {
    gradient_(x, t, v, g);
    return particle_ok;
  }
  std::uint8_t laplacian(const Vec<D>& x, double t, Vec<D>& lap) const override {
    laplacian_(x, t, lap);
    return particle_ok;
  }
  std::string describe() const override { return name_; }

 private:
  std::string name_;
  Gradient gradient_;
  Laplacian laplacian_;
  FieldExtent<D> extent_;
};

template <int D>
FieldExtent<D> unbounded() {
  FieldExtent<D> e;
  e.lo.fill(-std::numeric_limits<double>::infinity());
  e.hi.fill(std::numeric_limits<double>::infinity());
  return e;
}

template <int D>
FieldExtent<D> periodic_box(double period) {
  FieldExtent<D> e;
  e.lo.fill(0);
  e.hi.fill(period);
  e.periodic.fill(true);
  return e;
}

}  // namespace

std::unique_ptr<VelocityField<2>> linear_strain(double a) {
  return std::make_unique<ClosedFormFlow<2>>(
      fmt::format("linear strain a = {}", a),
      [a](const Vec<2>& x, double, Vec<2>& v, Mat<2>& g) {
        v = {a * x[0], -a * x[1]};
        g = {a, 0, 0, -a};
      },
      [](const Vec<2>&, double, Vec<2>& lap) { lap = {0, 0}; }, unbounded<2>());
}

std::unique_ptr<VelocityField<2>> simple_shear(double gamma) {
  return std::make_unique<ClosedFormFlow<2>>(
      fmt::format("simple shear γ = {}", gamma),
      [gamma](const Vec<2>& x, double, Vec<2>& v, Mat<2>& g) {
        v = {gamma * x[1], 0};
        g = {0, gamma, 0, 0};
      },
      [](const Vec<2>&, double, Vec<2>& lap) { lap = {0, 0}; }, unbounded<2>());
}

std::unique_ptr<VelocityField<2>> rigid_rotation(double omega) {
  return std::make_unique<ClosedFormFlow<2>>(
      fmt::format("rigid rotation Ω = {}", omega),
      [omega](const Vec<2>& x, double, Vec<2>& v, Mat<2>& g) {
        v = {-omega * x[1], omega * x[0]};
        g = {0, -omega, omega, 0};
      },
      [](const Vec<2>&, double, Vec<2>& lap) { lap = {0, 0}; }, unbounded<2>());
}

std::unique_ptr<VelocityField<2>> double_gyre(const DoubleGyre& p) {
  struct Terms {
    double sf, cf, fx, fxx, sy, cy;
  };
  auto terms = [p](const Vec<2>& x, double t) {
    const double a = p.epsilon * std::sin(p.omega * t), b = 1 - 2 * a;
    const double f = a * x[0] * x[0] + b * x[0];
    return Terms{std::sin(pi * f), std::cos(pi * f), 2 * a * x[0] + b, 2 * a, std::sin(pi * x[1]),
                 std::cos(pi * x[1])};
  };
  const double A = p.A;
  auto gradient = [terms, A](const Vec<2>& x, double t, Vec<2>& v, Mat<2>& g) {
    const Terms s = terms(x, t);
    v = {-pi * A * s.sf * s.cy, pi * A * s.cf * s.sy * s.fx};
    g = {-pi * pi * A * s.cf * s.fx * s.cy, pi * pi * A * s.sf * s.sy,
         pi * A * s.sy * (-pi * s.sf * s.fx * s.fx + s.cf * s.fxx), pi * pi * A * s.cf * s.cy * s.fx};
  };
  auto laplacian = [terms, A](const Vec<2>& x, double t, Vec<2>& lap) {
    const Terms s = terms(x, t);
    // u = −πA sin(πf) cos(πy); v = πA sin(πy) c(x) with c = cos(πf) f_x (f_xxx = 0).
    const double uxx = -pi * A * s.cy * (pi * s.cf * s.fxx - pi * pi * s.sf * s.fx * s.fx);
    const double uyy = pi * pi * pi * A * s.sf * s.cy;
    const double c = s.cf * s.fx;
    const double cxx = -pi * pi * s.cf * s.fx * s.fx * s.fx - 3 * pi * s.sf * s.fx * s.fxx;
    lap = {uxx + uyy, pi * A * s.sy * cxx - pi * pi * pi * A * s.sy * c};
  };
  FieldExtent<2> e = unbounded<2>();
  return std::make_unique<ClosedFormFlow<2>>(fmt::format("double gyre A = {}, ε = {}, ω = {}", p.A, p.epsilon, p.omega),
                                             gradient, laplacian, e);
}

double steady_double_gyre_ftle_on_separatrix(double A, double y0, double T) {
  ANNEAL_CHECK(y0 > 0 && y0 < 1 && T != 0, "the separatrix formula needs 0 < y0 < 1 and T ≠ 0");
  const double yT = 2 / pi * std::atan(std::tan(pi * y0 / 2) * std::exp(-pi * pi * A * T));
  return std::abs(std::log(std::sin(pi * y0) / std::sin(pi * yT))) / std::abs(T);
}

std::unique_ptr<VelocityField<2>> taylor_green(double U, double nu) {
  auto gradient = [U, nu](const Vec<2>& x, double t, Vec<2>& v, Mat<2>& g) {
    const double e = U * std::exp(-2 * nu * t);
    const double sx = std::sin(x[0]), cx = std::cos(x[0]), sy = std::sin(x[1]), cy = std::cos(x[1]);
    v = {e * sx * cy, -e * cx * sy};
    g = {e * cx * cy, -e * sx * sy, e * sx * sy, -e * cx * cy};
  };
  auto laplacian = [U, nu](const Vec<2>& x, double t, Vec<2>& lap) {
    const double e = U * std::exp(-2 * nu * t);
    lap = {-2 * e * std::sin(x[0]) * std::cos(x[1]), 2 * e * std::cos(x[0]) * std::sin(x[1])};
  };
  return std::make_unique<ClosedFormFlow<2>>(fmt::format("Taylor–Green vortex U = {}, ν = {}", U, nu), gradient,
                                             laplacian, periodic_box<2>(2 * pi));
}

double taylor_green_mean_vorticity(double U, double nu, double x0, double y0, double t0, double T) {
  const double amplitude = 2 * U * std::sin(x0) * std::sin(y0);
  if (nu == 0) return amplitude;
  // (1/T)∫ e^{−2νt} dt = e^{−2νt0} (1 − e^{−2νT}) / (2νT), written with expm1 for small νT.
  return amplitude * std::exp(-2 * nu * t0) * (-std::expm1(-2 * nu * T)) / (2 * nu * T);
}

std::unique_ptr<VelocityField<3>> abc_flow(double A, double B, double C) {
  auto gradient = [A, B, C](const Vec<3>& x, double, Vec<3>& v, Mat<3>& g) {
    const double sx = std::sin(x[0]), cx = std::cos(x[0]), sy = std::sin(x[1]), cy = std::cos(x[1]);
    const double sz = std::sin(x[2]), cz = std::cos(x[2]);
    v = {A * sz + C * cy, B * sx + A * cz, C * sy + B * cx};
    g = {0, -C * sy, A * cz, B * cx, 0, -A * sz, -B * sx, C * cy, 0};
  };
  auto laplacian = [gradient](const Vec<3>& x, double t, Vec<3>& lap) {
    Mat<3> g;
    gradient(x, t, lap, g);
    for (double& c : lap) c = -c;
  };
  return std::make_unique<ClosedFormFlow<3>>(fmt::format("ABC flow A = {}, B = {}, C = {}", A, B, C), gradient,
                                             laplacian, periodic_box<3>(2 * pi));
}

template <int D>
FlowData sample_on_grid(const VelocityField<D>& field, const io::RectilinearGrid& grid,
                        const std::array<bool, 3>& periodic, const std::vector<double>& times) {
  ANNEAL_CHECK(grid.is_3d() == (D == 3), "sample_on_grid: a {}-D field on a {}-D grid", D, grid.is_3d() ? 3 : 2);
  FlowData data;
  data.grid = grid;
  data.periodic = periodic;
  data.times = times;
  const std::size_t nx = grid.x.size(), ny = grid.y.size(), nodes = data.nodes();
  data.velocity.resize(times.size() * nodes * D);
  tbb::parallel_for(std::size_t{0}, times.size() * nodes, [&](std::size_t item) {
    const std::size_t frame = item / nodes, node = item % nodes;
    Vec<D> x, v;
    x[0] = grid.x[node % nx];
    x[1] = grid.y[(node / nx) % ny];
    if constexpr (D == 3) x[2] = grid.z[node / (nx * ny)];
    field.velocity(x, times[frame], v);
    for (int c = 0; c < D; ++c) data.velocity[item * D + static_cast<std::size_t>(c)] = v[static_cast<std::size_t>(c)];
  });
  return data;
}

template FlowData sample_on_grid<2>(const VelocityField<2>&, const io::RectilinearGrid&, const std::array<bool, 3>&,
                                    const std::vector<double>&);
template FlowData sample_on_grid<3>(const VelocityField<3>&, const io::RectilinearGrid&, const std::array<bool, 3>&,
                                    const std::vector<double>&);

}  // namespace anneal::physics::turbulence
