// anneal's conjugate-direction iteration (DCDM's outer loop) against independent references: the
// textbook CG recurrence (the identity proposer with one kept direction must reproduce it), a
// sparse Cholesky solve (Eigen) for the solution, and the defining property of the method — the
// A-norm of the error never increases, whatever the proposer returns.
#include <catch2/catch.hpp>

#include <Eigen/SparseCholesky>
#include <cmath>

#include "core/rng.hpp"
#include "solvers/krylov/conjugate_directions.hpp"
#include "tests/support/csr_eigen.hpp"

using namespace anneal;
using namespace anneal::solvers;

namespace {

// A 3-D Laplacian with one cell pinned (SPD) and a solid block (identity rows).
CsrMatrix test_matrix(long n) {
  CellLattice lattice;
  lattice.cells = {n, n + 1, n - 1};
  std::vector<CellType> types(static_cast<std::size_t>(lattice.count()), CellType::fluid);
  types[static_cast<std::size_t>(lattice.index(2, 2, 2))] = CellType::solid;
  auto a = assemble_laplacian(lattice, types);
  a.data[0] += 1.0;
  return a;
}


std::vector<double> random_vector(long n, std::uint64_t seed) {
  RandomStream rng(seed, 0);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = rng.normal();
  return v;
}

double a_norm_error(const CsrMatrix& a, std::span<const double> x, const Eigen::VectorXd& exact) {
  std::vector<double> e(x.size()), ae(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) e[i] = x[i] - exact[static_cast<Eigen::Index>(i)];
  multiply(a, e, ae);
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += e[i] * ae[i];
  return std::sqrt(s);
}

}  // namespace

TEST_CASE("conjugate directions: the identity proposer with one kept direction is textbook CG", "[solvers]") {
  const auto a = test_matrix(6);
  const auto n = static_cast<std::size_t>(a.rows);
  const auto b = random_vector(a.rows, 1);

  // Hestenes–Stiefel: β = (r_{k+1}·r_{k+1})/(r_k·r_k).
  std::vector<double> x(n, 0.0), r = b, p = b, ap(n), cg_history;
  double rr = 0;
  for (double v : r) rr += v * v;
  const double b_norm = std::sqrt(rr);
  cg_history.push_back(1.0);
  for (int k = 0; k < 40; ++k) {
    multiply(a, p, ap);
    double pap = 0;
    for (std::size_t i = 0; i < n; ++i) pap += p[i] * ap[i];
    const double alpha = rr / pap;
    double rr_new = 0;
    for (std::size_t i = 0; i < n; ++i) {
      x[i] += alpha * p[i];
      r[i] -= alpha * ap[i];
      rr_new += r[i] * r[i];
    }
    for (std::size_t i = 0; i < n; ++i) p[i] = r[i] + rr_new / rr * p[i];
    rr = rr_new;
    cg_history.push_back(std::sqrt(rr) / b_norm);
  }

  std::vector<double> y(n, 0.0);
  ConjugateDirectionSettings settings;
  settings.orthogonalize_against = 1;
  settings.max_iterations = 40;
  settings.rtol = 0;
  const auto report = solve_conjugate_directions(
      a, b, y, [](std::span<const double> r_hat, std::span<double> q) { std::copy(r_hat.begin(), r_hat.end(), q.begin()); },
      settings);
  REQUIRE(report.relative_residual.size() == cg_history.size());
  for (std::size_t k = 0; k < cg_history.size(); ++k)
    CHECK(report.relative_residual[k] == Approx(cg_history[k]).epsilon(1e-8).margin(1e-14));
  for (std::size_t i = 0; i < n; ++i) CHECK(y[i] == Approx(x[i]).epsilon(1e-9).margin(1e-12));
  CHECK(report.reason == "DIVERGED_ITS");
  CHECK_FALSE(report.converged);
}

TEST_CASE("conjugate directions: the A-norm error never grows, even with a garbage proposer", "[solvers]") {
  // Small: random directions reduce the error slowly (one random line search per step).
  const auto a = test_matrix(5);
  const auto n = static_cast<std::size_t>(a.rows);
  const auto b = random_vector(a.rows, 2);
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> direct(anneal::test::to_sparse(a));
  const Eigen::VectorXd exact = direct.solve(Eigen::Map<const Eigen::VectorXd>(b.data(), a.rows));

  for (const char* kind : {"random", "nonlinear"}) {
    SECTION(kind) {
      auto rng = std::make_shared<RandomStream>(3, 0);
      const std::string which = kind;
      const DirectionProposer propose = [rng, which](std::span<const double> r, std::span<double> q) {
        for (std::size_t i = 0; i < r.size(); ++i)
          q[i] = which == "random" ? rng->normal() : r[i] / 6.0 + 0.3 * std::tanh(3 * r[i] * std::sqrt(double(r.size())));
      };
      std::vector<double> x(n, 0.0);
      std::vector<double> errors{a_norm_error(a, x, exact)};
      // Record the error after every step through the monitor (x is updated in place).
      ConjugateDirectionSettings settings;
      // Random directions shrink the error slowly (one random line search per step): only the
      // nonlinear proposer is run to convergence.
      const bool random = which == "random";
      settings.rtol = random ? 0.0 : 1e-10;
      settings.max_iterations = random ? 2000 : 5000;
      settings.monitor = [&](int k, double) {
        if (k > 0) errors.push_back(a_norm_error(a, x, exact));
      };
      const auto report = solve_conjugate_directions(a, b, x, propose, settings);
      INFO(kind << ": " << report.iterations << " iterations, " << report.reason);
      for (std::size_t k = 1; k < errors.size(); ++k) CHECK(errors[k] <= errors[k - 1] * (1 + 1e-12));
      if (random) {
        CHECK(errors.back() < errors.front());
        return;
      }
      REQUIRE(report.converged);
      CHECK(report.true_relative_residual <= 2e-10);
      double diff = 0, norm = 0;
      for (std::size_t i = 0; i < n; ++i) {
        diff = std::max(diff, std::abs(x[i] - exact[static_cast<Eigen::Index>(i)]));
        norm = std::max(norm, std::abs(exact[static_cast<Eigen::Index>(i)]));
      }
      CHECK(diff <= 1e-7 * norm);
    }
  }
}

TEST_CASE("conjugate directions: breakdown and the iteration limit are reported, not hidden", "[solvers]") {
  const auto a = test_matrix(5);
  const auto b = random_vector(a.rows, 4);
  std::vector<double> x(b.size(), 0.0);
  const auto zero = solve_conjugate_directions(
      a, b, x, [](std::span<const double>, std::span<double> q) { std::fill(q.begin(), q.end(), 0.0); }, {});
  CHECK_FALSE(zero.converged);
  CHECK(zero.reason == "DIVERGED_BREAKDOWN");
  CHECK(zero.iterations == 0);

  ConjugateDirectionSettings few;
  few.max_iterations = 3;
  const auto limited = solve_conjugate_directions(
      a, b, x, [](std::span<const double> r, std::span<double> q) { std::copy(r.begin(), r.end(), q.begin()); }, few);
  CHECK_FALSE(limited.converged);
  CHECK(limited.reason == "DIVERGED_ITS");
  CHECK(limited.iterations == 3);
  CHECK(limited.relative_residual.size() == 4);
}
