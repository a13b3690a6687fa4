#pragma once
// A Poisson system A x = b as the DCDM solver and its baselines take it: a sparse symmetric positive
// (semi-)definite matrix, a right-hand side, and, when the system lives on a grid of cells, the
// grid's extents and cell types (the CNN sees the residual as an image of that grid). Read from and
// written to the HDF5 layout of DESIGN.md §4 (`/A/indptr`, `/A/indices`, `/A/data` + `shape`, `/b`,
// optional `/x`, `/cell_type`, root attributes `grid_size`, `null_space`, ...), which is also the
// flow solver's pressure-system dump and what PETSc's MatLoad/VecLoad read.
#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/hdf5_file.hpp"
#include "io/provenance.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::physics::poisson {

// The null space a system declares. A singular Poisson matrix (zero-flux walls all round a fluid
// region) annihilates the constants on each such connected region; a solve is then consistent only
// if b is orthogonal to them, and the solution is defined up to those constants.
enum class NullSpace { none, constant };

struct PoissonSystem {
  solvers::CsrMatrix matrix;
  std::vector<double> rhs;
  std::vector<double> solution;  // optional: empty if none
  // Grid extents nx, ny, nz (nz = 1 in 2-D), natural order (k·ny + j)·nx + i; all 0 if the system
  // is not on a grid.
  std::array<long, 3> grid{0, 0, 0};
  std::array<double, 3> spacing{1.0, 1.0, 1.0};
  std::array<bool, 3> periodic{false, false, false};
  int dim = 3;
  std::vector<std::uint8_t> cell_type;  // solvers::CellType per cell ([nz][ny][nx]), or empty
  NullSpace null_space = NullSpace::none;
  // The cells of each connected component on which A·1 = 0 (see find_constant_null_space); filled
  // by the reader and the builders, used by project_out_null_space.
  std::vector<std::vector<std::int64_t>> null_components;
  std::string description;                          // what A is, in words (attribute of /A); may be empty
  std::map<std::string, io::AttrValue> attributes;  // other root attributes (the flow solver's step, time)
  std::filesystem::path source;                     // the file it was read from; empty if built in memory

  long size() const { return matrix.rows; }
};

// Reads and validates a system. Every problem is one line naming the file and the dataset: a missing
// dataset; `shape` not square or not matching /b; indptr of the wrong length or not monotone; column
// indices out of range; NaN/Inf; A not symmetric (|A − Aᵀ| > 1e-12·max|A|) or with a non-positive
// diagonal (not SPD); /cell_type or grid_size not matching A's size; a singular matrix (a component
// with zero row sums) without a declared null space.
PoissonSystem read_poisson_system(const std::filesystem::path& path);

// Writes `system` in the layout above (plus PETSc's names /A/jc, /A/ir and the attribute
// MATLAB_sparse, hard links, so PETSc's HDF5 MatLoad reads the same arrays) and /meta. Collective
// (every rank passes the same system); atomic.
void write_poisson_system(const std::filesystem::path& path, const PoissonSystem& system,
                          const io::Provenance& provenance);

// The connected components of A's graph (cells joined by non-zero off-diagonal entries) whose rows
// all sum to zero (|Σ_j a_ij| ≤ 1e-12·a_ii): A·1_C = 0 on each, so A is singular there. Sorted cell
// indices per component; components in order of their first cell.
std::vector<std::vector<std::int64_t>> find_constant_null_space(const solvers::CsrMatrix& matrix);

// Removes from `b` its mean on each of the system's null components, so that b is orthogonal to the
// null space and A x = b is consistent. A no-op for a non-singular system.
void project_out_null_space(const PoissonSystem& system, std::span<double> b);

bool has_grid(const PoissonSystem& system);
// The grid extents {nx, ny, nz}; throws, naming the source and `purpose`, if the system is not on a
// grid (e.g. a user matrix without /cell_type or grid_size given to the CNN).
std::array<long, 3> require_grid(const PoissonSystem& system, std::string_view purpose);

// The checks read_poisson_system makes after parsing, on a system in memory (errors name
// `system.source`, or "(in memory)", and the dataset the field is stored in); sorts each row's
// columns, sums duplicate entries and fills `null_components`.
void validate_poisson_system(PoissonSystem& system);

}  // namespace anneal::physics::poisson
