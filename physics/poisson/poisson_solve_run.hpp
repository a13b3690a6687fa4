#pragma once
// `anneal poisson solve`: one system, one PETSc KSP — DCDM with a trained network (`--model`, KSP
// type dcdm) or any of PETSc's methods chosen with PETSc options after `--` (CG + ICC, GAMG, hypre
// BoomerAMG, deflation, a direct factorisation...), on any number of ranks. The output is the same
// whichever method ran, so methods compare file to file:
//   /x [nz][ny][nx] (or [n])           the solution, natural order; /fields/x links to it
//   /grid/x, /grid/y, /grid/z          cell-centre coordinates (grid systems; with an XDMF sidecar)
//   /history/residual [iterations+1]   ‖r_k‖/‖b‖ as the KSP measured it (see attribute `norm`)
//   attributes on "/": iterations, converged (0/1), reason (PETSc's), method, norm,
//     relative_residual (‖b − Ax‖/‖b‖ recomputed), setup_seconds, solve_seconds, ranks,
//     error_vs_reference (max |x − x_ref| / max |x_ref| when the system file holds /x)
// A run that does not converge still writes its file (converged = 0) and says so; the command's
// exit status reports it.
#include <filesystem>
#include <string>
#include <vector>

#include "io/provenance.hpp"

namespace anneal::physics::poisson {

struct SolveRunOptions {
  std::filesystem::path system, model, output;  // model: empty unless DCDM runs
  double rtol = 1e-6;                           // PETSc's -ksp_rtol overrides
  int max_iterations = 2000;                    // PETSc's -ksp_max_it overrides
  // The method before PETSc's options apply (-ksp_type/-pc_type override); empty: dcdm with a
  // model, cg + gamg without.
  std::string ksp_type, pc_type;
  io::Provenance provenance;
};

struct SolveRunResult {
  std::string method, reason, norm;
  int iterations = 0;
  bool converged = false;
  double setup_seconds = 0, solve_seconds = 0, relative_residual = 0;
  double error_vs_reference = -1;  // −1: no reference in the system file
  std::vector<double> history;
};

SolveRunResult run_solve(const SolveRunOptions& options);

// Registers the `dcdm` KSP type with a loader for `-dcdm_model FILE` that builds the network's
// proposer over the KSP's DMDA (KSPSetDM), so any PETSc program linked with anneal can use it.
void register_dcdm();

}  // namespace anneal::physics::poisson
