// The cell-centred Laplacian against what a 5/7-point finite-volume operator must be: symmetric,
// zero row sums on fluid cells (constants are its null space), −h²·∂² of a quadratic in the interior,
// no coupling through walls or into solids, wrap-around on periodic axes.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>

#include "solvers/structured/cell_laplacian.hpp"

using namespace anneal::solvers;

namespace {

std::map<std::pair<long, long>, double> entries(const CsrMatrix& m) {
  std::map<std::pair<long, long>, double> out;
  for (long r = 0; r < m.rows; ++r)
    for (auto e = m.indptr[static_cast<std::size_t>(r)]; e < m.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      out[{r, m.indices[static_cast<std::size_t>(e)]}] = m.data[static_cast<std::size_t>(e)];
  return out;
}

}  // namespace

TEST_CASE("cell Laplacian: symmetric, constants in its null space, exact on quadratics", "[solvers]") {
  CellLattice lattice;
  lattice.dim = 3;
  lattice.cells = {6, 5, 4};
  lattice.periodic = {true, false, false};
  lattice.spacing = {0.1, 0.2, 0.05};
  std::vector<CellType> types(static_cast<std::size_t>(lattice.count()), CellType::fluid);
  types[static_cast<std::size_t>(lattice.index(2, 2, 1))] = CellType::solid;
  const CsrMatrix a = assemble_laplacian(lattice, types);
  const auto e = entries(a);
  for (const auto& [rc, v] : e) {
    const auto t = e.find({rc.second, rc.first});
    REQUIRE(t != e.end());
    CHECK(t->second == v);
  }
  for (long r = 0; r < a.rows; ++r) {
    double sum = 0;
    for (auto k = a.indptr[static_cast<std::size_t>(r)]; k < a.indptr[static_cast<std::size_t>(r) + 1]; ++k)
      sum += a.data[static_cast<std::size_t>(k)];
    if (types[static_cast<std::size_t>(r)] == CellType::fluid) CHECK(std::abs(sum) < 1e-12);
    else CHECK(sum == 1.0);  // a solid cell: an identity row
  }
  // The solid cell is decoupled from its neighbours; walls (y, z) have no wrap-around coupling.
  CHECK(e.count({lattice.index(1, 2, 1), lattice.index(2, 2, 1)}) == 0);
  CHECK(e.count({lattice.index(0, 0, 0), lattice.index(0, 4, 0)}) == 0);
  // x is periodic: cell 0 couples to cell 5, with weight (hx / hx)² = 1.
  CHECK(e.at({lattice.index(0, 3, 2), lattice.index(5, 3, 2)}) == -1.0);
  // Weights (hx / h_a)²: y faces 0.25, z faces 4.
  CHECK(e.at({lattice.index(3, 1, 2), lattice.index(3, 2, 2)}) == Approx(-0.25));
  CHECK(e.at({lattice.index(3, 1, 2), lattice.index(3, 1, 3)}) == Approx(-4.0));

  // A p for p = z² at an interior cell away from the solid: −hx² ∂²p/∂z² = −2 hx².
  const auto z = [&](long k) { return (static_cast<double>(k) + 0.5) * lattice.spacing[2]; };
  const long row = lattice.index(4, 2, 2);
  double ap = 0;
  for (auto k = a.indptr[static_cast<std::size_t>(row)]; k < a.indptr[static_cast<std::size_t>(row) + 1]; ++k) {
    const long col = a.indices[static_cast<std::size_t>(k)];
    const long kz = col / (lattice.cells[0] * lattice.cells[1]);
    ap += a.data[static_cast<std::size_t>(k)] * z(kz) * z(kz);
  }
  CHECK(ap == Approx(-2.0 * 0.1 * 0.1).epsilon(1e-12));
}

TEST_CASE("cell Laplacian: a Dirichlet wall is a face to a zero value, on the diagonal only", "[solvers]") {
  CellLattice lattice;
  lattice.cells = {4, 3, 1};
  lattice.dim = 2;
  lattice.spacing = {0.1, 0.2, 1.0};
  lattice.walls[0][1] = Wall::dirichlet;  // x_max
  lattice.walls[1][0] = Wall::dirichlet;  // y_min
  const std::vector<CellType> types(12, CellType::fluid);
  const auto e = entries(assemble_laplacian(lattice, types));
  // Corner (3, 0): faces to (2, 0) [1] and (3, 1) [¼], plus the x_max wall [1] and the y_min wall [¼].
  CHECK(e.at({lattice.index(3, 0, 0), lattice.index(3, 0, 0)}) == Approx(2.5));
  // Corner (0, 2): zero-flux walls only, two open faces.
  CHECK(e.at({lattice.index(0, 2, 0), lattice.index(0, 2, 0)}) == Approx(1.25));
  // Nothing couples across a wall; the row sum is the Dirichlet faces' weight.
  for (long j = 0; j < 3; ++j) CHECK(e.count({lattice.index(3, j, 0), lattice.index(0, j, 0)}) == 0);
  double sum = 0;
  for (const auto& [rc, v] : e)
    if (rc.first == lattice.index(3, 0, 0)) sum += v;
  CHECK(sum == Approx(1.25));

  // A periodic axis has no walls to be Dirichlet.
  lattice.periodic[0] = true;
  CHECK_THROWS_WITH(assemble_laplacian(lattice, types), Catch::Matchers::Contains("axis x is periodic"));
}
