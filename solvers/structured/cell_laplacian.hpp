#pragma once
// The cell-centred finite-volume Laplacian of incompressible-flow projections and of the Poisson
// systems studied by the DCDM solver: −∇²h² with zero-flux (Neumann) or Dirichlet (u = 0 outside)
// walls and solid cells, periodic axes wrapping. Solid cells are decoupled (an identity row), so the
// operator stays symmetric positive semi-definite; with zero-flux walls only, its null space is the
// constants on each connected set of fluid cells.
#include <array>
#include <cstdint>
#include <vector>

namespace anneal::solvers {

enum class CellType : std::uint8_t { fluid = 0, solid = 1 };

// What lies beyond a wall. zero_flux: nothing flows through (Neumann, ∂u/∂n = 0; the flow solver's
// walls). dirichlet: a layer of "empty" (air) cells held at u = 0, as free surfaces are in fluid
// codes and in the DCDM paper's systems: the face keeps its weight on the diagonal and couples to
// nothing, which makes the operator definite on every fluid region touching such a wall.
enum class Wall : std::uint8_t { zero_flux = 0, dirichlet = 1 };

struct CellLattice {
  std::array<long, 3> cells{1, 1, 1};          // nx, ny, nz (nz = 1 in 2-D)
  std::array<bool, 3> periodic{false, false, false};
  std::array<double, 3> spacing{1.0, 1.0, 1.0};  // hx, hy, hz
  int dim = 3;
  // walls[axis][0] at the low end, walls[axis][1] at the high end; zero_flux on a periodic axis
  // (assemble_laplacian refuses a Dirichlet wall there).
  std::array<std::array<Wall, 2>, 3> walls{};  // all zero_flux

  long count() const { return cells[0] * cells[1] * cells[2]; }
  long index(long i, long j, long k) const { return (k * cells[1] + j) * cells[0] + i; }  // natural order
  // The weight of a face normal to `axis`: (hx / h_axis)², so that an isotropic grid has the
  // integer stencil (−1 per open face, the count of open faces on the diagonal) the DCDM paper uses.
  double face_weight(int axis) const {
    const double r = spacing[0] / spacing[static_cast<std::size_t>(axis)];
    return r * r;
  }
};

// Calls emit(i, j, k, value) for every entry of row (i, j, k). `type(i, j, k)` gives the cell type
// of any cell inside the domain (indices already wrapped on periodic axes).
template <class TypeAt, class Emit>
void laplacian_row(const CellLattice& lattice, long i, long j, long k, const TypeAt& type, const Emit& emit) {
  if (type(i, j, k) != CellType::fluid) {
    emit(i, j, k, 1.0);
    return;
  }
  const std::array<long, 3> p{i, j, k};
  double diagonal = 0;
  for (int axis = 0; axis < lattice.dim; ++axis) {
    const auto a = static_cast<std::size_t>(axis);
    for (long side : {-1L, 1L}) {
      std::array<long, 3> q = p;
      q[a] += side;
      if (q[a] < 0 || q[a] >= lattice.cells[a]) {
        if (!lattice.periodic[a]) {
          // A zero-flux wall adds nothing; a Dirichlet wall is a neighbour whose value is 0.
          if (lattice.walls[a][side < 0 ? 0 : 1] == Wall::dirichlet) diagonal += lattice.face_weight(axis);
          continue;
        }
        q[a] = (q[a] + lattice.cells[a]) % lattice.cells[a];
      }
      if (q == p || type(q[0], q[1], q[2]) != CellType::fluid) continue;
      const double w = lattice.face_weight(axis);
      emit(q[0], q[1], q[2], -w);
      diagonal += w;
    }
  }
  // A fluid cell walled in on every side is its own component; keep the row regular.
  emit(i, j, k, diagonal > 0 ? diagonal : 1.0);
}

struct CsrMatrix {
  std::vector<std::int64_t> indptr, indices;
  std::vector<double> data;
  long rows = 0;
};

// The whole operator in natural ordering (row = (k·ny + j)·nx + i), columns sorted in each row;
// duplicate columns (an axis of 2 periodic cells) are summed.
CsrMatrix assemble_laplacian(const CellLattice& lattice, const std::vector<CellType>& types);

}  // namespace anneal::solvers
