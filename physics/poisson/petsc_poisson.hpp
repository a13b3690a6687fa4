#pragma once
// A Poisson system as distributed PETSc objects, and the DCDM network as a distributed direction
// proposer over it (DESIGN.md §3, issue 6 "Distributed"). This header's job is to wrap PETSc, so
// its types appear here.
//
// Decomposition. A system on a grid becomes a 3-D DMDA (no periodic ghosts: periodic couplings
// live in the matrix) whose stencil width is the halo the CNN needs. Each rank owns a box of
// cells; every box starts at an even index on every axis (all blocks have an even size except
// the last one on an axis of odd extent) and the halo is even, so each rank's ghosted box pairs
// cells for the network's 2× pooling as the serial image does. The rank grid is chosen so that
// the largest ghosted box (the CNN's work per rank) is smallest, among splits whose every block
// is at least as wide as the halo (a DMDA exchanges ghosts with neighbouring ranks only). The
// matrix and vectors use the DMDA's PETSc ordering: rank blocks are contiguous, each x fastest.
#include <petscdmda.h>
#include <petscksp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "physics/poisson/dcdm_block.hpp"
#include "physics/poisson/dcdm_network.hpp"
#include "physics/poisson/poisson_system.hpp"
#include "solvers/krylov/petsc_dcdm.hpp"

namespace anneal::physics::poisson {

class PetscPoissonSystem {
 public:
  // Whether a grid splits over `ranks` with blocks of at least `halo` cells (what the constructor
  // needs; a grid too small for the halo fits only fewer ranks).
  static bool splits(std::array<long, 3> grid, int ranks, int halo);

  // Collective on `comm`; every rank passes the whole system (the same one). `halo`: the ghost
  // width, rounded up to even; give the network's receptive_radius() for DCDM, 0 for baselines.
  // A system without a grid becomes a plain AIJ matrix with PETSc's row split, natural order,
  // and no DM. Errors (before any PETSc object is made) when no split of the grid over the ranks
  // gives every split axis blocks of at least `halo` (and 2) cells.
  PetscPoissonSystem(const PoissonSystem& system, int halo, MPI_Comm comm = PETSC_COMM_WORLD);
  ~PetscPoissonSystem();
  PetscPoissonSystem(const PetscPoissonSystem&) = delete;
  PetscPoissonSystem& operator=(const PetscPoissonSystem&) = delete;

  // AIJ (MPIAIJ on several ranks, SeqAIJ on one, so that ICC and other serial factorisations
  // work), preallocated, marked symmetric; the null space attached when the system is singular.
  Mat matrix() const { return matrix_; }
  Vec rhs() const { return rhs_; }            // the system's b (zero if it has none)
  Vec solution() const { return solution_; }  // zero: an initial guess / output for a solve
  DM dm() const { return dm_; }               // null without a grid
  // Constants on each null component, orthonormal; null if A is non-singular.
  MatNullSpace null_space() const { return null_space_; }
  MPI_Comm comm() const { return comm_; }

  int halo() const { return halo_; }
  bool has_grid() const { return dm_ != nullptr; }
  std::array<long, 3> grid() const { return grid_; }
  long size() const { return size_; }
  // This rank's cells and its ghosted box (global indices); empty boxes without a grid.
  const CellBox& owned_box() const { return owned_; }
  const CellBox& ghosted_box() const { return ghosted_; }
  // Ranks per axis (x, y, z); {ranks, 1, 1} without a grid.
  std::array<int, 3> rank_grid() const { return rank_grid_; }
  const std::vector<std::uint8_t>& cell_type() const { return cell_type_; }  // whole grid, or empty

  // The whole of `v` (a vector in the matrix's layout) in natural order (k·ny + j)·nx + i, on
  // every rank. Collective.
  std::vector<double> to_natural(Vec v) const;
  // Sets `v`'s owned entries from `natural`, the whole vector in natural order (every rank
  // passes all of it). Not collective.
  void from_natural(std::span<const double> natural, Vec v) const;
  // The PETSc index of each cell, natural order (the identity without a grid).
  PetscInt petsc_index(long natural) const;

 private:
  MPI_Comm comm_;
  int halo_ = 0;
  long size_ = 0;
  std::array<long, 3> grid_{0, 0, 0};
  std::array<int, 3> rank_grid_{1, 1, 1};
  CellBox owned_, ghosted_;
  PetscInt first_row_ = 0, end_row_ = 0;    // this rank's PETSc rows [first, end)
  std::vector<PetscInt> petsc_of_natural_;  // empty without a grid (identity)
  std::vector<std::uint8_t> cell_type_;
  DM dm_ = nullptr;
  Mat matrix_ = nullptr;
  Vec rhs_ = nullptr, solution_ = nullptr;
  MatNullSpace null_space_ = nullptr;

  void destroy() noexcept;
  void decompose(const PoissonSystem& system);
  void assemble(const PoissonSystem& system);
  void attach_null_space(const PoissonSystem& system);
};

// The DCDM network as a distributed proposer on `system`'s DMDA: each rank exchanges the
// residual's halo (DMGlobalToLocal), runs the network on its ghosted box and keeps its owned
// block (dcdm_block.hpp says why that block equals the serial DcdmProposer's). The proposer holds
// its own references to what it needs; `system` may go first. Errors when the system has no grid
// or its halo is narrower than the network's receptive radius.
solvers::PetscDirectionProposer make_dcdm_proposer(std::shared_ptr<const DcdmNetwork> network,
                                                   const PetscPoissonSystem& system);

// The same on any DMDA of cells (a PETSc program's own grid, as `-dcdm_model FILE` finds it through
// KSPGetDM): the grid, the blocks and the halo are read from the DMDA, whose stencil width must be
// at least the network's receptive radius and whose blocks must start at even cells. No cell types:
// a network that takes the cell-type image needs the PetscPoissonSystem overload.
solvers::PetscDirectionProposer make_dcdm_proposer(std::shared_ptr<const DcdmNetwork> network, DM da);

}  // namespace anneal::physics::poisson
