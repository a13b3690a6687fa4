#pragma once
// Gradient clipping by global norm (Pascanu et al. 2013): all gradients are scaled by one factor so
// that their joint L2 norm is at most max_norm, which keeps the update's direction.
#include <vector>

#include "nn/tensor.hpp"

namespace anneal::nn {

// The L2 norm of all parameters' gradients taken together, before clipping; if it exceeds
// `max_norm` every gradient is scaled in place by max_norm / norm. Parameters without a gradient
// are skipped. A NaN or infinite norm throws: scaling would silently zero or poison the step.
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm);

// The same norm, without clipping (monitoring).
double grad_norm(const std::vector<Tensor>& parameters);

}  // namespace anneal::nn
