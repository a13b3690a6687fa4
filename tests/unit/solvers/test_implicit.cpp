// Implicit differentiation (solvers/implicit/) against independent answers: dense LU solves of the
// same systems, central finite differences of the whole solve, back-propagation through unrolled
// iterations (whose error must shrink like γ^K), and the generic tape-based layer against the
// hand-written sparse one.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <cmath>
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "nn/autograd.hpp"
#include "nn/ops.hpp"
#include "nn/ops_index.hpp"
#include "solvers/implicit/fixed_point_iteration.hpp"
#include "solvers/implicit/gmres.hpp"
#include "solvers/implicit/implicit_function.hpp"
#include "solvers/implicit/linear_fixed_point.hpp"
#include "tests/unit/nn/gradcheck.hpp"

namespace {

using namespace anneal;
using nn::DType;
using nn::Tensor;

// A small graph with what real data holds: a self-loop, a duplicate edge, an isolated node (5) and
// two components.
nn::EdgeIndex awkward_graph() {
  nn::EdgeIndex g;
  const std::vector<std::pair<int, int>> pairs = {{0, 1}, {1, 0}, {1, 2}, {2, 1}, {2, 0}, {0, 0}, {1, 2},
                                                  {3, 4}, {4, 3}, {4, 4}, {2, 2}, {0, 2}};
  for (auto [s, d] : pairs) {
    g.src.push_back(s);
    g.dst.push_back(d);
  }
  return g;
}
constexpr std::int64_t kNodes = 6;

// Weights with every row's absolute sum below 1, so γ ≤ 1 contracts.
Tensor contracting_weights(const nn::EdgeIndex& g, std::int64_t heads, RandomStream& rng) {
  std::vector<double> w(static_cast<std::size_t>(g.size() * heads));
  std::vector<double> row(static_cast<std::size_t>(kNodes * heads), 0.0);
  for (auto& v : w) v = rng.uniform() * 2 - 1;
  for (std::int64_t e = 0; e < g.size(); ++e)
    for (std::int64_t h = 0; h < heads; ++h) row[g.dst[e] * heads + h] += std::abs(w[e * heads + h]);
  for (std::int64_t e = 0; e < g.size(); ++e)
    for (std::int64_t h = 0; h < heads; ++h) w[e * heads + h] /= 1.05 * row[g.dst[e] * heads + h];
  return Tensor::from_vector(w, {g.size(), heads}, DType::f64);
}

// The dense solution of x = γ A x + b, head by head.
std::vector<double> dense_solution(const nn::EdgeIndex& g, const Tensor& weights, const Tensor& bias, double gamma) {
  const std::int64_t heads = bias.size(1);
  const auto w = weights.to_vector(), b = bias.to_vector();
  std::vector<double> x(b.size());
  for (std::int64_t h = 0; h < heads; ++h) {
    Eigen::MatrixXd m = Eigen::MatrixXd::Identity(kNodes, kNodes);
    Eigen::VectorXd rhs(kNodes);
    for (std::int64_t e = 0; e < g.size(); ++e) m(g.dst[e], g.src[e]) -= gamma * w[e * heads + h];
    for (std::int64_t i = 0; i < kNodes; ++i) rhs(i) = b[i * heads + h];
    const Eigen::VectorXd s = m.partialPivLu().solve(rhs);
    for (std::int64_t i = 0; i < kNodes; ++i) x[i * heads + h] = s(i);
  }
  return x;
}

// γ A x + b with ordinary differentiable ops: the same map for the generic layer and for unrolling.
Tensor sparse_map(const nn::EdgeIndex& g, const Tensor& x, const Tensor& weights, const Tensor& bias, double gamma) {
  const Tensor messages = nn::mul(nn::index_select(x, 0, g.src), weights);
  return nn::add(nn::mul(nn::scatter_add(messages, g.dst, kNodes), gamma), bias);
}

}  // namespace

TEST_CASE("Picard and Anderson reach the dense solution; Anderson needs fewer steps near γ = 1", "[implicit]") {
  RandomStream rng(3, 0);
  const nn::EdgeIndex g = awkward_graph();
  const Tensor w = contracting_weights(g, 1, rng);
  const Tensor b = Tensor::uniform({kNodes, 1}, -1, 1, rng, DType::f64);
  for (double gamma : {0.5, 0.99}) {
    const auto exact = dense_solution(g, w, b, gamma);
    std::int64_t iterations[2];
    int k = 0;
    for (auto method : {solvers::LinearSolveMethod::picard, solvers::LinearSolveMethod::anderson}) {
      auto report = std::make_shared<solvers::LinearFixedPointReport>();
      solvers::LinearFixedPointOptions options;
      options.forward = method;
      options.iteration.max_iterations = 5000;
      const auto x = solvers::linear_fixed_point(g, w, b, gamma, options, report).to_vector();
      for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i] == Approx(exact[i]).margin(1e-9));
      CHECK(report->forward_converged);
      CHECK(report->forward_residual < 1e-9);
      iterations[k++] = report->forward_iterations;
    }
    if (gamma > 0.9) CHECK(iterations[1] * 3 < iterations[0]);
  }
}

TEST_CASE("the direct sparse solve equals the dense one, repeated edges added", "[implicit]") {
  RandomStream rng(4, 0);
  const nn::EdgeIndex g = awkward_graph();
  const Tensor w = contracting_weights(g, 3, rng);
  const Tensor b = Tensor::uniform({kNodes, 3}, -1, 1, rng, DType::f64);
  solvers::LinearFixedPointOptions options;
  options.forward = solvers::LinearSolveMethod::direct;
  const auto x = solvers::linear_fixed_point(g, w, b, 1.0, options).to_vector();
  const auto exact = dense_solution(g, w, b, 1.0);
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i] == Approx(exact[i]).margin(1e-12));
  CHECK(solvers::max_row_abs_sum(g, w, kNodes) < 1.0);
}

TEST_CASE("linear fixed point gradients equal finite differences for every solve method", "[implicit]") {
  RandomStream rng(5, 0);
  const nn::EdgeIndex g = awkward_graph();
  const Tensor w = contracting_weights(g, 2, rng);
  const Tensor b = Tensor::uniform({kNodes, 2}, -1, 1, rng, DType::f64);
  for (auto method : {solvers::LinearSolveMethod::picard, solvers::LinearSolveMethod::anderson,
                      solvers::LinearSolveMethod::direct}) {
    solvers::LinearFixedPointOptions options;
    options.forward = options.adjoint = method;
    options.iteration.tolerance = 1e-14;
    options.iteration.max_iterations = 10000;
    test::require_gradcheck(
        [&](const std::vector<Tensor>& in) { return solvers::linear_fixed_point(g, in[0], in[1], 0.8, options); },
        {w, b}, 1e-6);
  }
}

TEST_CASE("unrolled back-propagation approaches the implicit gradient like γ^K", "[implicit]") {
  RandomStream rng(6, 0);
  const nn::EdgeIndex g = awkward_graph();
  const double gamma = 0.7;
  const Tensor w = contracting_weights(g, 1, rng).set_requires_grad();
  const Tensor b = Tensor::uniform({kNodes, 1}, -1, 1, rng, DType::f64).set_requires_grad();
  const Tensor target = Tensor::uniform({kNodes, 1}, -1, 1, rng, DType::f64);
  auto loss_of = [&](const Tensor& x) { return nn::sum(nn::square(nn::sub(x, target))); };
  const auto implicit = nn::grad(loss_of(solvers::linear_fixed_point(g, w, b, gamma)), {w, b});
  auto unrolled_error = [&](int steps) {
    Tensor x = Tensor::zeros({kNodes, 1}, DType::f64);
    for (int k = 0; k < steps; ++k) x = sparse_map(g, x, w, b, gamma);
    const auto unrolled = nn::grad(loss_of(x), {w, b});
    double worst = 0;
    for (int i = 0; i < 2; ++i) worst = std::max(worst, nn::norm(nn::sub(unrolled[i], implicit[i])).item());
    return worst;
  };
  const double e10 = unrolled_error(10), e20 = unrolled_error(20), e40 = unrolled_error(40);
  CHECK(e40 < 1e-5);
  // The error is O(K γ^K) (the adjoint and the primal iterates both converge at rate ≤ γ‖A‖∞ < γ).
  CHECK(e20 < e10 * 30 * std::pow(gamma, 10));
  CHECK(e40 < e20 * 30 * std::pow(gamma, 20));
  CHECK(e40 < e20);
}

TEST_CASE("the generic tape-based fixed point matches the sparse layer; both adjoint methods", "[implicit]") {
  RandomStream rng(7, 0);
  const nn::EdgeIndex g = awkward_graph();
  const double gamma = 0.9;
  const Tensor w = contracting_weights(g, 2, rng).set_requires_grad();
  const Tensor b = Tensor::uniform({kNodes, 2}, -1, 1, rng, DType::f64).set_requires_grad();
  const Tensor probe = Tensor::uniform({kNodes, 2}, -1, 1, rng, DType::f64);
  solvers::LinearFixedPointOptions sparse_options;
  sparse_options.forward = sparse_options.adjoint = solvers::LinearSolveMethod::direct;
  const auto expected = nn::grad(nn::sum(nn::mul(solvers::linear_fixed_point(g, w, b, gamma, sparse_options), probe)),
                                 {w, b});
  for (auto adjoint : {solvers::AdjointMethod::fixed_point, solvers::AdjointMethod::gmres}) {
    solvers::ImplicitOptions options;
    options.forward.tolerance = options.adjoint_iteration.tolerance = options.adjoint_gmres.tolerance = 1e-13;
    options.adjoint = adjoint;
    auto report = std::make_shared<solvers::ImplicitReport>();
    const Tensor x = solvers::custom_fixed_point(
        [&](const Tensor& xs, const std::vector<Tensor>& p) { return sparse_map(g, xs, p[0], p[1], gamma); },
        Tensor::zeros({kNodes, 2}, DType::f64), {w, b}, options, report);
    const auto got = nn::grad(nn::sum(nn::mul(x, probe)), {w, b});
    CHECK(report->forward.converged);
    CHECK(report->backward_ran);
    CHECK(report->adjoint_converged);
    for (int i = 0; i < 2; ++i) {
      const auto a = got[i].to_vector(), e = expected[i].to_vector();
      for (std::size_t k = 0; k < a.size(); ++k) CHECK(a[k] == Approx(e[k]).margin(1e-10));
    }
  }
}

TEST_CASE("custom_root: gradients of a nonlinear root equal finite differences", "[implicit]") {
  // x³ + θ₁ x − θ₂ = 0 element-wise (θ₁ > 0: one real root), solved by Newton outside the tape.
  RandomStream rng(8, 0);
  const Tensor t1 = Tensor::uniform({4}, 0.5, 2.0, rng, DType::f64);
  const Tensor t2 = Tensor::uniform({4}, -2.0, 2.0, rng, DType::f64);
  auto condition = [](const Tensor& x, const std::vector<Tensor>& p) {
    return nn::sub(nn::add(nn::pow(x, 3.0), nn::mul(p[0], x)), p[1]);
  };
  auto newton = [](const Tensor& x0, const std::vector<Tensor>& p) {
    std::vector<double> x = x0.to_vector();
    const auto a = p[0].to_vector(), c = p[1].to_vector();
    for (std::size_t i = 0; i < x.size(); ++i)
      for (int k = 0; k < 60; ++k) x[i] -= (x[i] * x[i] * x[i] + a[i] * x[i] - c[i]) / (3 * x[i] * x[i] + a[i]);
    return Tensor::from_vector(x, x0.shape(), x0.dtype());
  };
  solvers::ImplicitOptions options;
  options.adjoint_gmres.tolerance = 1e-14;
  test::require_gradcheck(
      [&](const std::vector<Tensor>& in) {
        return solvers::custom_root(condition, newton, Tensor::zeros({4}, DType::f64), in, options);
      },
      {t1, t2}, 1e-6);
}

TEST_CASE("non-convergence is reported, not hidden", "[implicit]") {
  RandomStream rng(9, 0);
  const nn::EdgeIndex g = awkward_graph();
  const Tensor w = nn::mul(contracting_weights(g, 1, rng), 3.0);  // γ‖A‖∞ ≈ 2.9: no contraction
  const Tensor b = Tensor::uniform({kNodes, 1}, -1, 1, rng, DType::f64);
  solvers::LinearFixedPointOptions options;
  options.forward = solvers::LinearSolveMethod::picard;
  options.iteration.max_iterations = 50;
  auto report = std::make_shared<solvers::LinearFixedPointReport>();
  solvers::linear_fixed_point(g, w, b, 1.0, options, report);
  CHECK_FALSE(report->forward_converged);
  CHECK(report->forward_residual > 1e-3);
}

TEST_CASE("GMRES solves a non-symmetric system to its tolerance, across restarts", "[implicit]") {
  RandomStream rng(10, 0);
  const int n = 40;
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(n, n) * 4;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) a(i, j) += (rng.uniform() - 0.5) * 0.3;
  std::vector<double> b(n), x(n, 0.0);
  for (auto& v : b) v = rng.uniform();
  solvers::GmresOptions options;
  options.restart = 5;
  options.tolerance = 1e-12;
  const auto status = solvers::gmres(
      [&](std::span<const double> v, std::span<double> out) {
        Eigen::Map<Eigen::VectorXd>(out.data(), n) = a * Eigen::Map<const Eigen::VectorXd>(v.data(), n);
      },
      b, x, options);
  CHECK(status.converged);
  const Eigen::VectorXd exact = a.partialPivLu().solve(Eigen::Map<Eigen::VectorXd>(b.data(), n));
  for (int i = 0; i < n; ++i) CHECK(x[i] == Approx(exact(i)).margin(1e-10));
}

TEST_CASE("an implicit layer's graph is freed once its outputs are gone (no reference cycle)", "[implicit]") {
  RandomStream rng(11, 0);
  const nn::EdgeIndex g = awkward_graph();
  const Tensor w = contracting_weights(g, 1, rng).set_requires_grad();
  std::weak_ptr<nn::TensorImpl> watched;
  {
    const Tensor b = nn::mul(Tensor::uniform({kNodes, 1}, -1, 1, rng, DType::f64).set_requires_grad(), 2.0);
    watched = b.impl_ptr();
    const Tensor x = solvers::custom_fixed_point(
        [&](const Tensor& xs, const std::vector<Tensor>& p) { return sparse_map(g, xs, p[0], p[1], 0.5); },
        Tensor::zeros({kNodes, 1}, DType::f64), {w, b});
    nn::sum(x).backward();
    CHECK(!watched.expired());
  }
  CHECK(watched.expired());
}

TEST_CASE("the amplification reported is ‖x‖∞/‖b‖∞, 1/(1 − γw) for one node with a self-loop", "[implicit]") {
  nn::EdgeIndex loop;
  loop.src = {0};
  loop.dst = {0};
  for (auto method : {solvers::LinearSolveMethod::direct, solvers::LinearSolveMethod::anderson}) {
    solvers::LinearFixedPointOptions options;
    options.forward = method;
    auto report = std::make_shared<solvers::LinearFixedPointReport>();
    const Tensor x = solvers::linear_fixed_point(loop, Tensor::full({1, 1}, 0.999, DType::f64),
                                                 Tensor::full({1, 1}, -2.0, DType::f64), 1.0, options, report);
    CHECK(x.item() == Approx(-2000.0).epsilon(1e-9));
    CHECK(report->amplification == Approx(1000.0).epsilon(1e-9));
  }
}
