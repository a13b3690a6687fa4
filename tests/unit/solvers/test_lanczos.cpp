// Lanczos with full reorthogonalisation against independent answers: Eigen's dense eigensolver
// (k = n on a definite matrix), the analytic spectrum of the Neumann cell Laplacian
// (Σ_axes 2 − 2cos(kπ/N)), the direct residual ‖A y − θ y‖ of formed Ritz vectors, and QᵀQ = I.
// GCC 12 reports -Wuninitialized inside its own AVX-512 headers when Eigen's dense kernels inline
// (the libraries turn it off in CMake: solvers/CMakeLists.txt); this reference code needs the same.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Dense>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/threads.hpp"
#include "solvers/krylov/conjugate_directions.hpp"
#include "solvers/krylov/lanczos.hpp"
#include "solvers/structured/cell_laplacian.hpp"

using namespace anneal::solvers;

namespace {

CsrMatrix neumann_laplacian(long nx, long ny, long nz) {
  CellLattice lattice;
  lattice.cells = {nx, ny, nz};
  return assemble_laplacian(lattice, std::vector<CellType>(static_cast<std::size_t>(lattice.count()), CellType::fluid));
}

std::vector<double> randn(std::size_t n, std::uint64_t seed) {
  anneal::RandomStream rng(seed, 0);
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal();
  return v;
}

std::vector<double> times(const CsrMatrix& a, const std::vector<double>& x) {
  std::vector<double> y(x.size());
  multiply(a, x, y);
  return y;
}

Eigen::MatrixXd dense(const CsrMatrix& a) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(a.rows, a.rows);
  for (long r = 0; r < a.rows; ++r)
    for (auto e = a.indptr[static_cast<std::size_t>(r)]; e < a.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      m(r, a.indices[static_cast<std::size_t>(e)]) += a.data[static_cast<std::size_t>(e)];
  return m;
}

Eigen::MatrixXd basis_matrix(const LanczosBasis& q) {
  Eigen::MatrixXd m(q.rows(), q.columns());
  for (int j = 0; j < q.columns(); ++j)
    q.column(j, std::span<double>(m.col(j).data(), static_cast<std::size_t>(q.rows())));
  return m;
}

// max |QᵀQ − I|, by column dot products (Eigen's dense GEMM trips GCC 12's -Wuninitialized here).
double orthogonality_error(const LanczosBasis& q) {
  const Eigen::MatrixXd m = basis_matrix(q);
  double worst = 0;
  for (int i = 0; i < q.columns(); ++i)
    for (int j = 0; j <= i; ++j) worst = std::max(worst, std::abs(m.col(i).dot(m.col(j)) - (i == j ? 1.0 : 0.0)));
  return worst;
}

// The distinct nonzero eigenvalues of the Neumann cell Laplacian on nx × ny × nz cells (unit spacing):
// sums of the 1-D values 2 − 2cos(kπ/N), k = 0 … N − 1, merged when closer than 1e-9.
std::vector<double> neumann_spectrum(std::array<long, 3> cells) {
  std::vector<double> all;
  auto one = [](long k, long n) {
    return 2 - 2 * std::cos(std::numbers::pi * static_cast<double>(k) / static_cast<double>(n));
  };
  for (long i = 0; i < cells[0]; ++i)
    for (long j = 0; j < cells[1]; ++j)
      for (long k = 0; k < cells[2]; ++k) all.push_back(one(i, cells[0]) + one(j, cells[1]) + one(k, cells[2]));
  std::sort(all.begin(), all.end());
  std::vector<double> distinct;
  for (double v : all)
    if (v > 1e-9 && (distinct.empty() || v - distinct.back() > 1e-9)) distinct.push_back(v);
  return distinct;
}

}  // namespace

TEST_CASE("Lanczos: k = n on a definite matrix gives its whole spectrum and an orthonormal basis",
          "[solvers][lanczos]") {
  // The Neumann Laplacian plus a random positive diagonal: SPD with distinct eigenvalues, so the
  // Krylov space of a random start vector is the whole space.
  CsrMatrix a = neumann_laplacian(6, 5, 4);
  anneal::RandomStream rng(7, 1);
  for (long r = 0; r < a.rows; ++r)
    for (auto e = a.indptr[static_cast<std::size_t>(r)]; e < a.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      if (a.indices[static_cast<std::size_t>(e)] == r) a.data[static_cast<std::size_t>(e)] += 0.5 + rng.uniform();
  const auto n = static_cast<int>(a.rows);

  LanczosSettings settings;
  settings.steps = n;
  const LanczosResult run = lanczos(a, randn(static_cast<std::size_t>(n), 3), settings);
  REQUIRE(run.steps() == n);
  CHECK_FALSE(run.breakdown);
  CHECK(run.basis.columns() == n);
  CHECK(orthogonality_error(run.basis) < 1e-12);

  const Eigen::MatrixXd ad = dense(a);
  const Eigen::VectorXd exact =
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(ad, Eigen::EigenvaluesOnly).eigenvalues();
  const RitzPairs ritz = ritz_pairs(run);
  REQUIRE(ritz.size() == n);
  CHECK(ritz.dropped == 0);
  for (int i = 0; i < n; ++i) CHECK(ritz.values[static_cast<std::size_t>(i)] == Approx(exact[i]).margin(1e-8));

  // T really is QᵀAQ.
  const Eigen::MatrixXd q = basis_matrix(run.basis);
  for (int j = 0; j < n; ++j) {
    const Eigen::VectorXd aq = ad * q.col(j);
    CHECK(q.col(j).dot(aq) == Approx(run.alpha[static_cast<std::size_t>(j)]).margin(1e-12));
    if (j + 1 < n) CHECK(q.col(j + 1).dot(aq) == Approx(run.beta[static_cast<std::size_t>(j)]).margin(1e-12));
    for (int i = 0; i + 1 < j; ++i) CHECK(std::abs(q.col(i).dot(aq)) < 1e-12);
  }
}

TEST_CASE("Lanczos: on the singular Neumann Laplacian from A·randn it finds the analytic spectrum, then breaks down",
          "[solvers][lanczos]") {
  const std::array<long, 3> cells{6, 5, 4};
  const CsrMatrix a = neumann_laplacian(cells[0], cells[1], cells[2]);
  const std::vector<double> expected = neumann_spectrum(cells);
  LanczosSettings settings;
  settings.steps = static_cast<int>(a.rows);
  std::vector<std::pair<int, int>> calls;
  settings.progress = [&](int step, int total) { calls.emplace_back(step, total); };
  const LanczosResult run = lanczos(a, times(a, randn(static_cast<std::size_t>(a.rows), 11)), settings);

  // In exact arithmetic A·randn spans one dimension per distinct nonzero eigenvalue (87 here). In
  // floating point, rounding seeds the other directions of the degenerate eigenspaces and the null
  // space, and the Krylov space grows until it is invariant to rounding: before n steps, never
  // below the distinct count.
  CHECK(run.breakdown);
  CHECK(run.steps() < static_cast<int>(a.rows));
  CHECK(run.steps() >= static_cast<int>(expected.size()));
  CHECK(orthogonality_error(run.basis) < 1e-12);
  const RitzPairs ritz = ritz_pairs(run);
  // The null space's Ritz values fall below the cutoff; every other one is an eigenvalue, and every
  // distinct eigenvalue is found.
  CHECK(ritz.dropped == run.steps() - ritz.size());
  CHECK(ritz.dropped <= 1);
  auto nearest = [](const std::vector<double>& sorted, double v) {
    double best = INFINITY;
    for (double s : sorted) best = std::min(best, std::abs(s - v));
    return best;
  };
  for (double theta : ritz.values) CHECK(nearest(expected, theta) < 1e-8);
  for (double lambda : expected) CHECK(nearest(ritz.values, lambda) < 1e-8);

  REQUIRE(calls.size() == static_cast<std::size_t>(run.steps()));
  for (std::size_t i = 0; i < calls.size(); ++i) {
    CHECK(calls[i].first == static_cast<int>(i) + 1);
    CHECK(calls[i].second == static_cast<int>(a.rows));
  }
}

TEST_CASE("Lanczos: with k < n the extreme Ritz pairs converge and their residual bounds are the true residuals",
          "[solvers][lanczos]") {
  const std::array<long, 3> cells{16, 16, 16};
  const CsrMatrix a = neumann_laplacian(cells[0], cells[1], cells[2]);
  const auto n = static_cast<std::size_t>(a.rows);
  const std::vector<double> spectrum = neumann_spectrum(cells);
  LanczosSettings settings;
  settings.steps = 60;
  const LanczosResult run = lanczos(a, times(a, randn(n, 5)), settings);
  REQUIRE(run.steps() == 60);
  CHECK_FALSE(run.breakdown);
  CHECK(orthogonality_error(run.basis) < 1e-12);

  const RitzPairs ritz = ritz_pairs(run);
  REQUIRE(ritz.size() == 60);
  // Cauchy interlacing: the Krylov space lies in range(A), so every Ritz value lies within A's
  // nonzero spectrum.
  CHECK(ritz.values.front() >= spectrum.front() - 1e-10);
  CHECK(ritz.values.back() <= spectrum.back() + 1e-10);
  // The largest eigenvalue, 3(2 − 2cos(15π/16)), is well separated and converges first.
  CHECK(ritz.values.back() == Approx(spectrum.back()).margin(1e-8));

  std::vector<double> y(n), ay(n);
  for (int i : {0, 1, 57, 58, 59}) {
    ritz_vector(run, ritz, i, y);
    multiply(a, y, ay);
    double norm2 = 0, residual2 = 0;
    const double theta = ritz.values[static_cast<std::size_t>(i)];
    for (std::size_t r = 0; r < n; ++r) {
      norm2 += y[r] * y[r];
      residual2 += (ay[r] - theta * y[r]) * (ay[r] - theta * y[r]);
    }
    CHECK(std::sqrt(norm2) == Approx(1).margin(1e-12));
    // A Q = Q T + β_k q_{k+1} e_kᵀ makes A y − θ y = β_k (e_kᵀ s) q_{k+1}.
    CHECK(std::sqrt(residual2) == Approx(ritz.residual_bounds[static_cast<std::size_t>(i)]).margin(1e-10));
  }
  CHECK(ritz.residual_bounds.back() < 1e-4);
}

TEST_CASE("Lanczos: deflation keeps a singular matrix's null space out of the Krylov space", "[solvers][lanczos]") {
  const CsrMatrix a = neumann_laplacian(8, 8, 8);
  const auto n = static_cast<std::size_t>(a.rows);
  const std::vector<double> start = times(a, randn(n, 5));
  auto null_component = [&](const LanczosBasis& q) {
    double worst = 0;
    std::vector<double> v(n);
    for (int j = 0; j < q.columns(); ++j) {
      q.column(j, v);
      double sum = 0;
      for (double x : v) sum += x;
      worst = std::max(worst, std::abs(sum) / std::sqrt(static_cast<double>(n)));
    }
    return worst;
  };
  LanczosSettings settings;
  settings.steps = 60;
  const LanczosResult plain = lanczos(a, start, settings);
  settings.deflation = {std::vector<double>(n, 3.0)};  // any scale: orthonormalised inside
  const LanczosResult deflated = lanczos(a, start, settings);
  // Rounding lets the constants in, and the iteration amplifies them (see LanczosSettings).
  CHECK(null_component(plain.basis) > 1e-8);
  CHECK(null_component(deflated.basis) < 1e-13);
  CHECK(orthogonality_error(deflated.basis) < 1e-12);
  const RitzPairs p = ritz_pairs(plain), d = ritz_pairs(deflated);
  REQUIRE(p.size() == d.size());
  CHECK(d.values.back() == Approx(p.values.back()).margin(1e-10));
  CHECK(d.values.front() >= neumann_spectrum({8, 8, 8}).front() - 1e-10);

  settings.deflation = {std::vector<double>(n, 1.0), std::vector<double>(n, 2.0)};
  CHECK_THROWS_WITH(lanczos(a, start, settings), Catch::Contains("combination"));
  settings.deflation = {std::vector<double>(n, 1.0)};
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>(n, 1.0), settings), Catch::Contains("span of the deflation"));
}

TEST_CASE("Lanczos: an f32 basis halves the memory and keeps Ritz values to f32 accuracy", "[solvers][lanczos]") {
  const CsrMatrix a = neumann_laplacian(16, 16, 16);
  const auto n = static_cast<std::size_t>(a.rows);
  const std::vector<double> start = times(a, randn(n, 5));
  LanczosSettings settings;
  settings.steps = 60;
  const LanczosResult full = lanczos(a, start, settings);
  settings.basis = BasisPrecision::f32;
  const LanczosResult half = lanczos(a, start, settings);
  REQUIRE(half.steps() == 60);
  CHECK(half.basis.bytes() == n * 60 * sizeof(float));
  CHECK(full.basis.bytes() == n * 60 * sizeof(double));
  CHECK(lanczos_memory_bytes(a.rows, 60, BasisPrecision::f32) < lanczos_memory_bytes(a.rows, 60, BasisPrecision::f64));
  CHECK(orthogonality_error(half.basis) < 1e-6);
  const RitzPairs a64 = ritz_pairs(full), a32 = ritz_pairs(half);
  REQUIRE(a32.size() == a64.size());
  // The extreme values have converged in both; interior ones depend on the rounding of the basis.
  for (int i : {0, 1, a64.size() - 2, a64.size() - 1})
    CHECK(a32.values[static_cast<std::size_t>(i)] == Approx(a64.values[static_cast<std::size_t>(i)]).margin(1e-5));
}

TEST_CASE("Lanczos: results do not depend on the number of threads", "[solvers][lanczos]") {
  const CsrMatrix a = neumann_laplacian(20, 20, 20);  // 8000 rows: several row blocks
  const std::vector<double> start = times(a, randn(static_cast<std::size_t>(a.rows), 9));
  LanczosSettings settings;
  settings.steps = 30;
  auto run_with = [&](int threads) {
    anneal::ThreadLimit limit(threads);
    LanczosResult r = lanczos(a, start, settings);
    const RitzPairs ritz = ritz_pairs(r);
    std::vector<double> y(static_cast<std::size_t>(a.rows));
    ritz_vector(r, ritz, ritz.size() - 1, y);
    return std::make_pair(std::move(r), y);
  };
  const auto [one, y1] = run_with(1);
  const auto [two, y2] = run_with(2);
  CHECK(one.alpha == two.alpha);
  CHECK(one.beta == two.beta);
  CHECK(basis_matrix(one.basis) == basis_matrix(two.basis));
  CHECK(y1 == y2);
}

TEST_CASE("Lanczos: an eigenvector as start vector breaks down after one exact step", "[solvers][lanczos]") {
  CsrMatrix d;  // diag(1, 2, 3, 4)
  d.rows = 4;
  d.indptr = {0, 1, 2, 3, 4};
  d.indices = {0, 1, 2, 3};
  d.data = {1, 2, 3, 4};
  LanczosSettings settings;
  settings.steps = 10;  // more than n: reduced to n
  const LanczosResult run = lanczos(d, std::vector<double>{0, 0, -2, 0}, settings);
  CHECK(run.breakdown);
  REQUIRE(run.steps() == 1);
  CHECK(run.requested_steps == 10);
  CHECK(run.alpha[0] == Approx(3));
  const RitzPairs ritz = ritz_pairs(run);
  REQUIRE(ritz.size() == 1);
  CHECK(ritz.values[0] == Approx(3));
  CHECK(ritz.residual_bounds[0] < 1e-14);

  // Without a breakdown, n steps at most.
  const LanczosResult all = lanczos(d, std::vector<double>{1, 1, 1, 1}, settings);
  CHECK(all.steps() == 4);
  CHECK_FALSE(all.breakdown);
  const RitzPairs every = ritz_pairs(all, 1.5);  // the cutoff drops θ = 1
  CHECK(every.dropped == 1);
  REQUIRE(every.size() == 3);
  CHECK(every.values[0] == Approx(2));
  CHECK(every.values[2] == Approx(4));
}

TEST_CASE("Lanczos: bad input gets a clear error", "[solvers][lanczos]") {
  CsrMatrix a;  // [[2, 1], [0, 2]]: not symmetric
  a.rows = 2;
  a.indptr = {0, 2, 3};
  a.indices = {0, 1, 1};
  a.data = {2, 1, 2};
  LanczosSettings settings;
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>{1, 1}, settings), Catch::Contains("symmetric"));
  a.indptr = {0, 2, 4};
  a.indices = {0, 1, 0, 1};
  a.data = {2, 1, 1, 2};
  CHECK_NOTHROW(lanczos(a, std::vector<double>{1, 0.5}, settings));
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>{0, 0}, settings), Catch::Contains("zero"));
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>{1, 0, 0}, settings), Catch::Contains("3 entries"));
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>{1, NAN}, settings), Catch::Contains("non-finite"));
  settings.steps = 0;
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>{1, 1}, settings), Catch::Contains("at least 1"));
  settings.steps = 2;
  a.indices = {0, 1, 0, 5};
  CHECK_THROWS_WITH(lanczos(a, std::vector<double>{1, 1}, settings), Catch::Contains("outside"));
}
