#pragma once
// Data-parallel training over MPI (DESIGN.md §2): every rank holds the whole model and a slice
// of each global batch; after backward, gradients are averaged over ranks, so every rank takes the
// same optimizer step. With equal slices this is the gradient of the global-batch mean loss.
#include <vector>

#include "nn/tensor.hpp"

namespace anneal::nn {

// Rank 0's parameter values to every rank (start from the same model). Collective.
void broadcast_parameters(const std::vector<Tensor>& parameters);

// Replaces each parameter's grad by its mean over ranks, in one all-reduce of a packed buffer
// (one message instead of one per tensor). A parameter without a grad counts as zero. Collective;
// a no-op on one rank.
void average_gradients(const std::vector<Tensor>& parameters);

}  // namespace anneal::nn
