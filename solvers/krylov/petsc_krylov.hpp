#pragma once
// A PETSc KSP on an assembled operator: anneal's defaults (method, preconditioner, tolerances)
// first, then whatever the user passed (`-ksp_type`, `-pc_type`, `-ksp_monitor`, ...) on top,
// a constant null space for singular all-Neumann/periodic operators, and an honest report of
// each solve. This header's job is to wrap PETSc, so its types appear here.
#include <petscksp.h>

#include <string>

namespace anneal::solvers {

struct KrylovSettings {
  std::string ksp_type = "cg";
  std::string pc_type = "gamg";
  double rtol = 1e-10;
  double atol = 1e-50;
  int max_iterations = 10000;
  std::string options_prefix;  // e.g. "pressure_" for -pressure_ksp_type; empty: plain -ksp_type
};

struct KrylovReport {
  int iterations = 0;
  double residual_norm = 0;  // as the KSP measured it (preconditioned or not, PETSc's choice)
  bool converged = false;
  std::string reason;  // PETSc's KSPConvergedReason in words ("CONVERGED_RTOL", "DIVERGED_ITS", ...)
};

class PetscKrylov {
 public:
  // `null_space`: a vector spanning the operator's null space (normalised here), or nullptr for a
  // regular operator. The operator is not copied; keep it alive.
  PetscKrylov(Mat op, const KrylovSettings& settings, Vec null_space = nullptr);
  ~PetscKrylov();
  PetscKrylov(const PetscKrylov&) = delete;
  PetscKrylov& operator=(const PetscKrylov&) = delete;

  // Solves op·x = b. With a null space the right-hand side's component along it is removed first
  // (b is modified), as a consistent singular system needs. `use_guess`: start from x as given.
  KrylovReport solve(Vec b, Vec x, bool use_guess);
  // "cg + gamg": what the user's options made of the defaults.
  std::string description() const;

 private:
  KSP ksp_ = nullptr;
  MatNullSpace null_space_ = nullptr;
};

}  // namespace anneal::solvers
