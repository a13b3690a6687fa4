#pragma once
// Forward Taylor (jet) propagation: a network's value together with its first and second
// derivatives with respect to chosen input coordinates, in one forward pass (DESIGN.md §2). The
// propagation is written with ordinary differentiable ops, so a loss built from the derivatives
// (a PINN residual u_t + c u_x − ν u_xx) back-propagates to the parameters by reverse mode.
//
// For k chosen directions e_i the jet holds, per layer, z, ∂z/∂x_i and ∂²z/∂x_i² (no mixed terms):
//   linear:     z' = x' W,               z'' = x'' W
//   activation: a' = σ'(z) z',           a'' = σ''(z) z'² + σ'(z) z''
#include <vector>

#include "nn/activation.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

struct Jet {
  Tensor value;   // [N, width]
  Tensor first;   // [k, N, width]: ∂/∂x_{dims[i]}
  Tensor second;  // [k, N, width]: ∂²/∂x_{dims[i]}²
};

// The jet of the inputs x [N, d] themselves for directions `dims` (indices into the d columns).
Jet seed_jet(const Tensor& x, const std::vector<std::int64_t>& dims);
Jet linear_jet(const Jet& in, const Tensor& weight, const Tensor& bias);
Jet activation_jet(const Jet& in, Activation activation);

}  // namespace anneal::nn
