// The reference solutions of physics/lpinn/reference.hpp, each checked against something computed
// another way: closed forms for the linear equations, the pseudo-spectral solver against the
// Cole–Hopf integral for Burgers, and Basdevant et al.'s published shock gradient (Computers &
// Fluids 14, 23–41, 1986) for Raissi's benchmark at ν = 0.01/π.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "physics/lpinn/reference.hpp"

using namespace anneal::physics::lpinn;

namespace {

constexpr double kPi = std::numbers::pi;

std::vector<double> linspace(double a, double b, std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1);
  v.back() = b;
  return v;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// f(x, t) on the grid, [nt][nx] with t slow, like the references.
template <class F>
std::vector<double> tabulate(const std::vector<double>& x, const std::vector<double>& t, F f) {
  std::vector<double> u;
  for (double ti : t)
    for (double xi : x) u.push_back(f(xi, ti));
  return u;
}

Problem periodic_problem(Equation equation, double beta, double nu, InitialCondition u0) {
  Problem p;
  p.equation = equation;
  p.x_min = 0;
  p.x_max = 2 * kPi;
  p.beta = beta;
  p.nu = nu;
  p.u0 = std::move(u0);
  return p;
}

Problem raissi_burgers() {
  Problem p;
  p.equation = Equation::burgers;
  p.x_min = -1;
  p.x_max = 1;
  p.periodic = false;
  p.nu = 0.01 / kPi;
  p.t_end = 1;
  p.u0 = InitialCondition::sine(0, -1, 1, -1, 1);
  return p;
}

}  // namespace

TEST_CASE("pure convection: the characteristic solution, its Fourier modes and sin(x − βt) agree",
          "[lpinn][reference]") {
  const Problem p = periodic_problem(Equation::convection, 30, 0, InitialCondition::sine(0, 1, 1, 0, 2 * kPi));
  const auto x = linspace(0, 2 * kPi, 256), t = linspace(0, 1, 100);
  const auto exact = convection_exact(p, x, t);
  const auto closed = tabulate(x, t, [](double xi, double ti) { return std::sin(xi - 30 * ti); });
  const double vs_closed = max_abs_diff(exact, closed), vs_fourier = max_abs_diff(exact, fourier_solution(p, x, t));
  INFO("convection_exact vs sin(x − βt): " << vs_closed << ", vs fourier_solution: " << vs_fourier);
  CHECK(vs_closed <= 1e-12);
  CHECK(vs_fourier <= 1e-12);
  CHECK(max_abs_diff(reference_solution(p, x, t), exact) == 0);
}

TEST_CASE("convection–diffusion: Fourier modes decay and travel exactly", "[lpinn][reference]") {
  SECTION("a sine with offset against its closed form") {
    const double beta = 2, nu = 0.1, offset = 0.3, amplitude = 1.5;
    const int wavenumber = 3;
    const Problem p = periodic_problem(Equation::convection_diffusion, beta, nu,
                                       InitialCondition::sine(offset, amplitude, wavenumber, 0, 2 * kPi));
    const auto x = linspace(0, 2 * kPi, 256), t = linspace(0, 1, 100);
    const double kappa = wavenumber;  // 2πk/L with L = 2π
    const auto closed = tabulate(x, t, [&](double xi, double ti) {
      return offset + amplitude * std::exp(-nu * kappa * kappa * ti) * std::sin(kappa * (xi - beta * ti));
    });
    const auto fourier = fourier_solution(p, x, t);
    const double error = max_abs_diff(fourier, closed);
    INFO("fourier_solution vs closed form: " << error);
    CHECK(error <= 1e-12);
    CHECK(max_abs_diff(reference_solution(p, x, t), fourier) == 0);
  }
  SECTION("the periodic Gaussian: the time-stepped spectral solver against the modes evolved in closed form") {
    const Problem p =
        periodic_problem(Equation::convection_diffusion, 5, 0.05, InitialCondition::gaussian(kPi, kPi / 4, 0, 2 * kPi));
    const auto x = linspace(0, 2 * kPi, 201), t = linspace(0, 1, 21);
    // 1024 points for both (fourier_solution samples 2·modes), so both see the same interpolant of u0.
    const double error = max_abs_diff(spectral_solution(p, x, t, {.modes = 1024}), fourier_solution(p, x, t, 512));
    INFO("spectral_solution vs fourier_solution: " << error);
    CHECK(error <= 1e-10);
  }
}

TEST_CASE("Burgers: Cole–Hopf and the pseudo-spectral solver agree on smooth periodic data", "[lpinn][reference]") {
  const auto x = linspace(0, 2 * kPi, 129), t = linspace(0, 1, 11);
  SECTION("u0 = sin x, ν = 0.1") {
    const Problem p = periodic_problem(Equation::burgers, 0, 0.1, InitialCondition::sine(0, 1, 1, 0, 2 * kPi));
    const auto hopf = cole_hopf(p, x, t);
    const double error = max_abs_diff(hopf, spectral_solution(p, x, t, {.modes = 256, .dt = 1e-4}));
    INFO("cole_hopf vs spectral_solution: " << error);
    CHECK(error <= 1e-8);
    CHECK(max_abs_diff(reference_solution(p, x, t), hopf) == 0);
  }
  SECTION("u0 = 0.5 + sin x, ν = 0.05: the antiderivative grows, the solution travels") {
    const Problem p = periodic_problem(Equation::burgers, 0, 0.05, InitialCondition::sine(0.5, 1, 1, 0, 2 * kPi));
    const double error = max_abs_diff(cole_hopf(p, x, t), spectral_solution(p, x, t, {.modes = 256, .dt = 1e-4}));
    INFO("cole_hopf vs spectral_solution: " << error);
    CHECK(error <= 1e-8);
  }
}

TEST_CASE("Burgers at ν = 0.01/π (Raissi's benchmark): finite, Dirichlet, odd, and Basdevant's shock gradient",
          "[lpinn][reference]") {
  const Problem p = raissi_burgers();
  const auto x = linspace(-1, 1, 201), t = linspace(0, 1, 11);
  const std::size_t nx = x.size();
  const auto u = cole_hopf(p, x, t);
  REQUIRE(std::all_of(u.begin(), u.end(), [](double v) { return std::isfinite(v); }));
  double wall = 0, odd = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    wall = std::max({wall, std::abs(u[i * nx]), std::abs(u[i * nx + nx - 1])});
    for (std::size_t j = 0; j < nx; ++j) odd = std::max(odd, std::abs(u[i * nx + j] + u[i * nx + nx - 1 - j]));
  }
  INFO("max |u(±1, t)| = " << wall << ", max |u(x) + u(−x)| = " << odd);
  CHECK(wall <= 1e-10);
  CHECK(odd <= 1e-10);

  // Basdevant et al. (1986): max_t |∂u/∂x (0, t)| = 152.00516, at t = 1.6037/π.
  const double step = 1e-6;
  const std::vector<double> around{-step, step}, when{1.6037 / kPi};
  const auto near = cole_hopf(p, around, when);
  const double slope = std::abs((near[1] - near[0]) / (2 * step));
  INFO("|u_x(0, 1.6037/π)| = " << std::setprecision(10) << slope << " (Basdevant: 152.00516)");
  CHECK(std::abs(slope / 152.00516 - 1) <= 1e-4);

  // Before the shock steepens (it forms near t = 1/π) the spectral solver resolves it. dt = 2e-4
  // instead of the automatic 0.2·h/max|u0| ≈ 5e-5 keeps this test short; RK4 stays stable with
  // dt·max|κ u| ≈ 1.7 < 2.8 on the dealiased band.
  const std::vector<double> early{0.25};
  const double error =
      max_abs_diff(cole_hopf(p, x, early), spectral_solution(p, x, early, {.modes = 8192, .dt = 2e-4}));
  INFO("cole_hopf vs spectral_solution at t = 0.25: " << error);
  CHECK(error <= 1e-6);
}

TEST_CASE("reference solutions reject what they cannot solve", "[lpinn][reference]") {
  const Problem burgers = periodic_problem(Equation::burgers, 0, 0.1, InitialCondition::sine(0, 1, 1, 0, 2 * kPi));
  const Problem convection = periodic_problem(Equation::convection, 1, 0, InitialCondition::sine(0, 1, 1, 0, 2 * kPi));
  const std::vector<double> x{0, 1, 2}, t{0, 0.5};
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(fourier_solution(burgers, x, t), Contains("linear"));
  REQUIRE_THROWS_WITH(convection_exact(burgers, x, t), Contains("pure convection"));
  REQUIRE_THROWS_WITH(cole_hopf(convection, x, t), Contains("Burgers"));
  const std::vector<double> outside{0, 1, 2 * kPi + 0.1};
  REQUIRE_THROWS_WITH(cole_hopf(burgers, outside, t), Contains("outside the domain"));
  REQUIRE_THROWS_WITH(convection_exact(convection, outside, t), Contains("outside the domain"));
  const std::vector<double> unsorted{0.5, 0.2}, negative{-0.1, 0.2}, late{0.5, 1.5};
  REQUIRE_THROWS_WITH(spectral_solution(burgers, x, unsorted), Contains("sorted"));
  REQUIRE_THROWS_WITH(cole_hopf(burgers, x, unsorted), Contains("sorted"));
  REQUIRE_THROWS_WITH(fourier_solution(convection, x, negative), Contains("outside [0, t_end"));
  REQUIRE_THROWS_WITH(spectral_solution(burgers, x, late), Contains("outside [0, t_end"));
  REQUIRE_THROWS_WITH(spectral_solution(burgers, x, t, {.modes = 30 + 1}), Contains("even"));
  REQUIRE_THROWS_AS(fourier_solution(convection, x, t, 1), anneal::Error);
  Problem bad = burgers;
  bad.nu = -1;
  REQUIRE_THROWS_AS(cole_hopf(bad, x, t), anneal::Error);
}
