#pragma once
// DCDM spelled in PETSc's own code: flexible CG (KSPFCG) truncated to the latest m directions,
// with the direction proposer as a shell preconditioner that sees r/‖r‖. It is the independent
// reference for the dcdm KSP (petsc_dcdm.hpp) and the solver to use when a proposer should be
// combined with PETSc machinery that only FCG has.
//
// What PETSc 3.18's KSPSolve_FCG (src/ksp/ksp/impls/fcg/fcg.c) does at its step i = 0, 1, ...:
// with standard truncation mi = mmax, it orthogonalises z = B r against the directions
// l = max(0, i − mmax) .. i−1, i.e. the min(i, mmax) latest, by classical Gram–Schmidt with
// coefficients z·C_k where C_k = A p_k / (p_k·A p_k); so `-ksp_fcg_mmax m` keeps exactly m previous
// directions, the same m as `-ksp_dcdm_directions m` (no off-by-one: the ring holds mmax + 1
// vectors, the extra one being the current direction). Two defaults of FCG differ from DCDM and are
// overridden here: the truncation (Notay's, which uses ((i−1) mod mmax) + 1 directions) and the
// norm (preconditioned, i.e. ‖B r‖, meaningless for a normalised proposal; it would also call the
// proposer twice per step).
#include <petscksp.h>

#include "solvers/krylov/petsc_dcdm.hpp"

namespace anneal::solvers {

// Makes `ksp` `-ksp_type fcg -ksp_fcg_mmax kept_directions -ksp_fcg_truncation_type standard
// -ksp_norm_type unpreconditioned` with a PCSHELL applying `proposer` to r/‖r‖. Call it before
// KSPSetFromOptions, so that command-line options still override these choices.
void ksp_set_fcg_proposer(KSP ksp, PetscDirectionProposer proposer, int kept_directions = 2);

}  // namespace anneal::solvers
