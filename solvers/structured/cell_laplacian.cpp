#include "solvers/structured/cell_laplacian.hpp"

#include <algorithm>
#include <utility>

#include "core/error.hpp"

namespace anneal::solvers {

CsrMatrix assemble_laplacian(const CellLattice& lattice, const std::vector<CellType>& types) {
  ANNEAL_CHECK(static_cast<long>(types.size()) == lattice.count(), "cell types: {} entries for {} cells",
               types.size(), lattice.count());
  for (std::size_t a = 0; a < 3; ++a) {
    const bool walled = lattice.walls[a][0] == Wall::dirichlet || lattice.walls[a][1] == Wall::dirichlet;
    ANNEAL_CHECK(!lattice.periodic[a] || !walled,
                 "axis {} is periodic and has a Dirichlet wall: a periodic axis has no walls", "xyz"[a]);
  }
  CsrMatrix m;
  m.rows = lattice.count();
  m.indptr.reserve(static_cast<std::size_t>(m.rows) + 1);
  m.indptr.push_back(0);
  const auto type = [&](long i, long j, long k) { return types[static_cast<std::size_t>(lattice.index(i, j, k))]; };
  std::vector<std::pair<std::int64_t, double>> row;
  for (long k = 0; k < lattice.cells[2]; ++k)
    for (long j = 0; j < lattice.cells[1]; ++j)
      for (long i = 0; i < lattice.cells[0]; ++i) {
        row.clear();
        laplacian_row(lattice, i, j, k, type,
                      [&](long c, long b, long a, double v) { row.emplace_back(lattice.index(c, b, a), v); });
        std::sort(row.begin(), row.end());
        for (std::size_t e = 0; e < row.size(); ++e) {
          if (e > 0 && row[e].first == m.indices.back()) {
            m.data.back() += row[e].second;
            continue;
          }
          m.indices.push_back(row[e].first);
          m.data.push_back(row[e].second);
        }
        m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
      }
  return m;
}

}  // namespace anneal::solvers
