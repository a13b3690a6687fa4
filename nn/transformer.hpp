#pragma once
// Transformer modules (Vaswani et al. 2017) in the pre-LayerNorm arrangement (Xiong et al. 2020),
// which trains without learning-rate warm-up: LayerNorm, MultiHeadAttention and TransformerBlock.
// Sequences are [B, L, E] (batch, length, embedding); an unbatched [L, E] is accepted too.
#include <memory>

#include "nn/linear.hpp"
#include "nn/mlp.hpp"
#include "nn/module.hpp"

namespace anneal::nn {

// Layer normalisation over the last axis with a learnable per-feature weight (init 1) and bias
// (init 0), parameters "weight" and "bias" (nn/ops_attention.hpp: layer_norm).
class LayerNorm : public Module {
 public:
  explicit LayerNorm(std::int64_t dim, DType dtype = DType::f32, double eps = 1e-5);
  Tensor forward(const Tensor& x) const;  // [..., dim] -> [..., dim]

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  double eps() const { return eps_; }

 private:
  Tensor weight_, bias_;
  double eps_;
};

// Multi-head attention with Q/K/V/output projections ("q_proj", "k_proj", "v_proj", "out_proj",
// each an nn::Linear [E, E] with bias): the E features split into `num_heads` heads of E/H.
class MultiHeadAttention : public Module {
 public:
  MultiHeadAttention(std::int64_t embed_dim, std::int64_t num_heads, RandomStream& rng, DType dtype = DType::f32);

  // Self-attention of x [B, L, E] (or [L, E]). `mask` and `causal` as scaled_dot_product_attention
  // (nn/ops_attention.hpp): mask broadcasts to [B, H, L, L], 0 hides a key.
  Tensor forward(const Tensor& x, const Tensor& mask = {}, bool causal = false) const;
  // Cross-attention: query [B, L, E] attends to key and value [B, S, E]; mask broadcasts to
  // [B, H, L, S]. Gives [B, L, E].
  Tensor attend(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& mask = {},
                bool causal = false) const;

  std::int64_t embed_dim() const { return embed_dim_; }
  std::int64_t num_heads() const { return num_heads_; }
  const Linear& q_proj() const { return *q_proj_; }
  const Linear& k_proj() const { return *k_proj_; }
  const Linear& v_proj() const { return *v_proj_; }
  const Linear& out_proj() const { return *out_proj_; }

 private:
  std::int64_t embed_dim_, num_heads_;
  std::shared_ptr<Linear> q_proj_, k_proj_, v_proj_, out_proj_;
};

// Pre-LN transformer block:
//   h = x + attn(ln1(x)),   y = h + mlp(ln2(h)),
// mlp = Linear(E, hidden) → GELU → Linear(hidden, E). Modules "ln1", "attn", "ln2", "mlp". Without
// a positional encoding (and with no mask or a permutation-invariant one) the block is
// permutation-equivariant along the sequence.
class TransformerBlock : public Module {
 public:
  // mlp_hidden = 0 takes the customary 4 E.
  TransformerBlock(std::int64_t embed_dim, std::int64_t num_heads, std::int64_t mlp_hidden, RandomStream& rng,
                   DType dtype = DType::f32, double eps = 1e-5);
  Tensor forward(const Tensor& x, const Tensor& mask = {}, bool causal = false) const;  // [B, L, E] or [L, E]

  const LayerNorm& ln1() const { return *ln1_; }
  const MultiHeadAttention& attn() const { return *attn_; }
  const LayerNorm& ln2() const { return *ln2_; }
  const Mlp& mlp() const { return *mlp_; }

 private:
  std::shared_ptr<LayerNorm> ln1_;
  std::shared_ptr<MultiHeadAttention> attn_;
  std::shared_ptr<LayerNorm> ln2_;
  std::shared_ptr<Mlp> mlp_;
};

}  // namespace anneal::nn
