// SGD, Adam, AdamW and diffGrad: single steps against values worked out by hand from the published
// update rules, and convergence on a least-squares problem whose solution is known.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "core/error.hpp"
#include "nn/adam.hpp"
#include "nn/diffgrad.hpp"
#include "nn/ops.hpp"
#include "nn/sgd.hpp"

using namespace anneal;
using namespace anneal::nn;

namespace {

Tensor parameter(const std::vector<double>& values, DType dtype = DType::f64) {
  Tensor p = Tensor::from_vector(values, {static_cast<std::int64_t>(values.size())}, dtype);
  p.set_requires_grad(true);
  return p;
}

void set_grad(Tensor& p, const std::vector<double>& g) { p.set_grad(Tensor::from_vector(g, p.shape(), p.dtype())); }

void require_values(const Tensor& t, const std::vector<double>& want, double rel, double abs = 0) {
  const auto have = t.to_vector();
  REQUIRE(have.size() == want.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    INFO("element " << k);
    REQUIRE(have[k] == Approx(want[k]).epsilon(rel).margin(abs));
  }
}

// min ||A x − b||² with b = A x*: A is 6x3 with singular values √1.714, √9.78, √15.5 (cond 3).
struct LeastSquares {
  DType dtype;
  Tensor a = Tensor::from_vector({2, 0, 1, 0, 3, 1, 1, 1, 2, 1, -1, 0, 0, 1, -1, 1, 0, 1}, {6, 3}, dtype);
  std::vector<double> solution{0.5, -1.25, 2.0};
  Tensor b = matmul(a, Tensor::from_vector(solution, {3, 1}, dtype));

  double loss_and_grad(Tensor& x) const {
    x.zero_grad();
    const Tensor loss = sum(square(matmul(a, x) - b));
    loss.backward();
    return loss.item();
  }
  double error(const Tensor& x) const {
    const auto v = x.to_vector();
    double e = 0;
    for (std::size_t k = 0; k < 3; ++k) e += (v[k] - solution[k]) * (v[k] - solution[k]);
    return std::sqrt(e);
  }
};

// Steps until ||x − x*|| < tolerance; returns the steps taken, or -1 after max_steps.
int steps_to_solve(const LeastSquares& problem, Tensor& x, Optimizer& optimizer, double tolerance, int max_steps) {
  for (int k = 0; k < max_steps; ++k) {
    if (problem.error(x) < tolerance) return k;
    problem.loss_and_grad(x);
    optimizer.step();
  }
  return problem.error(x) < tolerance ? max_steps : -1;
}

Tensor start_point(DType dtype) {
  Tensor x = Tensor::zeros({3, 1}, dtype);
  x.set_requires_grad(true);
  return x;
}

}  // namespace

TEST_CASE("optim: SGD with momentum takes the hand-computed steps", "[nn][optim]") {
  for (DType dtype : {DType::f64, DType::f32}) {
    INFO(to_string(dtype));
    const double rel = dtype == DType::f64 ? 1e-14 : 1e-6;
    // lr 0.1, μ 0.9, g1 = (1, −2), g2 = (0.5, 0.5) from θ0 = (0.3, 0.7):
    // heavy ball: b1 = g1, θ1 = (0.2, 0.9); b2 = 0.9 b1 + g2 = (1.4, −1.3), θ2 = (0.06, 1.03).
    Tensor p = parameter({0.3, 0.7}, dtype);
    Sgd sgd({p}, {.learning_rate = 0.1, .momentum = 0.9});
    set_grad(p, {1, -2});
    sgd.step();
    require_values(p, {0.2, 0.9}, rel);
    set_grad(p, {0.5, 0.5});
    sgd.step();
    require_values(p, {0.06, 1.03}, rel);

    // Nesterov: θ1 = θ0 − 0.1 (g1 + 0.9 b1) = (0.11, 1.08); θ2 = θ1 − 0.1 (g2 + 0.9 b2) = (−0.066, 1.147).
    Tensor q = parameter({0.3, 0.7}, dtype);
    Sgd nesterov({q}, {.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
    set_grad(q, {1, -2});
    nesterov.step();
    require_values(q, {0.11, 1.08}, rel);
    set_grad(q, {0.5, 0.5});
    nesterov.step();
    require_values(q, {-0.066, 1.147}, rel);

    // Weight decay 0.1 adds 0.1 θ to the gradient: θ1 = θ0 − 0.1 (1.03, −1.93) = (0.197, 0.893).
    Tensor r = parameter({0.3, 0.7}, dtype);
    Sgd decayed({r}, {.learning_rate = 0.1, .weight_decay = 0.1});
    set_grad(r, {1, -2});
    decayed.step();
    require_values(r, {0.197, 0.893}, rel);
  }
}

TEST_CASE("optim: a parameter without a gradient is left alone", "[nn][optim]") {
  Tensor used = parameter({1.0}), unused = parameter({2.0});
  Adam adam({used, unused}, {.learning_rate = 0.1});
  set_grad(used, {1.0});
  adam.step();
  REQUIRE(used.to_vector()[0] != 1.0);
  REQUIRE(unused.to_vector()[0] == 2.0);
  adam.zero_grad();
  REQUIRE_FALSE(used.grad().defined());
}

TEST_CASE("optim: Adam's first step is -lr g / (|g| + eps) per element", "[nn][optim]") {
  // After one step m̂ = g and v̂ = g² exactly, so the bias-corrected update is −η g / (|g| + ε):
  // a step of length η whatever the gradient's scale (and 0 for a zero gradient).
  const std::vector<double> theta{1.0, 2.0, 3.0, 4.0, -5.0}, g{0.3, -2.0, 1e-3, 0.0, 1e-9};
  for (DType dtype : {DType::f64, DType::f32}) {
    INFO(to_string(dtype));
    const double lr = 0.01, eps = 1e-8;
    Tensor p = parameter(theta, dtype);
    Adam adam({p}, {.learning_rate = lr, .eps = eps});
    set_grad(p, g);
    adam.step();
    // By hand: 1 − 0.01·0.3/0.30000001, 2 + 0.01·2/2.00000001, 3 − 0.01·1e-3/1.00001e-3, 4,
    // −5 − 0.01·1e-9/(1e-9 + 1e-8) = −5 − 0.01/11.
    const std::vector<double> want{1.0 - 0.01 * 0.3 / 0.30000001, 2.0 + 0.01 * 2.0 / 2.00000001,
                                   3.0 - 0.01 * 1e-3 / 1.00001e-3, 4.0, -5.0 - 0.01 / 11.0};
    require_values(p, want, dtype == DType::f64 ? 1e-14 : 1e-6);
  }
}

TEST_CASE("optim: AdamW decays decoupled from the gradient, Adam's L2 goes through the moments", "[nn][optim]") {
  const double lr = 0.1, wd = 0.01;
  for (DType dtype : {DType::f64, DType::f32}) {
    INFO(to_string(dtype));
    // Zero gradient: AdamW only shrinks, θ1 = (1 − η λ) θ0.
    Tensor p = parameter({1.0, -2.0, 3.0}, dtype);
    AdamW adamw({p}, {.learning_rate = lr, .weight_decay = wd});
    set_grad(p, {0, 0, 0});
    adamw.step();
    require_values(p, {0.999, -1.998, 2.997}, dtype == DType::f64 ? 1e-15 : 1e-7);

    // Adam's coupled L2 turns λ θ into the gradient, so its first step is −η sign(θ) instead (ε = 0).
    Tensor q = parameter({1.0, -2.0, 3.0}, dtype);
    Adam adam({q}, {.learning_rate = lr, .eps = 0.0, .weight_decay = wd});
    set_grad(q, {0, 0, 0});
    adam.step();
    require_values(q, {0.9, -1.9, 2.9}, dtype == DType::f64 ? 1e-14 : 1e-6);
  }
}

TEST_CASE("optim: diffGrad's first two steps follow the paper's update", "[nn][optim]") {
  // Dubey et al. (arXiv:1909.11015) Alg. 1 with g_0 = 0: m, v as Adam; ξ_t = 1 / (1 + e^{−|g_{t−1} − g_t|});
  // θ_t = θ_{t−1} − η ξ_t m̂_t / (√v̂_t + ε). Worked out here for θ0 = (0.5, −1), g1 = (0.2, 0.4),
  // g2 = (−0.1, 0.4), η = 0.1, β = (0.9, 0.999), ε = 1e-8.
  const double eta = 0.1, eps = 1e-8;
  const auto sigmoid = [](double z) { return 1 / (1 + std::exp(-z)); };
  // Step 1: m1 = 0.1 g1, v1 = 0.001 g1², so m̂1 = g1 and √v̂1 = |g1|; ξ1 = sigmoid(|g1|).
  const double t1a = 0.5 - eta * sigmoid(0.2) * 0.2 / (0.2 + eps);
  const double t1b = -1.0 - eta * sigmoid(0.4) * 0.4 / (0.4 + eps);
  // Step 2, element a: m2 = 0.9·0.02 + 0.1·(−0.1) = 0.008, v2 = 0.999·4e-5 + 0.001·0.01 = 4.996e-5,
  // m̂2 = 0.008 / 0.19, v̂2 = 4.996e-5 / 0.001999, ξ2 = sigmoid(|0.2 − (−0.1)|) = sigmoid(0.3).
  const double t2a = t1a - eta * sigmoid(0.3) * (0.008 / 0.19) / (std::sqrt(4.996e-5 / 0.001999) + eps);
  // Element b, unchanged gradient 0.4: m2 = 0.9·0.04 + 0.1·0.4 = 0.076, m̂2 = 0.076 / 0.19 = 0.4;
  // v2 = 0.999·1.6e-4 + 0.001·0.16 = 3.1984e-4, v̂2 = 3.1984e-4 / 0.001999 = 0.16; ξ2 = sigmoid(0) = 1/2,
  // so the step is half of Adam's.
  const double t2b = t1b - eta * 0.5 * 0.4 / (0.4 + eps);
  for (DType dtype : {DType::f64, DType::f32}) {
    INFO(to_string(dtype));
    const double rel = dtype == DType::f64 ? 1e-13 : 1e-6;
    Tensor p = parameter({0.5, -1.0}, dtype);
    DiffGrad opt({p}, {.learning_rate = eta, .beta1 = 0.9, .beta2 = 0.999, .eps = eps});
    set_grad(p, {0.2, 0.4});
    opt.step();
    require_values(p, {t1a, t1b}, rel);
    set_grad(p, {-0.1, 0.4});
    opt.step();
    require_values(p, {t2a, t2b}, rel);
  }
}

TEST_CASE("optim: SGD and Adam solve a least-squares problem to 1e-6", "[nn][optim]") {
  const LeastSquares problem{DType::f64};
  SECTION("SGD") {
    // Hessian 2AᵀA has eigenvalues 3.43 .. 31: lr 0.05 contracts by 0.83 per step at worst.
    Tensor x = start_point(DType::f64);
    Sgd sgd({x}, {.learning_rate = 0.05});
    const int steps = steps_to_solve(problem, x, sgd, 1e-6, 200);
    INFO("steps " << steps);
    REQUIRE(steps > 0);
  }
  SECTION("SGD with momentum") {
    Tensor x = start_point(DType::f64);
    Sgd sgd({x}, {.learning_rate = 0.02, .momentum = 0.5});
    REQUIRE(steps_to_solve(problem, x, sgd, 1e-6, 200) > 0);
  }
  SECTION("Adam") {
    Tensor x = start_point(DType::f64);
    Adam adam({x}, {.learning_rate = 0.05});
    const int steps = steps_to_solve(problem, x, adam, 1e-6, 1000);
    INFO("steps " << steps);
    REQUIRE(steps > 0);
  }
  SECTION("diffGrad") {
    Tensor x = start_point(DType::f64);
    DiffGrad opt({x}, {.learning_rate = 0.05});
    REQUIRE(steps_to_solve(problem, x, opt, 1e-6, 1500) > 0);
  }
  SECTION("f32") {
    const LeastSquares single{DType::f32};
    Tensor x = start_point(DType::f32), y = start_point(DType::f32);
    Sgd sgd({x}, {.learning_rate = 0.05});
    Adam adam({y}, {.learning_rate = 0.05});
    REQUIRE(steps_to_solve(single, x, sgd, 1e-4, 200) > 0);
    REQUIRE(steps_to_solve(single, y, adam, 1e-4, 1000) > 0);
  }
}

TEST_CASE("optim: bad hyper-parameters and parameters are refused", "[nn][optim]") {
  Tensor p = parameter({1.0});
  REQUIRE_THROWS_AS(Sgd({p}, {.learning_rate = -1}), Error);
  REQUIRE_THROWS_AS(Sgd({p}, {.nesterov = true}), Error);
  REQUIRE_THROWS_AS(Adam({p}, {.beta1 = 1.0}), Error);
  REQUIRE_THROWS_AS(Adam({p, p}), Error);
  REQUIRE_THROWS_AS(Adam(std::vector<Tensor>{}), Error);
  const Tensor frozen = Tensor::ones({2}, DType::f64);
  REQUIRE_THROWS_AS(Adam({frozen}), Error);
  Adam adam({p});
  p.set_grad(Tensor::ones({2}, DType::f64));
  REQUIRE_THROWS_AS(adam.step(), Error);  // gradient of the wrong shape
}
