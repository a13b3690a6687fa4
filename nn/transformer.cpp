#include "nn/transformer.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "nn/ops_attention.hpp"

namespace anneal::nn {

LayerNorm::LayerNorm(std::int64_t dim, DType dtype, double eps) : eps_(eps) {
  ANNEAL_CHECK(dim > 0, "LayerNorm({}): the feature count must be positive", dim);
  ANNEAL_CHECK(eps >= 0, "LayerNorm: eps = {} must not be negative", eps);
  weight_ = register_parameter("weight", Tensor::ones({dim}, dtype));
  bias_ = register_parameter("bias", Tensor::zeros({dim}, dtype));
}

Tensor LayerNorm::forward(const Tensor& x) const { return layer_norm(x, weight_, bias_, eps_); }

MultiHeadAttention::MultiHeadAttention(std::int64_t embed_dim, std::int64_t num_heads, RandomStream& rng, DType dtype)
    : embed_dim_(embed_dim), num_heads_(num_heads) {
  ANNEAL_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
               "MultiHeadAttention: {} features do not split into {} heads", embed_dim, num_heads);
  q_proj_ = register_module("q_proj", std::make_shared<Linear>(embed_dim, embed_dim, rng, dtype));
  k_proj_ = register_module("k_proj", std::make_shared<Linear>(embed_dim, embed_dim, rng, dtype));
  v_proj_ = register_module("v_proj", std::make_shared<Linear>(embed_dim, embed_dim, rng, dtype));
  out_proj_ = register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, rng, dtype));
}

Tensor MultiHeadAttention::forward(const Tensor& x, const Tensor& mask, bool causal) const {
  return attend(x, x, x, mask, causal);
}

Tensor MultiHeadAttention::attend(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& mask,
                                  bool causal) const {
  const bool unbatched = query.dim() == 2;
  ANNEAL_CHECK(query.dim() == key.dim() && query.dim() == value.dim() && (query.dim() == 2 || query.dim() == 3),
               "MultiHeadAttention: query, key, value must all be [B, L, E] or all [L, E]; got {}, {}, {}",
               to_string(query.shape()), to_string(key.shape()), to_string(value.shape()));
  const Tensor q_in = unbatched ? unsqueeze(query, 0) : query;
  const Tensor k_in = unbatched ? unsqueeze(key, 0) : key;
  const Tensor v_in = unbatched ? unsqueeze(value, 0) : value;
  const std::int64_t batch = q_in.size(0), length = q_in.size(1), keys = k_in.size(1);
  ANNEAL_CHECK(q_in.size(2) == embed_dim_ && k_in.size(2) == embed_dim_ && v_in.size(2) == embed_dim_ &&
                   k_in.size(0) == batch && v_in.size(0) == batch && v_in.size(1) == keys,
               "MultiHeadAttention({} features): query {}, key {}, value {} do not fit", embed_dim_,
               to_string(query.shape()), to_string(key.shape()), to_string(value.shape()));
  const std::int64_t head_dim = embed_dim_ / num_heads_;
  // [B, n, E] -> [B, H, n, E/H]
  auto split_heads = [&](const Tensor& t, std::int64_t n) {
    return permute(t.reshape({batch, n, num_heads_, head_dim}), {0, 2, 1, 3});
  };
  const Tensor q = split_heads(q_proj_->forward(q_in), length);
  const Tensor k = split_heads(k_proj_->forward(k_in), keys);
  const Tensor v = split_heads(v_proj_->forward(v_in), keys);
  const Tensor heads = scaled_dot_product_attention(q, k, v, mask, causal);
  const Tensor merged = permute(heads, {0, 2, 1, 3}).reshape({batch, length, embed_dim_});
  const Tensor out = out_proj_->forward(merged);
  return unbatched ? squeeze(out, 0) : out;
}

TransformerBlock::TransformerBlock(std::int64_t embed_dim, std::int64_t num_heads, std::int64_t mlp_hidden,
                                   RandomStream& rng, DType dtype, double eps) {
  ANNEAL_CHECK(mlp_hidden >= 0, "TransformerBlock: MLP width {} must not be negative", mlp_hidden);
  const std::int64_t hidden = mlp_hidden == 0 ? 4 * embed_dim : mlp_hidden;
  ln1_ = register_module("ln1", std::make_shared<LayerNorm>(embed_dim, dtype, eps));
  attn_ = register_module("attn", std::make_shared<MultiHeadAttention>(embed_dim, num_heads, rng, dtype));
  ln2_ = register_module("ln2", std::make_shared<LayerNorm>(embed_dim, dtype, eps));
  mlp_ = register_module("mlp", std::make_shared<Mlp>(std::vector<std::int64_t>{embed_dim, hidden, embed_dim},
                                                      Activation::gelu, rng, dtype));
}

Tensor TransformerBlock::forward(const Tensor& x, const Tensor& mask, bool causal) const {
  const Tensor h = add(x, attn_->forward(ln1_->forward(x), mask, causal));
  return add(h, mlp_->forward(ln2_->forward(h)));
}

}  // namespace anneal::nn
