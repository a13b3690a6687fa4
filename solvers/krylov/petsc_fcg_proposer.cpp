#include "solvers/krylov/petsc_fcg_proposer.hpp"

#include <utility>

#include "core/error.hpp"
#include "core/status_check.hpp"

namespace anneal::solvers {
namespace {

struct ShellProposer {
  PetscDirectionProposer propose;
  Vec scaled = nullptr;  // r/‖r‖, made on first use in the layout of FCG's residual
};

PetscErrorCode shell_apply(PC pc, Vec r, Vec z) {
  ShellProposer* shell = nullptr;
  PetscReal r_norm;
  PetscFunctionBegin;
  PetscCall(PCShellGetContext(pc, &shell));
  if (!shell->scaled) PetscCall(VecDuplicate(r, &shell->scaled));
  PetscCall(VecNorm(r, NORM_2, &r_norm));
  if (r_norm == 0) {  // only reached under zero tolerances; FCG then stops on p·Ap = 0
    PetscCall(VecSet(z, 0.0));
    PetscFunctionReturn(0);
  }
  PetscCall(apply_proposer(shell->propose, r, r_norm, shell->scaled, z));
  PetscFunctionReturn(0);
}

PetscErrorCode shell_destroy(PC pc) {
  ShellProposer* shell = nullptr;
  PetscFunctionBegin;
  PetscCall(PCShellGetContext(pc, &shell));
  PetscCall(VecDestroy(&shell->scaled));
  delete shell;
  PetscFunctionReturn(0);
}

}  // namespace

void ksp_set_fcg_proposer(KSP ksp, PetscDirectionProposer proposer, int kept_directions) {
  ANNEAL_CHECK(ksp && proposer, "ksp_set_fcg_proposer: needs a KSP and a non-empty proposer");
  ANNEAL_CHECK(kept_directions >= 1, "ksp_set_fcg_proposer: keep at least one previous direction, not {}",
               kept_directions);
  ANNEAL_PETSC_CHECK(KSPSetType(ksp, KSPFCG));
  ANNEAL_PETSC_CHECK(KSPFCGSetMmax(ksp, kept_directions));
  ANNEAL_PETSC_CHECK(KSPFCGSetTruncationType(ksp, KSP_FCD_TRUNC_TYPE_STANDARD));
  ANNEAL_PETSC_CHECK(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  PC pc;
  ANNEAL_PETSC_CHECK(KSPGetPC(ksp, &pc));
  // PCSetType is a no-op on a PC that is a shell already, which would leak the old shell's context;
  // passing through `none` destroys it.
  ANNEAL_PETSC_CHECK(PCSetType(pc, PCNONE));
  ANNEAL_PETSC_CHECK(PCSetType(pc, PCSHELL));
  auto* shell = new ShellProposer{std::move(proposer)};
  ANNEAL_PETSC_CHECK(PCShellSetContext(pc, shell));
  ANNEAL_PETSC_CHECK(PCShellSetDestroy(pc, shell_destroy));
  ANNEAL_PETSC_CHECK(PCShellSetApply(pc, shell_apply));
  ANNEAL_PETSC_CHECK(PCShellSetName(pc, "DCDM direction proposer on r/|r|"));
}

}  // namespace anneal::solvers
