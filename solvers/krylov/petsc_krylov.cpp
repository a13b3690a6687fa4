#include "solvers/krylov/petsc_krylov.hpp"

#include "core/status_check.hpp"

namespace anneal::solvers {

PetscKrylov::PetscKrylov(Mat op, const KrylovSettings& settings, Vec null_space) {
  MPI_Comm comm;
  ANNEAL_PETSC_CHECK(PetscObjectGetComm(reinterpret_cast<PetscObject>(op), &comm));
  ANNEAL_PETSC_CHECK(KSPCreate(comm, &ksp_));
  if (!settings.options_prefix.empty())
    ANNEAL_PETSC_CHECK(KSPSetOptionsPrefix(ksp_, settings.options_prefix.c_str()));
  ANNEAL_PETSC_CHECK(KSPSetOperators(ksp_, op, op));
  ANNEAL_PETSC_CHECK(KSPSetType(ksp_, settings.ksp_type.c_str()));
  PC pc;
  ANNEAL_PETSC_CHECK(KSPGetPC(ksp_, &pc));
  ANNEAL_PETSC_CHECK(PCSetType(pc, settings.pc_type.c_str()));
  ANNEAL_PETSC_CHECK(KSPSetTolerances(ksp_, settings.rtol, settings.atol, PETSC_DEFAULT, settings.max_iterations));
  if (null_space) {
    Vec basis;
    ANNEAL_PETSC_CHECK(VecDuplicate(null_space, &basis));
    ANNEAL_PETSC_CHECK(VecCopy(null_space, basis));
    ANNEAL_PETSC_CHECK(VecNormalize(basis, nullptr));
    ANNEAL_PETSC_CHECK(MatNullSpaceCreate(comm, PETSC_FALSE, 1, &basis, &null_space_));
    ANNEAL_PETSC_CHECK(VecDestroy(&basis));
    ANNEAL_PETSC_CHECK(MatSetNullSpace(op, null_space_));
    // AMG hierarchies need the near null space too, or the coarse levels lose the constant mode.
    ANNEAL_PETSC_CHECK(MatSetNearNullSpace(op, null_space_));
  }
  ANNEAL_PETSC_CHECK(KSPSetFromOptions(ksp_));
  ANNEAL_PETSC_CHECK(KSPSetUp(ksp_));
}

PetscKrylov::~PetscKrylov() {
  if (null_space_) MatNullSpaceDestroy(&null_space_);
  if (ksp_) KSPDestroy(&ksp_);
}

KrylovReport PetscKrylov::solve(Vec b, Vec x, bool use_guess) {
  if (null_space_) ANNEAL_PETSC_CHECK(MatNullSpaceRemove(null_space_, b));
  ANNEAL_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp_, use_guess ? PETSC_TRUE : PETSC_FALSE));
  ANNEAL_PETSC_CHECK(KSPSolve(ksp_, b, x));
  if (null_space_) ANNEAL_PETSC_CHECK(MatNullSpaceRemove(null_space_, x));
  KrylovReport report;
  PetscInt iterations;
  ANNEAL_PETSC_CHECK(KSPGetIterationNumber(ksp_, &iterations));
  report.iterations = static_cast<int>(iterations);
  PetscReal norm;
  ANNEAL_PETSC_CHECK(KSPGetResidualNorm(ksp_, &norm));
  report.residual_norm = norm;
  KSPConvergedReason reason;
  ANNEAL_PETSC_CHECK(KSPGetConvergedReason(ksp_, &reason));
  report.converged = reason > 0;
  report.reason = KSPConvergedReasons[reason];
  return report;
}

std::string PetscKrylov::description() const {
  KSPType ksp_type;
  ANNEAL_PETSC_CHECK(KSPGetType(ksp_, &ksp_type));
  PC pc;
  ANNEAL_PETSC_CHECK(KSPGetPC(ksp_, &pc));
  PCType pc_type;
  ANNEAL_PETSC_CHECK(PCGetType(pc, &pc_type));
  return std::string(ksp_type) + " + " + pc_type;
}

}  // namespace anneal::solvers
