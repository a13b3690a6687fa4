#pragma once
// Forward Taylor (jet) propagation: a network's value together with its first and second
// derivatives with respect to chosen input coordinates, in one forward pass (DESIGN.md §2). The
// result is differentiable, so a loss built from the derivatives (a PINN residual
// u_t + c u_x − ν u_xx) back-propagates to the parameters by ordinary reverse mode.
//
// For k chosen directions e_i the jet holds, per layer, z, ∂z/∂x_i and ∂²z/∂x_i² (no mixed terms):
//   linear:     z' = x' W,               z'' = x'' W
//   activation: a' = σ'(z) z',           a'' = σ''(z) z'² + σ'(z) z''
// The 1 + 2k streams are packed in one tensor [1 + 2k, N, width], so a linear layer is one GEMM and
// an activation one fused kernel (with a hand-written backward) instead of a dozen element-wise ops.
#include <vector>

#include "nn/activation.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

class Jet {
 public:
  Jet(Tensor packed, std::int64_t directions) : packed_(std::move(packed)), k_(directions) {}

  Tensor value() const;                    // [N, width]
  Tensor first(std::int64_t i) const;      // ∂/∂x_{dims[i]},   [N, width]
  Tensor second(std::int64_t i) const;     // ∂²/∂x_{dims[i]}², [N, width]
  std::int64_t directions() const { return k_; }
  const Tensor& packed() const { return packed_; }  // [1 + 2k, N, width]

 private:
  Tensor packed_;
  std::int64_t k_;
};

// The jet of the inputs x [N, d] themselves for directions `dims` (indices into the d columns).
Jet seed_jet(const Tensor& x, const std::vector<std::int64_t>& dims);
Jet linear_jet(const Jet& in, const Tensor& weight, const Tensor& bias);
Jet activation_jet(const Jet& in, Activation activation);

}  // namespace anneal::nn
