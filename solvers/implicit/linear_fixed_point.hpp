#pragma once
// The implicit layer of convergent graph solvers (Park, Choo & Park, ICLR 2022), as one
// differentiable op on sparse matrices: per head h,
//
//   x_h = γ A_h x_h + b_h,   (A_h)_{dst(e), src(e)} = weights[e, h]   (repeated edges add)
//
// A_h has the graph's sparsity and is never stored densely (the authors' code builds dense [N, N]
// matrices per head). The forward solve is fixed-point (Picard) iteration, Anderson acceleration or
// a sparse LU of I − γA_h; the backward pass solves the adjoint system λ_h = (I − γA_h)⁻ᵀ ∂L/∂x_h by
// the same method on the transposed map and returns
//
//   ∂L/∂b_h = λ_h,   ∂L/∂weights[e, h] = γ λ_h[dst(e)] x_h[src(e)].
//
// Existence and uniqueness need γ‖A_h‖_∞ < 1 for the iterations (Banach); the direct solve only
// needs I − γA_h non-singular. Both solves check the residual of the equation they solved and
// report it; a solve that misses the tolerance is warned about, never hidden.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nn/message_passing.hpp"
#include "nn/tensor.hpp"
#include "solvers/implicit/fixed_point_iteration.hpp"

namespace anneal::solvers {

// automatic: direct up to kAutomaticDirectLimit nodes (sparse LU is robust however close γ‖A‖ is
// to 1, and cheap on small graphs), Anderson above (memory and time linear in the edges).
enum class LinearSolveMethod { picard, anderson, direct, automatic };
inline constexpr std::int64_t kAutomaticDirectLimit = 20000;
// "picard", "anderson", "direct" or "auto"
LinearSolveMethod parse_linear_solve_method(std::string_view name);
std::string to_string(LinearSolveMethod method);

struct LinearFixedPointOptions {
  LinearSolveMethod forward = LinearSolveMethod::automatic;
  LinearSolveMethod adjoint = LinearSolveMethod::automatic;
  FixedPointOptions iteration;  // tolerance, iteration cap, Anderson memory (its `method` is ignored)
};

// Worst over heads. Residuals are ‖x − γAx − b‖₂ / ‖x‖₂ (forward) and the same for the adjoint.
struct LinearFixedPointReport {
  std::int64_t forward_iterations = 0, adjoint_iterations = 0;
  double forward_residual = 0, adjoint_residual = 0;
  bool forward_converged = true, adjoint_converged = true;
  bool backward_ran = false;
  // max_h ‖x_h‖∞ / ‖b_h‖∞: how far the map amplifies its input. A contraction by factor q bounds it
  // by 1/(1 − q); a large value means a map close to singular, whose answer is ill-conditioned.
  double amplification = 0;
};

// edges: ids in [0, N); weights [E, H]; bias [N, H] -> x [N, H]. Differentiable in weights and bias.
nn::Tensor linear_fixed_point(const nn::EdgeIndex& edges, const nn::Tensor& weights, const nn::Tensor& bias,
                              double gamma, const LinearFixedPointOptions& options = {},
                              std::shared_ptr<LinearFixedPointReport> report = nullptr);

// max_h ‖A_h‖_∞ (largest absolute row sum), the figure the contraction guarantee is about.
double max_row_abs_sum(const nn::EdgeIndex& edges, const nn::Tensor& weights, std::int64_t nodes);

}  // namespace anneal::solvers
