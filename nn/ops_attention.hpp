#pragma once
// The fused kernels of attention models (DESIGN.md §2: softmax attention, layer norm): softmax and
// log-softmax along an axis, layer normalisation over the last axis and scaled dot-product
// attention. Each has one forward kernel and a hand-written backward kernel, so a transformer
// block does not pay for the many temporaries and tape nodes of the same formulas in basic ops.
#include <cstdint>
#include <optional>

#include "nn/autograd.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

// softmax(x)_i = exp(x_i − m) / Σ_j exp(x_j − m) along `axis`, with m the maximum of the line, so
// large inputs do not overflow. A line whose entries are all −∞ (fully masked) gives zeros, not
// NaN. Backward: g_x = y ⊙ (g − Σ g ⊙ y).
Tensor softmax(const Tensor& x, std::int64_t axis = -1);

// log softmax(x)_i = x_i − m − log Σ_j exp(x_j − m) along `axis`; a line of all −∞ gives −∞.
// Backward: g_x = g − softmax(x) Σ g.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

// Layer normalisation over the last axis (Ba, Kiros & Hinton 2016):
//   y = (x − μ) / √(σ² + eps) ⊙ weight + bias,
// μ and σ² the mean and biased variance of each row. weight and bias have shape [D], D = x's last
// extent; either may be undefined (weight 1, bias 0).
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

// softmax(q kᵀ · scale + masking) v for each batch b and head h (Vaswani et al. 2017):
//   q [B, H, L, D], k [B, H, S, D], v [B, H, S, Dv] -> [B, H, L, Dv].
// `mask` (optional; any dtype) broadcasts to [B, H, L, S] as NumPy does: an entry equal to 0 hides
// key j from query i (its score becomes −∞ before the softmax), any other value keeps it; a
// key-padding mask is [B, 1, 1, S], a shared one [L, S]. `causal` also hides keys j > i (top-left
// aligned, as PyTorch's is_causal). A query that sees no key at all gets an output row of zeros
// and passes no gradient (its softmax row is all zeros, see softmax above), rather than NaN.
// `scale` defaults to 1/√D. The mask gets no gradient.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask = {},
                                    bool causal = false, std::optional<double> scale = std::nullopt);

}  // namespace anneal::nn
