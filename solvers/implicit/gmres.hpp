#pragma once
// Restarted GMRES(m) for A x = b with A given only as a product v ↦ A v (Saad & Schultz 1986):
// matrix-free, so an implicit layer's adjoint system (∂F/∂x)ᵀ μ = g is solved with one
// vector-Jacobian product per iteration and no Jacobian is ever formed. Modified Gram–Schmidt
// Arnoldi with Givens rotations; the residual norm is tracked for free and checked at the end.
#include <cstdint>
#include <functional>
#include <span>

namespace anneal::solvers {

struct GmresOptions {
  int restart = 30;
  std::int64_t max_iterations = 1000;  // operator products in all
  double tolerance = 1e-10;            // on ‖b − A x‖₂ / ‖b‖₂
};

struct GmresStatus {
  std::int64_t iterations = 0;
  double residual = 0;  // true relative residual at the returned x
  bool converged = false;
};

using LinearOperator = std::function<void(std::span<const double> v, std::span<double> out)>;

// Starts from the guess in `x` and leaves the solution there.
GmresStatus gmres(const LinearOperator& apply, std::span<const double> b, std::span<double> x,
                  const GmresOptions& options);

}  // namespace anneal::solvers
