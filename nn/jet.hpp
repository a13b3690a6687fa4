#pragma once
// Forward Taylor (jet) propagation: a network's value together with its first and second
// derivatives with respect to chosen input coordinates, in one forward pass (DESIGN.md §2). The
// result is differentiable, so a loss built from the derivatives (a PINN residual
// u_t + c u_x − ν u_xx) back-propagates to the parameters by ordinary reverse mode.
//
// For k chosen directions e_i the jet holds, per layer, z, ∂z/∂x_i and ∂²z/∂x_i² (no mixed terms):
//   linear:     z' = x' W,               z'' = x'' W
//   activation: a' = σ'(z) z',           a'' = σ''(z) z'² + σ'(z) z''
// The 1 + k + q streams (q second derivatives) are packed in one tensor [1 + k + q, N, width], so a linear layer is one GEMM and
// an activation one fused kernel (with a hand-written backward) instead of a dozen element-wise ops.
#include <vector>

#include "nn/activation.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

class Jet {
 public:
  // `second_of[j]`: the direction (index into dims) whose second derivative is stream 1 + k + j.
  Jet(Tensor packed, std::int64_t directions, std::vector<std::int64_t> second_of)
      : packed_(std::move(packed)), k_(directions), second_of_(std::move(second_of)) {}

  Tensor value() const;                    // [N, width]
  Tensor first(std::int64_t i) const;      // ∂/∂x_{dims[i]},   [N, width]
  Tensor second(std::int64_t i) const;     // ∂²/∂x_{dims[i]}², [N, width]; i must be curved
  std::int64_t directions() const { return k_; }
  const std::vector<std::int64_t>& second_of() const { return second_of_; }
  const Tensor& packed() const { return packed_; }  // [1 + k + q, N, width]

 private:
  Tensor packed_;
  std::int64_t k_;
  std::vector<std::int64_t> second_of_;
};

// The jet of the inputs x [N, d] themselves: first derivatives along input columns `dims`, second
// derivatives along `curved` (a subset of dims; all of dims when empty). A PINN for u_t + c u_x =
// ν u_xx asks for dims {x, t} and curved {x}: no work is spent on u_tt.
Jet seed_jet(const Tensor& x, const std::vector<std::int64_t>& dims, const std::vector<std::int64_t>& curved = {});
Jet linear_jet(const Jet& in, const Tensor& weight, const Tensor& bias);
Jet activation_jet(const Jet& in, Activation activation);

}  // namespace anneal::nn
