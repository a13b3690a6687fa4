// L-BFGS and its strong-Wolfe line search: Rosenbrock's function from the classical start, the
// Wolfe conditions checked directly on a quadratic, and non-convergence reported as such.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.hpp"
#include "nn/lbfgs.hpp"
#include "nn/ops.hpp"

using namespace anneal;
using namespace anneal::nn;

namespace {

Tensor point(double x, double y, DType dtype = DType::f64) {
  Tensor p = Tensor::from_vector({x, y}, {2}, dtype);
  p.set_requires_grad(true);
  return p;
}

// f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
double rosenbrock(Tensor& p) {
  p.zero_grad();
  const Tensor x = slice(p, 0, 0, 1), y = slice(p, 0, 1, 2);
  const Tensor f = sum(square(1.0 - x) + square(y - square(x)) * 100.0);
  f.backward();
  return f.item();
}

// q(x) = ½ xᵀ Q x − cᵀ x with Q symmetric positive definite (eigenvalues ≈ 0.72 .. 10.5).
struct Quadratic {
  double q[3][3] = {{10, 2, 0}, {2, 5, 1}, {0, 1, 1}};
  double c[3] = {1, -2, 0.5};
  std::vector<double> gradient(const std::vector<double>& x) const {
    std::vector<double> g(3);
    for (int i = 0; i < 3; ++i) {
      g[i] = -c[i];
      for (int j = 0; j < 3; ++j) g[i] += q[i][j] * x[j];
    }
    return g;
  }
  double value(const std::vector<double>& x) const {
    double v = 0;
    for (int i = 0; i < 3; ++i) {
      v -= c[i] * x[i];
      for (int j = 0; j < 3; ++j) v += 0.5 * x[i] * q[i][j] * x[j];
    }
    return v;
  }
};

}  // namespace

TEST_CASE("optim: L-BFGS converges on Rosenbrock from (-1.2, 1) to 1e-10", "[nn][optim]") {
  Tensor p = point(-1.2, 1.0);
  Lbfgs lbfgs({p}, {.max_iterations = 500, .tolerance_grad = 1e-11, .tolerance_change = 0.0});
  const double loss = lbfgs.step([&] { return rosenbrock(p); });
  const LbfgsStatus& status = lbfgs.status();
  INFO(to_string(status));
  REQUIRE(status.converged);
  REQUIRE(status.reason == LbfgsStop::gradient_tolerance);
  REQUIRE(status.gradient_norm <= 1e-11);
  REQUIRE(status.loss == loss);
  REQUIRE(status.iterations < 200);  // the textbook figure is a few dozen; gradient descent takes thousands
  const auto x = p.to_vector();
  REQUIRE(std::abs(x[0] - 1) < 1e-10);
  REQUIRE(std::abs(x[1] - 1) < 1e-10);
  REQUIRE(loss < 1e-20);
  // The status describes the parameters left in place.
  REQUIRE(rosenbrock(p) == loss);
}

TEST_CASE("optim: L-BFGS reports non-convergence", "[nn][optim]") {
  Tensor p = point(-1.2, 1.0);
  Lbfgs lbfgs({p}, {.max_iterations = 5, .max_evaluations = 100, .tolerance_change = 0.0});
  const double loss = lbfgs.step([&] { return rosenbrock(p); });
  REQUIRE_FALSE(lbfgs.status().converged);
  REQUIRE(lbfgs.status().reason == LbfgsStop::max_iterations);
  REQUIRE(lbfgs.status().iterations == 5);
  REQUIRE(loss < 24.2);  // f(−1.2, 1) = 24.2: each iteration decreased the loss
  REQUIRE(to_string(lbfgs.status()).find("NOT") != std::string::npos);

  // Calls continue from the stored curvature pairs and reach the minimum.
  Lbfgs more({p}, {.max_iterations = 5, .tolerance_grad = 1e-9});
  for (int call = 0; call < 40 && !more.status().converged; ++call) more.step([&] { return rosenbrock(p); });
  REQUIRE(more.status().converged);
  REQUIRE(p.to_vector()[0] == Approx(1).margin(1e-6));

  REQUIRE_THROWS_AS(lbfgs.step(), Error);  // no closure
}

TEST_CASE("optim: L-BFGS works on f32 parameters", "[nn][optim]") {
  Tensor p = point(-1.2, 1.0, DType::f32);
  Lbfgs lbfgs({p}, {.max_iterations = 200, .tolerance_grad = 1e-4});
  lbfgs.step([&] { return rosenbrock(p); });
  INFO(to_string(lbfgs.status()));
  REQUIRE(p.to_vector()[0] == Approx(1).margin(1e-3));
  REQUIRE(p.to_vector()[1] == Approx(1).margin(2e-3));
}

TEST_CASE("optim: the line search returns a step satisfying the strong Wolfe conditions", "[nn][optim]") {
  const Quadratic quad;
  const std::vector<double> x0{1.0, 1.0, -1.0};
  const std::vector<double> g0 = quad.gradient(x0);
  std::vector<double> d(3);
  for (int i = 0; i < 3; ++i) d[i] = -g0[i];
  const auto at = [&](double alpha) {
    std::vector<double> x(3);
    for (int i = 0; i < 3; ++i) x[i] = x0[i] + alpha * d[i];
    return x;
  };
  const auto slope = [&](double alpha) {
    const auto g = quad.gradient(at(alpha));
    return g[0] * d[0] + g[1] * d[1] + g[2] * d[2];
  };
  const double f0 = quad.value(x0), s0 = slope(0.0);
  REQUIRE(s0 < 0);
  // The exact minimiser along d: α* = ‖g‖² / gᵀQg.
  double gg = 0, gqg = 0;
  for (int i = 0; i < 3; ++i) {
    gg += g0[i] * g0[i];
    for (int j = 0; j < 3; ++j) gqg += g0[i] * quad.q[i][j] * g0[j];
  }
  const double exact = gg / gqg;

  for (double c2 : {0.9, 0.1, 0.01}) {
    // Too short (extrapolation), about right, and far too long (zoom back).
    for (double initial : {1e-3 * exact, exact, 1.7 * exact, 50 * exact}) {
      INFO("c2 " << c2 << ", initial step " << initial / exact << " x exact");
      const auto phi = [&](double alpha) { return LineSearchPoint{quad.value(at(alpha)), slope(alpha)}; };
      const WolfeOptions options{.c1 = 1e-4, .c2 = c2};
      const LineSearchResult r = strong_wolfe_line_search(phi, {f0, s0}, initial, options);
      REQUIRE(r.wolfe);
      REQUIRE(r.step > 0);
      REQUIRE(r.evaluations <= 12);
      // The conditions, recomputed here from the function itself.
      const double f = quad.value(at(r.step)), s = slope(r.step);
      REQUIRE(f <= f0 + 1e-4 * r.step * s0);      // sufficient decrease
      REQUIRE(std::abs(s) <= c2 * std::abs(s0));  // curvature, strong form
      REQUIRE(r.value == Approx(f).epsilon(1e-14));
      REQUIRE(r.slope == Approx(s).epsilon(1e-12).margin(1e-14));
    }
  }
  const auto phi = [&](double alpha) { return LineSearchPoint{quad.value(at(alpha)), slope(alpha)}; };
  REQUIRE_THROWS_AS(strong_wolfe_line_search(phi, {f0, -s0}, 1.0), Error);  // an ascent direction
  REQUIRE_THROWS_AS(strong_wolfe_line_search(phi, {f0, s0}, 1.0, {.c1 = 0.5, .c2 = 0.4}), Error);
}

TEST_CASE("optim: the line search gives up visibly when no step decreases the function", "[nn][optim]") {
  // φ'(0) claims descent but φ rises everywhere: no point of sufficient decrease exists.
  const auto phi = [](double alpha) { return LineSearchPoint{1.0 + alpha, 1.0}; };
  const LineSearchResult r = strong_wolfe_line_search(phi, {1.0, -1.0}, 1.0, {.max_evaluations = 10});
  REQUIRE_FALSE(r.wolfe);
  REQUIRE(r.step == 0);
  REQUIRE(r.value == 1.0);
  REQUIRE(r.evaluations == 10);
}
