#pragma once
// diffGrad (Dubey et al., IEEE TNNLS 2020, arXiv:1909.11015): Adam whose first moment is scaled,
// per element, by a friction coefficient from the change of the gradient,
//   ξ = sigmoid(|g_{t−1} − g_t|) ∈ [0.5, 1),   θ ← θ − η ξ m̂ / (√v̂ + ε)
// with m̂, v̂ Adam's bias-corrected moments and g_0 = 0. Where the gradient barely changes (near a
// flat minimum) the step is halved; where it changes fast the step is Adam's.
#include "nn/adam.hpp"

namespace anneal::nn {

class DiffGrad : public Adam {
 public:
  // weight_decay is coupled L2 (g ← g + λ θ), as in the authors' implementation.
  // state(): Adam's, plus per parameter i "previous_grad/i", the g_{t−1} of the friction coefficient.
  DiffGrad(std::vector<Tensor> parameters, const AdamOptions& options = {});
};

}  // namespace anneal::nn
