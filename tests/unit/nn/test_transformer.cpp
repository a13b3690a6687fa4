// Transformer modules of nn/transformer.cpp: multi-head attention against a naive loop built from
// the module's own weights, gradients of a whole block against finite differences (f64), and the
// structural properties of a block: permutation equivariance without positional encoding and
// causality under a causal mask.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/ops.hpp"
#include "nn/transformer.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;

namespace {

// y[b, l, :] = x[b, l, :] W + bias for x [B, L, E], W [E, E], in double.
std::vector<double> project(const std::vector<double>& x, const Linear& lin, std::int64_t rows) {
  const auto w = lin.weight().to_vector(), bias = lin.bias().to_vector();
  const std::int64_t in = lin.in_features(), out = lin.out_features();
  std::vector<double> y(static_cast<std::size_t>(rows * out));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t o = 0; o < out; ++o) {
      double s = bias[static_cast<std::size_t>(o)];
      for (std::int64_t i = 0; i < in; ++i)
        s += x[static_cast<std::size_t>(r * in + i)] * w[static_cast<std::size_t>(i * out + o)];
      y[static_cast<std::size_t>(r * out + o)] = s;
    }
  return y;
}

// Multi-head self-attention of x [B, L, E] by explicit loops over the module's weights.
std::vector<double> naive_mha(const MultiHeadAttention& mha, const Tensor& x, bool causal) {
  const std::int64_t B = x.size(0), L = x.size(1), E = x.size(2), H = mha.num_heads(), Dh = E / H;
  const auto xv = x.to_vector();
  const auto q = project(xv, mha.q_proj(), B * L), k = project(xv, mha.k_proj(), B * L),
             v = project(xv, mha.v_proj(), B * L);
  std::vector<double> merged(static_cast<std::size_t>(B * L * E), 0.0);
  auto at = [&](std::int64_t b, std::int64_t l, std::int64_t h, std::int64_t d) {
    return static_cast<std::size_t>((b * L + l) * E + h * Dh + d);
  };
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t i = 0; i < L; ++i) {
        std::vector<double> w(static_cast<std::size_t>(L), 0.0);
        double m = -1e300, total = 0;
        const std::int64_t last = causal ? i : L - 1;
        for (std::int64_t j = 0; j <= last; ++j) {
          double s = 0;
          for (std::int64_t d = 0; d < Dh; ++d) s += q[at(b, i, h, d)] * k[at(b, j, h, d)];
          w[static_cast<std::size_t>(j)] = s / std::sqrt(static_cast<double>(Dh));
          m = std::max(m, w[static_cast<std::size_t>(j)]);
        }
        for (std::int64_t j = 0; j <= last; ++j)
          total += (w[static_cast<std::size_t>(j)] = std::exp(w[static_cast<std::size_t>(j)] - m));
        for (std::int64_t j = 0; j <= last; ++j)
          for (std::int64_t d = 0; d < Dh; ++d)
            merged[at(b, i, h, d)] += w[static_cast<std::size_t>(j)] / total * v[at(b, j, h, d)];
      }
  return project(merged, mha.out_proj(), B * L);
}

// x with its sequence axis (1) reordered: out[:, l] = x[:, perm[l]].
Tensor permute_sequence(const Tensor& x, const std::vector<std::int64_t>& perm) {
  std::vector<Tensor> rows;
  for (std::int64_t p : perm) rows.push_back(slice(x, 1, p, p + 1));
  return concat(rows, 1);
}

Tensor find_parameter(const Module& m, const std::string& name) {
  for (const auto& [n, t] : m.named_parameters())
    if (n == name) return t;
  FAIL("no parameter " << name);
  return {};
}

}  // namespace

TEST_CASE("attention: LayerNorm starts as weight 1 and bias 0 and normalises the last axis", "[nn][attention]") {
  const LayerNorm ln(6, DType::f64, 1e-5);
  const auto params = ln.named_parameters();
  REQUIRE(params.size() == 2);
  CHECK(params[0].first == "weight");
  CHECK(params[1].first == "bias");
  for (double w : ln.weight().to_vector()) CHECK(w == 1.0);
  for (double b : ln.bias().to_vector()) CHECK(b == 0.0);
  const Tensor y = ln.forward(randn64({3, 6}, 1));
  for (double m : mean(y, {-1}).to_vector()) CHECK(std::abs(m) <= 1e-14);
  CHECK_THROWS_AS(LayerNorm(0), anneal::Error);
}

TEST_CASE("attention: MultiHeadAttention matches a naive loop over its own projections", "[nn][attention]") {
  anneal::RandomStream rng(7, 0);
  const MultiHeadAttention mha(8, 2, rng, DType::f64);
  CHECK(mha.parameter_count() == 4 * (8 * 8 + 8));
  // Biases start at zero; give them values so that the reference checks them too.
  for (auto [name, p] : mha.named_parameters())
    if (name.ends_with("bias")) p.copy_(randn64(p.shape(), 50 + name.size()));
  const Tensor x = randn64({2, 5, 8}, 2);
  for (bool causal : {false, true}) {
    CAPTURE(causal);
    CHECK(max_rel_diff(mha.forward(x, Tensor(), causal).to_vector(), naive_mha(mha, x, causal), 1.0) <= 1e-13);
  }
  // Unbatched [L, E] is the batch of one.
  const Tensor x1 = slice(x, 0, 1, 2);
  CHECK(max_rel_diff(mha.forward(squeeze(x1, 0)).to_vector(), mha.forward(x1).to_vector(), 1.0) <= 1e-15);
  // Cross-attention to a sequence of another length.
  const Tensor kv = randn64({2, 3, 8}, 3);
  CHECK(mha.attend(x, kv, kv).shape() == Shape{2, 5, 8});
  CHECK_THROWS_AS(MultiHeadAttention(6, 4, rng), anneal::Error);
  CHECK_THROWS_AS(mha.forward(randn64({2, 5, 6}, 4)), anneal::Error);
}

TEST_CASE("attention: TransformerBlock gradients in its input and parameters match finite differences",
          "[nn][attention]") {
  anneal::RandomStream rng(11, 0);
  const TransformerBlock block(4, 2, 8, rng, DType::f64);
  const auto names = block.named_parameters();
  CHECK(block.parameter_count() == 2 * (4 + 4) + 4 * (4 * 4 + 4) + (4 * 8 + 8) + (8 * 4 + 4));
  // Non-trivial LayerNorm affine parts and biases, so that their gradients are generic.
  for (auto [name, p] : names)
    if (name.starts_with("ln") || name.ends_with("bias")) {
      const Tensor noise = mul(randn64(p.shape(), 60 + name.size()), 0.3);
      p.copy_(add(p.detach(), noise));
    }
  const Tensor x = randn64({2, 3, 4}, 12);
  const std::vector<std::string> checked = {"ln1.weight", "attn.q_proj.weight", "attn.v_proj.bias", "ln2.bias",
                                            "mlp.0.weight"};
  for (bool causal : {false, true}) {
    CAPTURE(causal);
    std::vector<Tensor> inputs{x.clone().detach()};
    for (const auto& n : checked) inputs.push_back(find_parameter(block, n));
    require_gradcheck(
        [&block, causal](const std::vector<Tensor>& in) { return block.forward(in[0], Tensor(), causal); }, inputs);
  }
  // Parameters gradients by backward() land in .grad() of every parameter.
  Tensor loss = sum(square(block.forward(x)));
  loss.backward();
  for (const auto& [name, p] : block.named_parameters()) {
    CAPTURE(name);
    CHECK(p.grad().defined());
  }
}

TEST_CASE("attention: a TransformerBlock without positional encoding is permutation-equivariant", "[nn][attention]") {
  anneal::RandomStream rng(13, 0);
  const TransformerBlock block(8, 4, 0, rng, DType::f64);
  const Tensor x = randn64({2, 6, 8}, 14);
  const std::vector<std::int64_t> perm = {3, 0, 5, 1, 4, 2};
  const Tensor y_of_permuted = block.forward(permute_sequence(x, perm));
  const Tensor permuted_y = permute_sequence(block.forward(x), perm);
  CHECK(max_rel_diff(y_of_permuted.to_vector(), permuted_y.to_vector(), 1.0) <= 1e-13);
  // The check has teeth: the output does depend on the order of the other tokens' values.
  CHECK(max_rel_diff(y_of_permuted.to_vector(), block.forward(x).to_vector(), 1.0) > 1e-3);
}

TEST_CASE("attention: under a causal mask a TransformerBlock's outputs do not depend on later tokens",
          "[nn][attention]") {
  anneal::RandomStream rng(15, 0);
  const TransformerBlock block(4, 2, 0, rng, DType::f64);
  const Tensor x = randn64({1, 5, 4}, 16);
  Tensor changed = x.clone().detach();
  double* p = changed.data<double>();
  for (int e = 0; e < 4; ++e) p[4 * 4 + e] += 1.0;  // token 4, the last
  const auto y0 = block.forward(x, Tensor(), true).to_vector(), y1 = block.forward(changed, Tensor(), true).to_vector();
  for (std::size_t i = 0; i < 16; ++i) CHECK(y0[i] == y1[i]);  // tokens 0..3 untouched
  bool last_changed = false;
  for (std::size_t i = 16; i < 20; ++i) last_changed = last_changed || y0[i] != y1[i];
  CHECK(last_changed);
}
