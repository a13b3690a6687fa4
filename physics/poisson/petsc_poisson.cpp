#include "physics/poisson/petsc_poisson.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "core/status_check.hpp"

namespace anneal::physics::poisson {
namespace {

static_assert(std::is_same_v<PetscScalar, double>, "anneal's Poisson systems need a real, double-precision PETSc");

// Block sizes for `n` cells over `parts` ranks: even, as equal as that allows, with the odd cell
// of an odd `n` in the last block, so that every block starts at an even index. Empty when `n`
// cannot give each part 2 cells.
std::vector<long> even_blocks(long n, int parts) {
  if (parts == 1) return {n};
  const long pairs = n / 2;
  if (pairs < parts) return {};
  std::vector<long> sizes(static_cast<std::size_t>(parts));
  for (int p = 0; p < parts; ++p)
    sizes[static_cast<std::size_t>(p)] = 2 * (pairs / parts + (p < pairs % parts ? 1 : 0));
  sizes.back() += n % 2;
  return sizes;
}

struct Split {
  std::array<int, 3> ranks{1, 1, 1};
  std::array<std::vector<long>, 3> blocks;
};

// Among the factorisations ranks = m·n·p whose every split axis has blocks of at least `halo`
// cells (DMDA ghosts come from neighbouring ranks only), the one whose largest ghosted box, as
// the network sees it (odd extents padded), is smallest: the CNN's cost per rank. Ties go to
// splitting z, then y, whose blocks are contiguous slabs of the natural order.
std::optional<Split> choose_split(std::array<long, 3> grid, int ranks, long halo) {
  std::optional<Split> best;
  std::tuple<long, int, int> best_key{std::numeric_limits<long>::max(), 0, 0};
  for (int m = 1; m <= ranks; ++m) {
    if (ranks % m) continue;
    for (int n = 1; n <= ranks / m; ++n) {
      if ((ranks / m) % n) continue;
      Split split;
      split.ranks = {m, n, ranks / (m * n)};
      long work = 1;
      bool feasible = true;
      for (std::size_t a = 0; a < 3 && feasible; ++a) {
        auto& blocks = split.blocks[a];
        blocks = even_blocks(grid[a], split.ranks[a]);
        feasible = !blocks.empty() && (split.ranks[a] == 1 || *std::min_element(blocks.begin(), blocks.end()) >= halo);
        long widest = 0, lo = 0;
        for (const long size : blocks) {
          const long extent = std::min(grid[a], lo + size + halo) - std::max(0L, lo - halo);
          widest = std::max(widest, extent + extent % 2);
          lo += size;
        }
        work *= widest;
      }
      if (!feasible) continue;
      const std::tuple<long, int, int> key{work, -split.ranks[2], -split.ranks[1]};
      if (key < best_key) {
        best_key = key;
        best = std::move(split);
      }
    }
  }
  return best;
}

PetscInt pi(long v) { return static_cast<PetscInt>(v); }

}  // namespace

bool PetscPoissonSystem::splits(std::array<long, 3> grid, int ranks, int halo) {
  return choose_split(grid, ranks, halo + halo % 2).has_value();
}

PetscPoissonSystem::PetscPoissonSystem(const PoissonSystem& system, int halo, MPI_Comm comm)
    : comm_(comm), halo_(halo + halo % 2), size_(system.size()), grid_(system.grid), cell_type_(system.cell_type) {
  ANNEAL_CHECK(halo >= 0, "PETSc Poisson system: the halo must be non-negative, not {}", halo);
  ANNEAL_CHECK(size_ > 0 && size_ < std::numeric_limits<PetscInt>::max(),
               "PETSc Poisson system: {} unknowns do not fit PETSc's {}-bit indices", size_, 8 * sizeof(PetscInt));
  ANNEAL_CHECK(static_cast<long>(system.rhs.size()) == size_ || system.rhs.empty(),
               "PETSc Poisson system: a right-hand side of {} entries for {} unknowns", system.rhs.size(), size_);
  try {
    decompose(system);
    assemble(system);
    attach_null_space(system);
  } catch (...) {
    destroy();
    throw;
  }
}

PetscPoissonSystem::~PetscPoissonSystem() { destroy(); }

void PetscPoissonSystem::destroy() noexcept {
  if (null_space_) MatNullSpaceDestroy(&null_space_);
  if (solution_) VecDestroy(&solution_);
  if (rhs_) VecDestroy(&rhs_);
  if (matrix_) MatDestroy(&matrix_);
  if (dm_) DMDestroy(&dm_);
}

void PetscPoissonSystem::decompose(const PoissonSystem& system) {
  int ranks = 1;
  ANNEAL_MPI_CHECK(MPI_Comm_size(comm_, &ranks));
  if (!poisson::has_grid(system)) {
    rank_grid_ = {ranks, 1, 1};
    grid_ = {0, 0, 0};
    return;  // rows as PETSc splits them, in assemble()
  }
  ANNEAL_CHECK(grid_[0] * grid_[1] * grid_[2] == size_, "PETSc Poisson system: a {}×{}×{} grid for {} unknowns",
               grid_[0], grid_[1], grid_[2], size_);
  const auto split = choose_split(grid_, ranks, halo_);
  ANNEAL_CHECK(split.has_value(),
               "cannot split the {}×{}×{} grid over {} MPI ranks with a halo of {} cells: each rank needs at least {} "
               "(and 2) cells along every axis that is split; use fewer ranks, a larger grid or a network with a "
               "smaller receptive radius",
               grid_[0], grid_[1], grid_[2], ranks, halo_, halo_);
  rank_grid_ = split->ranks;
  std::array<std::vector<PetscInt>, 3> ranges;
  for (std::size_t a = 0; a < 3; ++a)
    for (const long size : split->blocks[a]) ranges[a].push_back(pi(size));
  ANNEAL_PETSC_CHECK(DMDACreate3d(comm_, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX,
                                  pi(grid_[0]), pi(grid_[1]), pi(grid_[2]), rank_grid_[0], rank_grid_[1], rank_grid_[2],
                                  1, halo_, ranges[0].data(), ranges[1].data(), ranges[2].data(), &dm_));
  ANNEAL_PETSC_CHECK(DMSetUp(dm_));
  PetscInt s[3], m[3], gs[3], gm[3];
  ANNEAL_PETSC_CHECK(DMDAGetCorners(dm_, &s[0], &s[1], &s[2], &m[0], &m[1], &m[2]));
  ANNEAL_PETSC_CHECK(DMDAGetGhostCorners(dm_, &gs[0], &gs[1], &gs[2], &gm[0], &gm[1], &gm[2]));
  for (std::size_t a = 0; a < 3; ++a) {
    owned_.lo[a] = s[a];
    owned_.hi[a] = s[a] + m[a];
    ghosted_.lo[a] = gs[a];
    ghosted_.hi[a] = gs[a] + gm[a];
  }

  // The DMDA's PETSc numbering: rank (rx, ry, rz) = rx + m·(ry + n·rz) owns a contiguous run of
  // indices, its box x fastest. Tested against the DMDA's own AO.
  std::array<std::vector<long>, 3> block_of, start_of;
  for (std::size_t a = 0; a < 3; ++a) {
    long lo = 0;
    for (std::size_t b = 0; b < split->blocks[a].size(); ++b) {
      start_of[a].push_back(lo);
      block_of[a].insert(block_of[a].end(), static_cast<std::size_t>(split->blocks[a][b]), static_cast<long>(b));
      lo += split->blocks[a][b];
    }
  }
  const auto& bx = split->blocks[0];
  const auto& by = split->blocks[1];
  const auto& bz = split->blocks[2];
  std::vector<long> offset(static_cast<std::size_t>(ranks) + 1, 0);
  for (int r = 0; r < ranks; ++r) {
    const auto rx = static_cast<std::size_t>(r % rank_grid_[0]),
               ry = static_cast<std::size_t>((r / rank_grid_[0]) % rank_grid_[1]),
               rz = static_cast<std::size_t>(r / (rank_grid_[0] * rank_grid_[1]));
    offset[static_cast<std::size_t>(r) + 1] = offset[static_cast<std::size_t>(r)] + bx[rx] * by[ry] * bz[rz];
  }
  petsc_of_natural_.resize(static_cast<std::size_t>(size_));
  std::size_t natural = 0;
  for (long k = 0; k < grid_[2]; ++k) {
    const auto rz = static_cast<std::size_t>(block_of[2][static_cast<std::size_t>(k)]);
    for (long j = 0; j < grid_[1]; ++j) {
      const auto ry = static_cast<std::size_t>(block_of[1][static_cast<std::size_t>(j)]);
      for (long i = 0; i < grid_[0]; ++i, ++natural) {
        const auto rx = static_cast<std::size_t>(block_of[0][static_cast<std::size_t>(i)]);
        const auto rank =
            rx + static_cast<std::size_t>(rank_grid_[0]) * (ry + static_cast<std::size_t>(rank_grid_[1]) * rz);
        const long local = ((k - start_of[2][rz]) * by[ry] + (j - start_of[1][ry])) * bx[rx] + (i - start_of[0][rx]);
        petsc_of_natural_[natural] = pi(offset[rank] + local);
      }
    }
  }
}

void PetscPoissonSystem::assemble(const PoissonSystem& system) {
  const auto& a = system.matrix;
  // The rows: the DMDA block, or PETSc's default split of the natural order.
  PetscInt local = dm_ ? pi(owned_.count()) : PETSC_DECIDE, global = pi(size_);
  ANNEAL_PETSC_CHECK(PetscSplitOwnership(comm_, &local, &global));
  ANNEAL_MPI_CHECK(MPI_Exscan(&local, &first_row_, 1, MPIU_INT, MPI_SUM, comm_));
  int rank = 0;
  ANNEAL_MPI_CHECK(MPI_Comm_rank(comm_, &rank));
  if (rank == 0) first_row_ = 0;  // MPI_Exscan leaves rank 0's result undefined
  end_row_ = first_row_ + local;
  ANNEAL_PETSC_CHECK(MatCreate(comm_, &matrix_));
  ANNEAL_PETSC_CHECK(MatSetSizes(matrix_, local, local, global, global));
  // AIJ, not MPIAIJ outright: on one rank it is SeqAIJ, which PETSc's ICC/ILU baselines need.
  ANNEAL_PETSC_CHECK(MatSetType(matrix_, MATAIJ));

  // This rank's rows in PETSc order, as natural indices.
  std::vector<long> rows;
  rows.reserve(static_cast<std::size_t>(end_row_ - first_row_));
  if (dm_) {
    for (long k = owned_.lo[2]; k < owned_.hi[2]; ++k)
      for (long j = owned_.lo[1]; j < owned_.hi[1]; ++j)
        for (long i = owned_.lo[0]; i < owned_.hi[0]; ++i) rows.push_back((k * grid_[1] + j) * grid_[0] + i);
  } else {
    for (PetscInt r = first_row_; r < end_row_; ++r) rows.push_back(r);
  }
  ANNEAL_CHECK(static_cast<PetscInt>(rows.size()) == end_row_ - first_row_,
               "PETSc Poisson system: the matrix rows do not match the DMDA block");

  std::vector<PetscInt> diagonal_nnz, off_nnz;
  for (const long row : rows) {
    PetscInt on = 0, off = 0;
    for (auto e = a.indptr[static_cast<std::size_t>(row)]; e < a.indptr[static_cast<std::size_t>(row) + 1]; ++e) {
      const PetscInt column = petsc_index(a.indices[static_cast<std::size_t>(e)]);
      (column >= first_row_ && column < end_row_ ? on : off) += 1;
    }
    diagonal_nnz.push_back(on);
    off_nnz.push_back(off);
  }
  ANNEAL_PETSC_CHECK(MatSeqAIJSetPreallocation(matrix_, 0, diagonal_nnz.data()));
  ANNEAL_PETSC_CHECK(MatMPIAIJSetPreallocation(matrix_, 0, diagonal_nnz.data(), 0, off_nnz.data()));
  std::vector<PetscInt> columns;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto row = static_cast<std::size_t>(rows[r]);
    const auto begin = static_cast<std::size_t>(a.indptr[row]), end = static_cast<std::size_t>(a.indptr[row + 1]);
    columns.clear();
    for (std::size_t e = begin; e < end; ++e) columns.push_back(petsc_index(a.indices[e]));
    const PetscInt petsc_row = first_row_ + static_cast<PetscInt>(r);
    ANNEAL_PETSC_CHECK(MatSetValues(matrix_, 1, &petsc_row, static_cast<PetscInt>(columns.size()), columns.data(),
                                    &a.data[begin], INSERT_VALUES));
  }
  PetscInt lo, hi;
  ANNEAL_PETSC_CHECK(MatGetOwnershipRange(matrix_, &lo, &hi));
  ANNEAL_CHECK(lo == first_row_ && hi == end_row_, "PETSc Poisson system: PETSc split the rows other than expected");
  ANNEAL_PETSC_CHECK(MatAssemblyBegin(matrix_, MAT_FINAL_ASSEMBLY));
  ANNEAL_PETSC_CHECK(MatAssemblyEnd(matrix_, MAT_FINAL_ASSEMBLY));
  // read_poisson_system / validate_poisson_system have checked the symmetry; GAMG and the
  // Cholesky-type factorisations use this instead of testing it again.
  ANNEAL_PETSC_CHECK(MatSetOption(matrix_, MAT_SYMMETRIC, PETSC_TRUE));
  ANNEAL_PETSC_CHECK(MatSetOption(matrix_, MAT_SYMMETRY_ETERNAL, PETSC_TRUE));

  if (dm_) {
    ANNEAL_PETSC_CHECK(DMCreateGlobalVector(dm_, &rhs_));
    ANNEAL_PETSC_CHECK(VecGetOwnershipRange(rhs_, &lo, &hi));
    ANNEAL_CHECK(lo == first_row_ && hi == end_row_,
                 "PETSc Poisson system: the DMDA's vector layout differs from the matrix's");
  } else {
    ANNEAL_PETSC_CHECK(MatCreateVecs(matrix_, nullptr, &rhs_));
  }
  ANNEAL_PETSC_CHECK(VecDuplicate(rhs_, &solution_));
  ANNEAL_PETSC_CHECK(VecSet(solution_, 0.0));
  ANNEAL_PETSC_CHECK(VecSet(rhs_, 0.0));
  if (!system.rhs.empty()) from_natural(system.rhs, rhs_);
}

void PetscPoissonSystem::attach_null_space(const PoissonSystem& system) {
  if (system.null_space == NullSpace::none || system.null_components.empty()) return;
  // Disjoint components: their normalised indicator vectors are orthonormal as they are.
  std::vector<Vec> vectors;
  try {
    for (const auto& component : system.null_components) {
      Vec v;
      ANNEAL_PETSC_CHECK(VecDuplicate(rhs_, &v));
      vectors.push_back(v);
      ANNEAL_PETSC_CHECK(VecSet(v, 0.0));
      const double value = 1.0 / std::sqrt(static_cast<double>(component.size()));
      PetscScalar* entries;
      ANNEAL_PETSC_CHECK(VecGetArray(v, &entries));
      for (const auto cell : component) {
        const PetscInt p = petsc_index(static_cast<long>(cell));
        if (p >= first_row_ && p < end_row_) entries[p - first_row_] = value;
      }
      ANNEAL_PETSC_CHECK(VecRestoreArray(v, &entries));
    }
    ANNEAL_PETSC_CHECK(
        MatNullSpaceCreate(comm_, PETSC_FALSE, static_cast<PetscInt>(vectors.size()), vectors.data(), &null_space_));
    ANNEAL_PETSC_CHECK(MatSetNullSpace(matrix_, null_space_));
  } catch (...) {
    for (Vec& v : vectors) VecDestroy(&v);
    throw;
  }
  for (Vec& v : vectors) VecDestroy(&v);  // the null space holds its own references
}

PetscInt PetscPoissonSystem::petsc_index(long natural) const {
  return petsc_of_natural_.empty() ? pi(natural) : petsc_of_natural_[static_cast<std::size_t>(natural)];
}

std::vector<double> PetscPoissonSystem::to_natural(Vec v) const {
  PetscInt n;
  ANNEAL_PETSC_CHECK(VecGetSize(v, &n));
  ANNEAL_CHECK(n == size_, "to_natural: a vector of {} entries for a system of {} unknowns", n, size_);
  VecScatter scatter;
  Vec all;
  ANNEAL_PETSC_CHECK(VecScatterCreateToAll(v, &scatter, &all));
  std::vector<double> out(static_cast<std::size_t>(size_));
  const auto release = [&] {
    VecScatterDestroy(&scatter);
    VecDestroy(&all);
  };
  try {
    ANNEAL_PETSC_CHECK(VecScatterBegin(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
    ANNEAL_PETSC_CHECK(VecScatterEnd(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
    const PetscScalar* values;
    ANNEAL_PETSC_CHECK(VecGetArrayRead(all, &values));
    for (long c = 0; c < size_; ++c) out[static_cast<std::size_t>(c)] = values[petsc_index(c)];
    ANNEAL_PETSC_CHECK(VecRestoreArrayRead(all, &values));
  } catch (...) {
    release();
    throw;
  }
  release();
  return out;
}

void PetscPoissonSystem::from_natural(std::span<const double> natural, Vec v) const {
  ANNEAL_CHECK(static_cast<long>(natural.size()) == size_, "from_natural: {} values for a system of {} unknowns",
               natural.size(), size_);
  PetscInt lo, hi;
  ANNEAL_PETSC_CHECK(VecGetOwnershipRange(v, &lo, &hi));
  ANNEAL_CHECK(lo == first_row_ && hi == end_row_, "from_natural: the vector is not in the system's layout");
  PetscScalar* entries;
  ANNEAL_PETSC_CHECK(VecGetArray(v, &entries));
  if (dm_) {
    std::size_t p = 0;
    for (long k = owned_.lo[2]; k < owned_.hi[2]; ++k)
      for (long j = owned_.lo[1]; j < owned_.hi[1]; ++j)
        for (long i = owned_.lo[0]; i < owned_.hi[0]; ++i)
          entries[p++] = natural[static_cast<std::size_t>((k * grid_[1] + j) * grid_[0] + i)];
  } else {
    for (PetscInt r = lo; r < hi; ++r) entries[r - lo] = natural[static_cast<std::size_t>(r)];
  }
  ANNEAL_PETSC_CHECK(VecRestoreArray(v, &entries));
}

namespace {

// What a distributed proposer keeps: its own reference to the DMDA, the ghosted work vector, and
// the network over this rank's block.
struct DistributedDcdm {
  DM dm = nullptr;
  Vec ghosted = nullptr;
  DcdmBlockProposer block;

  DistributedDcdm(DM da, DcdmBlockProposer b) : block(std::move(b)) {
    ANNEAL_PETSC_CHECK(DMCreateLocalVector(da, &ghosted));
    if (PetscObjectReference(reinterpret_cast<PetscObject>(da)) != 0) {
      VecDestroy(&ghosted);
      ANNEAL_CHECK(false, "DCDM proposer: could not take a reference to the DMDA");
    }
    dm = da;
  }
  ~DistributedDcdm() {
    if (ghosted) VecDestroy(&ghosted);
    if (dm) DMDestroy(&dm);
  }
  DistributedDcdm(const DistributedDcdm&) = delete;
  DistributedDcdm& operator=(const DistributedDcdm&) = delete;

  void operator()(Vec residual, Vec direction) {
    ANNEAL_PETSC_CHECK(DMGlobalToLocalBegin(dm, residual, INSERT_VALUES, ghosted));
    ANNEAL_PETSC_CHECK(DMGlobalToLocalEnd(dm, residual, INSERT_VALUES, ghosted));
    PetscInt ghosted_size, owned_size;
    ANNEAL_PETSC_CHECK(VecGetLocalSize(ghosted, &ghosted_size));
    ANNEAL_PETSC_CHECK(VecGetLocalSize(direction, &owned_size));
    const PetscScalar* in;
    PetscScalar* out;
    ANNEAL_PETSC_CHECK(VecGetArrayRead(ghosted, &in));
    ANNEAL_PETSC_CHECK(VecGetArray(direction, &out));
    try {
      block(std::span<const double>(in, static_cast<std::size_t>(ghosted_size)),
            std::span<double>(out, static_cast<std::size_t>(owned_size)));
    } catch (...) {
      VecRestoreArray(direction, &out);
      VecRestoreArrayRead(ghosted, &in);
      throw;
    }
    ANNEAL_PETSC_CHECK(VecRestoreArray(direction, &out));
    ANNEAL_PETSC_CHECK(VecRestoreArrayRead(ghosted, &in));
  }
};

}  // namespace

solvers::PetscDirectionProposer make_dcdm_proposer(std::shared_ptr<const DcdmNetwork> network,
                                                   const PetscPoissonSystem& system) {
  ANNEAL_CHECK(network != nullptr, "make_dcdm_proposer: no network");
  ANNEAL_CHECK(system.has_grid(),
               "the DCDM network sees the residual as an image, but this system is not on a grid (it has no "
               "/cell_type or grid_size); solve it with a PETSc baseline instead");
  const int radius = network->architecture().receptive_radius();
  // Required on every rank count, so that a setup that works on one rank does not fail on two.
  ANNEAL_CHECK(system.halo() >= radius,
               "the DCDM network's receptive radius is {} cells, but the PETSc system was built with a halo of {}: "
               "build it with a halo of at least the radius (PetscPoissonSystem(system, "
               "network.architecture().receptive_radius())), or ranks would compute other directions than one rank",
               radius, system.halo());
  auto state = std::make_shared<DistributedDcdm>(
      system.dm(), DcdmBlockProposer(std::move(network), system.grid(), system.owned_box(), system.ghosted_box(),
                                     system.cell_type()));
  return [state](Vec residual, Vec direction) { (*state)(residual, direction); };
}

solvers::PetscDirectionProposer make_dcdm_proposer(std::shared_ptr<const DcdmNetwork> network, DM da) {
  ANNEAL_CHECK(network != nullptr, "make_dcdm_proposer: no network");
  PetscBool is_dmda = PETSC_FALSE;
  if (da) ANNEAL_PETSC_CHECK(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(da), DMDA, &is_dmda));
  ANNEAL_CHECK(is_dmda == PETSC_TRUE, "-dcdm_model needs the KSP's grid: call KSPSetDM with the DMDA of the cells");
  PetscInt dim = 0, m = 0, n = 0, p = 0, dof = 0, width = 0;
  ANNEAL_PETSC_CHECK(DMDAGetInfo(da, &dim, &m, &n, &p, nullptr, nullptr, nullptr, &dof, &width, nullptr, nullptr,
                                 nullptr, nullptr));
  ANNEAL_CHECK(dof == 1, "DCDM needs a DMDA with one unknown per cell, this one has {}", dof);
  const int radius = network->architecture().receptive_radius();
  ANNEAL_CHECK(width >= radius,
               "the DCDM network's receptive radius is {} cells, but the DMDA's stencil width is {}: create the DMDA "
               "with a stencil width of at least the radius", radius, width);
  PetscInt x = 0, y = 0, z = 0, nx = 0, ny = 0, nz = 0;
  ANNEAL_PETSC_CHECK(DMDAGetCorners(da, &x, &y, &z, &nx, &ny, &nz));
  const CellBox owned{{x, y, z}, {x + nx, y + ny, z + nz}};
  ANNEAL_PETSC_CHECK(DMDAGetGhostCorners(da, &x, &y, &z, &nx, &ny, &nz));
  const CellBox ghosted{{x, y, z}, {x + nx, y + ny, z + nz}};
  const std::array<long, 3> grid{m, dim >= 2 ? n : 1, dim >= 3 ? p : 1};
  auto state = std::make_shared<DistributedDcdm>(da, DcdmBlockProposer(std::move(network), grid, owned, ghosted, {}));
  return [state](Vec residual, Vec direction) { (*state)(residual, direction); };
}

}  // namespace anneal::physics::poisson
