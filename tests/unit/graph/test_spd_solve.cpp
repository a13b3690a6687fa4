// The sparse SPD solve behind the pore and heat networks, on both of its paths, against the closed
// form of a Dirichlet chain, and its refusal of matrices that are not positive definite.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.hpp"
#include "physics/graph/spd_solve.hpp"

using namespace anneal::physics::graph;
using Catch::Matchers::Contains;

namespace {
// tridiag(−1, 2, −1) x = e₀ (a chain of unit conductances, held at 1 before node 0 and at 0 after
// the last): x_i = (n − i) / (n + 1).
void check_chain(std::int64_t n, bool iterative) {
  std::vector<MatrixEntry> entries;
  for (std::int64_t i = 0; i < n; ++i) {
    entries.push_back({i, i, 2.0});
    if (i > 0) entries.push_back({i, i - 1, -1.0});
    if (i + 1 < n) entries.push_back({i, i + 1, -1.0});
  }
  std::vector<double> b(static_cast<std::size_t>(n), 0.0);
  b[0] = 1;
  const SpdSolution s = solve_spd(n, entries, b, "chain");
  CHECK(s.iterative == iterative);
  CHECK(s.relative_residual < 1e-13);
  double worst = 0;
  for (std::int64_t i = 0; i < n; ++i)
    worst = std::max(worst, std::abs(s.x[i] - static_cast<double>(n - i) / static_cast<double>(n + 1)));
  // The chain's condition number grows as n², so the forward error may too.
  CHECK(worst < 1e-16 * static_cast<double>(n) * static_cast<double>(n));
}
}  // namespace

TEST_CASE("The SPD solve matches a closed form when factorising and when iterating", "[graph][spd]") {
  check_chain(1000, false);
  // Above the limit: CG, whose incomplete Cholesky factor of a tridiagonal matrix is exact.
  check_chain(kDirectSolveLimit + 1, true);
}

TEST_CASE("The SPD solve refuses a singular or indefinite matrix", "[graph][spd]") {
  // A free-floating Laplacian (no fixed node) is singular.
  const std::vector<MatrixEntry> laplacian = {{0, 0, 1}, {1, 1, 1}, {0, 1, -1}, {1, 0, -1}};
  CHECK_THROWS_WITH(solve_spd(2, laplacian, std::vector<double>{1, -1}, "pore solve"), Contains("pore solve"));
  const std::vector<MatrixEntry> indefinite = {{0, 0, 1}, {1, 1, -1}};
  CHECK_THROWS_WITH(solve_spd(2, indefinite, std::vector<double>{1, 1}, "heat solve"),
                    Contains("heat solve: the system matrix is not positive definite"));
  CHECK(solve_spd(0, {}, {}, "empty").x.empty());
}
