#pragma once
// Differentiable solutions of equations (DESIGN.md §2, "implicit layers"): the anchor is JAXopt's
// custom_root / custom_fixed_point (Blondel et al., "Efficient and modular implicit
// differentiation", NeurIPS 2022). A model states an *optimality condition* and how to solve it;
// the result is an ordinary tensor of the autograd tape whose backward pass solves the adjoint
// system given by the implicit function theorem instead of unrolling the solver:
//
//   root:        F(x*, θ) = 0      ⇒  ∂L/∂θ = −(∂F/∂θ)ᵀ μ,   (∂F/∂x)ᵀ μ = ∂L/∂x*
//   fixed point: x* = T(x*, θ)     ⇒  ∂L/∂θ =  (∂T/∂θ)ᵀ λ,   λ = ∂L/∂x* + (∂T/∂x)ᵀ λ
//
// The condition is written with ordinary nn ops; its vector-Jacobian products come from the tape
// (one reverse pass per adjoint iteration), so any model can use it: CGS, IGNN-style implicit GNNs,
// deep equilibrium models. The parameters θ are any tensors (leaves or the outputs of an encoder);
// gradients flow on to whatever made them.
//
// Both solves report their status; a caller that asks for the report sees iterations and residuals,
// and one that does not is still warned (core/log.hpp) when a solve fails to converge.
#include <functional>
#include <memory>
#include <vector>

#include "nn/tensor.hpp"
#include "solvers/implicit/fixed_point_iteration.hpp"
#include "solvers/implicit/gmres.hpp"

namespace anneal::solvers {

// T(x, θ) or F(x, θ): same shape as x.
using ImplicitCondition = std::function<nn::Tensor(const nn::Tensor& x, const std::vector<nn::Tensor>& params)>;
// A forward solver for custom_root: x* from an initial guess (runs without recording).
using RootSolver = std::function<nn::Tensor(const nn::Tensor& x_init, const std::vector<nn::Tensor>& params)>;

enum class AdjointMethod { fixed_point, gmres };

struct ImplicitOptions {
  FixedPointOptions forward;  // custom_fixed_point's forward iteration
  // The adjoint solve: fixed-point iteration λ ← g + (∂T/∂x)ᵀ λ (fixed points only; converges
  // whenever the forward map contracts) or GMRES on the adjoint system (any condition).
  AdjointMethod adjoint = AdjointMethod::fixed_point;
  FixedPointOptions adjoint_iteration;
  GmresOptions adjoint_gmres;
};

struct ImplicitReport {
  FixedPointStatus forward;  // custom_fixed_point only
  std::int64_t adjoint_iterations = 0;
  double adjoint_residual = 0;
  bool adjoint_converged = true;
  bool backward_ran = false;
};

// x* = T(x*, θ), iterated from x_init.
nn::Tensor custom_fixed_point(const ImplicitCondition& map, const nn::Tensor& x_init,
                              const std::vector<nn::Tensor>& params, const ImplicitOptions& options = {},
                              std::shared_ptr<ImplicitReport> report = nullptr);

// F(x*, θ) = 0 with x* = solver(x_init, θ). The adjoint uses GMRES whatever options.adjoint says
// (a root condition has no contraction to iterate).
nn::Tensor custom_root(const ImplicitCondition& condition, const RootSolver& solver, const nn::Tensor& x_init,
                       const std::vector<nn::Tensor>& params, const ImplicitOptions& options = {},
                       std::shared_ptr<ImplicitReport> report = nullptr);

}  // namespace anneal::solvers
