#pragma once
// The deep conjugate-direction method (DCDM; Kaneda et al., ICML 2023) as a Krylov-like iteration
// on an assembled sparse SPD operator. Each step asks a proposer (in the paper a CNN) for a search
// direction q = f(r/‖r‖), A-orthogonalises it against the most recent directions (two in the
// paper), and takes the exact line-search step along it. Whatever the proposer returns, every step
// minimises the A-norm of the error along its direction, so ‖x − x*‖_A never increases: a bad
// network costs iterations, never correctness. This is flexible CG truncated to the last m
// directions with a nonlinear preconditioner, i.e. PETSc's `-ksp_type fcg -ksp_fcg_mmax 2
// -ksp_fcg_truncation_type standard` with the proposer as a shell preconditioner.
//
// With q = r (the identity proposer) and one previous direction this is plain CG.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::solvers {

// Writes a search direction for the residual `normalized_residual` (unit 2-norm) into `direction`
// (same length). It need not be linear, symmetric or scale-aware.
using DirectionProposer =
    std::function<void(std::span<const double> normalized_residual, std::span<double> direction)>;

struct ConjugateDirectionSettings {
  double rtol = 1e-6;                // stop when ‖b − Ax‖ ≤ rtol·‖b‖ ...
  double atol = 0;                   // ... or ‖b − Ax‖ ≤ atol
  int max_iterations = 1000;
  int orthogonalize_against = 2;     // previous directions kept (the paper: 2)
  // Called once per iteration (0 = the initial residual) with the relative residual ‖r‖/‖b‖.
  std::function<void(int iteration, double relative_residual)> monitor;
};

struct ConjugateDirectionReport {
  int iterations = 0;
  bool converged = false;
  // PETSc's names: CONVERGED_RTOL, CONVERGED_ATOL, DIVERGED_ITS, DIVERGED_BREAKDOWN (the
  // direction had no A-norm left after orthogonalisation), DIVERGED_NANORINF.
  std::string reason;
  std::vector<double> relative_residual;  // ‖r_k‖/‖b‖ for k = 0..iterations (recurrence)
  double true_relative_residual = 0;      // ‖b − Ax‖/‖b‖ recomputed at the end
};

// Solves A x = b from the initial guess in x. A must be symmetric positive (semi-)definite; for a
// singular A the caller removes b's component along the null space first.
ConjugateDirectionReport solve_conjugate_directions(const CsrMatrix& a, std::span<const double> b, std::span<double> x,
                                                    const DirectionProposer& propose,
                                                    const ConjugateDirectionSettings& settings);

// y = A x, rows in parallel (each row's sum in a fixed order: results do not depend on threads).
void multiply(const CsrMatrix& a, std::span<const double> x, std::span<double> y);

}  // namespace anneal::solvers
