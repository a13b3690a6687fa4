#include "physics/flow/projection_petsc.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/mpi_env.hpp"
#include "core/status_check.hpp"

namespace anneal::physics::flow {

Projection::Projection(const Scene& scene, const MacGrid& grid, const GhostedField& solid)
    : scene_(scene), grid_(grid), phi_local_(grid.pressure_dm()) {
  DM dm = grid.pressure_dm();
  ANNEAL_PETSC_CHECK(DMCreateMatrix(dm, &matrix_));
  ANNEAL_PETSC_CHECK(DMCreateGlobalVector(dm, &b_));
  ANNEAL_PETSC_CHECK(VecDuplicate(b_, &x_));
  ANNEAL_PETSC_CHECK(VecDuplicate(b_, &null_));

  solvers::CellLattice lattice;
  lattice.dim = grid.dim();
  for (int a = 0; a < 3; ++a) {
    const auto ua = static_cast<std::size_t>(a);
    lattice.cells[ua] = grid.cells(a);
    lattice.periodic[ua] = grid.periodic(a);
    lattice.spacing[ua] = grid.h(a);
  }
  const auto type = [&](long i, long j, long k) {
    return solid(i, j, k) > 0.5 ? solvers::CellType::solid : solvers::CellType::fluid;
  };
  const IndexBox& own = grid.owned_cells();
  PetscScalar* null_values;
  ANNEAL_PETSC_CHECK(VecGetArray(null_, &null_values));
  std::size_t n = 0;
  double fluid_cells = 0;
  for (long k = own.lo[2]; k < own.hi[2]; ++k)
    for (long j = own.lo[1]; j < own.hi[1]; ++j)
      for (long i = own.lo[0]; i < own.hi[0]; ++i) {
        MatStencil row{};
        row.i = static_cast<PetscInt>(i);
        row.j = static_cast<PetscInt>(j);
        row.k = static_cast<PetscInt>(k);
        solvers::laplacian_row(lattice, i, j, k, type, [&](long ci, long cj, long ck, double value) {
          MatStencil col{};
          col.i = static_cast<PetscInt>(ci);
          col.j = static_cast<PetscInt>(cj);
          col.k = static_cast<PetscInt>(ck);
          ANNEAL_PETSC_CHECK(MatSetValuesStencil(matrix_, 1, &row, 1, &col, &value, ADD_VALUES));
        });
        const bool fluid = type(i, j, k) == solvers::CellType::fluid;
        types_.push_back(fluid ? 0.0 : 1.0);
        null_values[n++] = fluid ? 1.0 : 0.0;
        fluid_cells += fluid ? 1.0 : 0.0;
      }
  ANNEAL_PETSC_CHECK(VecRestoreArray(null_, &null_values));
  ANNEAL_PETSC_CHECK(MatAssemblyBegin(matrix_, MAT_FINAL_ASSEMBLY));
  ANNEAL_PETSC_CHECK(MatAssemblyEnd(matrix_, MAT_FINAL_ASSEMBLY));
  ANNEAL_CHECK(mpi::sum_over_ranks(fluid_cells) > 0, "the obstacles fill the whole domain: there is no fluid left");

  solvers::KrylovSettings settings;
  settings.rtol = scene.solver_rtol;
  settings.max_iterations = scene.solver_max_iterations;
  // Walls, solids, periodic axes and a mass-balanced outflow all leave φ defined up to a constant.
  krylov_ = std::make_unique<solvers::PetscKrylov>(matrix_, settings, null_);
}

Projection::~Projection() {
  krylov_.reset();
  if (null_) VecDestroy(&null_);
  if (x_) VecDestroy(&x_);
  if (b_) VecDestroy(&b_);
  if (matrix_) MatDestroy(&matrix_);
}

solvers::KrylovReport Projection::project(FlowFields& f, std::vector<double>& phi) {
  const IndexBox& own = grid_.owned_cells();
  const double scale = grid_.h(0) * grid_.h(0);  // the operator is −∇² · hx²
  rhs_.assign(static_cast<std::size_t>(own.count()), 0.0);
  for (int a = 0; a < grid_.dim(); ++a) f.u[static_cast<std::size_t>(a)].exchange();
  std::size_t n = 0;
  for (long k = own.lo[2]; k < own.hi[2]; ++k)
    for (long j = own.lo[1]; j < own.hi[1]; ++j)
      for (long i = own.lo[0]; i < own.hi[0]; ++i, ++n) {
        if (f.solid(i, j, k) < 0.5) rhs_[n] = -scale * cell_divergence(grid_, f, i, j, k);
      }
  PetscScalar* values;
  ANNEAL_PETSC_CHECK(VecGetArray(b_, &values));
  std::copy(rhs_.begin(), rhs_.end(), values);
  ANNEAL_PETSC_CHECK(VecRestoreArray(b_, &values));
  ANNEAL_PETSC_CHECK(VecGetArray(x_, &values));
  std::copy(phi.begin(), phi.end(), values);
  ANNEAL_PETSC_CHECK(VecRestoreArray(x_, &values));

  const solvers::KrylovReport report = krylov_->solve(b_, x_, /*use_guess=*/true);
  ANNEAL_CHECK(report.converged,
               "the pressure Poisson solve did not converge ({} after {} iterations, residual {:.3e}); try another "
               "preconditioner (-- -pc_type hypre), more iterations (solver.max_iterations) or a looser solver.rtol",
               report.reason, report.iterations, report.residual_norm);
  // Keep the right-hand side the solver actually saw (its null-space component removed).
  const PetscScalar* seen;
  ANNEAL_PETSC_CHECK(VecGetArrayRead(b_, &seen));
  std::copy(seen, seen + rhs_.size(), rhs_.begin());
  ANNEAL_PETSC_CHECK(VecRestoreArrayRead(b_, &seen));
  const PetscScalar* solution;
  ANNEAL_PETSC_CHECK(VecGetArrayRead(x_, &solution));
  std::copy(solution, solution + phi.size(), phi.begin());
  ANNEAL_PETSC_CHECK(VecRestoreArrayRead(x_, &solution));

  // u ← u − ∇φ on the faces that are free to move.
  phi_local_.set_owned_values(phi);
  phi_local_.exchange();
  for (int a = 0; a < grid_.dim(); ++a) {
    GhostedField& u = f.u[static_cast<std::size_t>(a)];
    const double h = grid_.h(a);
    for_each_index(grid_.owned_faces(a), [&](long i, long j, long k) {
      if (face_fixed(grid_, f.solid, a, i, j, k)) return;
      std::array<long, 3> q{i, j, k};
      q[static_cast<std::size_t>(a)] -= 1;
      u(i, j, k) -= (phi_local_(i, j, k) - phi_local_(q[0], q[1], q[2])) / h;
    });
  }
  return report;
}

double local_max_divergence(const MacGrid& grid, const FlowFields& f) {
  double worst = 0;
  const IndexBox& own = grid.owned_cells();
  for (long k = own.lo[2]; k < own.hi[2]; ++k)
    for (long j = own.lo[1]; j < own.hi[1]; ++j)
      for (long i = own.lo[0]; i < own.hi[0]; ++i) {
        if (f.solid(i, j, k) < 0.5) worst = std::max(worst, std::abs(cell_divergence(grid, f, i, j, k)));
      }
  return worst;
}

}  // namespace anneal::physics::flow
