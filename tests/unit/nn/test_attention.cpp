// Fused attention kernels of nn/ops_attention.cpp: softmax, log-softmax and layer norm against hand
// values and their defining properties, scaled dot-product attention against a naive loop, and
// every gradient against fourth-order finite differences in f64 (tests/unit/nn/gradcheck.hpp).
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "nn/ops_attention.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;
using anneal::test::uniform64;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}

// 0/1 mask of `shape` with about `keep` of the entries 1 (stream-seeded).
Tensor random_mask(const Shape& shape, double keep, std::uint64_t stream) {
  Tensor u = uniform64(shape, 0, 1, stream);
  double* p = u.data<double>();
  for (std::int64_t i = 0; i < u.numel(); ++i) p[i] = p[i] < keep ? 1.0 : 0.0;
  return u;
}

// Reference attention with explicit loops in double. mask4 is the mask already laid out as
// [B, H, L, S] (or empty); a query that sees no key gives zeros (the documented convention).
std::vector<double> naive_attention(const Tensor& q, const Tensor& k, const Tensor& v, const std::vector<double>& mask4,
                                    bool causal) {
  const auto B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3), S = k.size(2), Dv = v.size(3);
  const auto qv = q.to_vector(), kv = k.to_vector(), vv = v.to_vector();
  std::vector<double> out(static_cast<std::size_t>(B * H * L * Dv), 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t i = 0; i < L; ++i) {
        const std::int64_t bh = b * H + h;
        std::vector<double> w(static_cast<std::size_t>(S), 0.0);
        std::vector<bool> visible(static_cast<std::size_t>(S), true);
        double m = -kInf;
        for (std::int64_t j = 0; j < S; ++j) {
          bool keep = !causal || j <= i;
          if (!mask4.empty()) keep = keep && mask4[static_cast<std::size_t>((bh * L + i) * S + j)] != 0.0;
          visible[static_cast<std::size_t>(j)] = keep;
          double s = 0;
          for (std::int64_t d = 0; d < D; ++d)
            s +=
                qv[static_cast<std::size_t>((bh * L + i) * D + d)] * kv[static_cast<std::size_t>((bh * S + j) * D + d)];
          w[static_cast<std::size_t>(j)] = s * scale;
          if (keep) m = std::max(m, s * scale);
        }
        if (m == -kInf) continue;  // sees nothing: zeros
        double total = 0;
        for (std::int64_t j = 0; j < S; ++j) {
          auto& wj = w[static_cast<std::size_t>(j)];
          wj = visible[static_cast<std::size_t>(j)] ? std::exp(wj - m) : 0.0;
          total += wj;
        }
        for (std::int64_t j = 0; j < S; ++j)
          for (std::int64_t e = 0; e < Dv; ++e)
            out[static_cast<std::size_t>((bh * L + i) * Dv + e)] +=
                w[static_cast<std::size_t>(j)] / total * vv[static_cast<std::size_t>((bh * S + j) * Dv + e)];
      }
  return out;
}

// `mask` broadcast to [B, H, L, S] by hand (left-padded axes, extent-1 axes repeated).
std::vector<double> broadcast_mask(const Tensor& mask, const Shape& target) {
  const Shape& s = mask.shape();
  const auto values = mask.to_vector();
  std::vector<double> out(static_cast<std::size_t>(numel(target)));
  for (std::int64_t flat = 0; flat < numel(target); ++flat) {
    const auto idx = anneal::test::unravel(flat, target);
    std::vector<std::int64_t> src(s.size());
    for (std::size_t d = 0; d < s.size(); ++d) {
      const std::size_t o = d + target.size() - s.size();
      src[d] = s[d] == 1 ? 0 : idx[o];
    }
    out[static_cast<std::size_t>(flat)] = values[static_cast<std::size_t>(anneal::test::ravel(src, s))];
  }
  return out;
}

}  // namespace

TEST_CASE("attention: softmax and log_softmax match hand values, also for 1000 and 1001", "[nn][attention]") {
  const double e = std::exp(1.0);
  for (DType dtype : {DType::f64, DType::f32}) {
    const double tol = dtype == DType::f64 ? 1e-15 : 1e-6;
    CAPTURE(to_string(dtype));
    const Tensor x = Tensor::from_vector({1, 2, 3, 1000, 1001, 0, -1000, 0, -2000}, {3, 3}, dtype);
    const Tensor two = Tensor::from_vector({1000, 1001, -1000, 0}, {2, 2}, dtype);
    const auto p = softmax(two).to_vector();
    const auto lp = log_softmax(two).to_vector();
    // softmax(1000, 1001) = (1/(1+e), e/(1+e)), log: (−log(1+e), −log(1+1/e)).
    CHECK(max_rel_diff(p, {1 / (1 + e), e / (1 + e), 0.0, 1.0}, 1.0) <= tol);
    CHECK(p[0] == Approx(0.2689414213699951).epsilon(tol));
    CHECK(max_rel_diff(lp, {-1.3132616875182228, -0.31326168751822286, -1000.0, 0.0}, 1.0) <= tol);
    CHECK(lp[2] == -1000.0);  // exp(−1000) underflows, its log must not
    const auto p3 = softmax(x).to_vector();
    CHECK(max_rel_diff({p3[0], p3[1], p3[2]}, {0.09003057317038043, 0.24472847105479764, 0.6652409557748218}) <= tol);
    const auto l3 = log_softmax(x).to_vector();
    CHECK(max_rel_diff({l3[0], l3[1], l3[2]}, {-2.4076059644443806, -1.4076059644443804, -0.4076059644443804}) <= tol);
    CHECK(all_finite(softmax(x)));
    CHECK(all_finite(log_softmax(x)));
  }
}

TEST_CASE("attention: softmax lines sum to 1 along any axis and match exp(x)/sum exp(x)", "[nn][attention]") {
  const Tensor x = randn64({3, 4, 5}, 1);
  const auto xv = x.to_vector();
  for (std::int64_t axis : {0, 1, 2, -1}) {
    CAPTURE(axis);
    const Tensor y = softmax(x, axis);
    const Tensor ly = log_softmax(x, axis);
    CHECK(y.shape() == x.shape());
    const std::int64_t a = axis < 0 ? axis + 3 : axis;
    // Reference: exp(x) / Σ_axis exp(x), by explicit indexing.
    std::vector<double> ref(xv.size());
    for (std::int64_t flat = 0; flat < x.numel(); ++flat) {
      auto idx = anneal::test::unravel(flat, x.shape());
      double total = 0;
      for (std::int64_t e = 0; e < x.size(a); ++e) {
        idx[static_cast<std::size_t>(a)] = e;
        total += std::exp(xv[static_cast<std::size_t>(anneal::test::ravel(idx, x.shape()))]);
      }
      ref[static_cast<std::size_t>(flat)] = std::exp(xv[static_cast<std::size_t>(flat)]) / total;
    }
    CHECK(max_rel_diff(y.to_vector(), ref) <= 1e-13);
    std::vector<double> log_ref(ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) log_ref[i] = std::log(ref[i]);
    CHECK(max_rel_diff(ly.to_vector(), log_ref, 1.0) <= 1e-13);
    const auto sums = sum(y, {axis}).to_vector();
    for (double s : sums) CHECK(s == Approx(1.0).epsilon(1e-14));
  }
}

TEST_CASE("attention: softmax of a line of all -inf gives zeros, log_softmax gives -inf", "[nn][attention]") {
  const Tensor x = Tensor::from_vector({-kInf, -kInf, -kInf, 0.5, -kInf, 1.5}, {2, 3}, DType::f64);
  const auto p = softmax(x).to_vector();
  const auto lp = log_softmax(x).to_vector();
  CHECK(p[0] == 0.0);
  CHECK(p[1] == 0.0);
  CHECK(p[2] == 0.0);
  CHECK(lp[0] == -kInf);
  // The second row: −∞ is an ordinary masked entry.
  CHECK(p[4] == 0.0);
  CHECK(p[3] + p[5] == Approx(1.0).epsilon(1e-15));
  CHECK(p[5] == Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-15));
}

TEST_CASE("attention: gradients of softmax and log_softmax along each axis match finite differences",
          "[nn][attention]") {
  for (std::int64_t axis : {0, 1, -1}) {
    CAPTURE(axis);
    require_gradcheck([axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {randn64({3, 4, 5}, 2)});
    require_gradcheck([axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); },
                      {randn64({3, 4, 5}, 3)});
  }
  // Far-apart logits (some probabilities near 0 and 1).
  const Tensor spread = mul(randn64({2, 6}, 4), 10.0);
  require_gradcheck([](const std::vector<Tensor>& in) { return softmax(in[0], -1); }, {spread.clone().detach()});
  require_gradcheck([](const std::vector<Tensor>& in) { return log_softmax(in[0], -1); }, {spread.clone().detach()});
  // Softmax is invariant under a shift of the line, so its gradients are: at logits near 1000
  // (where exp overflows) they equal those at the unshifted logits. The step of the finite
  // differences scales with |x| and would be too coarse there.
  const Tensor weights = randn64({2, 6}, 5);
  for (bool log_space : {false, true}) {
    CAPTURE(log_space);
    auto gradient_at = [&](const Tensor& x0) {
      Tensor x = x0.clone().detach().set_requires_grad();
      const Tensor y = log_space ? log_softmax(x) : softmax(x);
      return grad(sum(mul(y, weights)), {x})[0].to_vector();
    };
    const auto g_shifted = gradient_at(add(spread, 1000.0));
    CHECK(all_finite(Tensor::from_vector(g_shifted, {2, 6}, DType::f64)));
    CHECK(max_rel_diff(g_shifted, gradient_at(spread), 1.0) <= 1e-12);
  }
}

TEST_CASE("attention: layer_norm rows have zero mean and unit variance, then the affine map", "[nn][attention]") {
  const double eps = 1e-5;
  // Rows with a large common offset test the two-pass variance.
  const Tensor x = add(mul(randn64({4, 3, 16}, 5), 2.0), 100.0);
  const Tensor y = layer_norm(x, Tensor(), Tensor(), eps);
  REQUIRE(y.shape() == x.shape());
  const auto xv = x.to_vector(), yv = y.to_vector();
  for (std::int64_t r = 0; r < 12; ++r) {
    double mx = 0, vx = 0, my = 0, vy = 0;
    for (std::int64_t j = 0; j < 16; ++j) {
      mx += xv[static_cast<std::size_t>(r * 16 + j)] / 16;
      my += yv[static_cast<std::size_t>(r * 16 + j)] / 16;
    }
    for (std::int64_t j = 0; j < 16; ++j) {
      vx += std::pow(xv[static_cast<std::size_t>(r * 16 + j)] - mx, 2) / 16;
      vy += std::pow(yv[static_cast<std::size_t>(r * 16 + j)] - my, 2) / 16;
    }
    CHECK(std::abs(my) <= 1e-13);
    // (x − μ)/√(σ² + eps) has variance σ²/(σ² + eps): 1 up to eps/σ².
    CHECK(vy == Approx(vx / (vx + eps)).epsilon(1e-12));
    CHECK(vy == Approx(1.0).epsilon(1e-5));
  }
  const Tensor w = randn64({16}, 6), b = randn64({16}, 7);
  const auto affine = layer_norm(x, w, b, eps).to_vector();
  const auto wv = w.to_vector(), bv = b.to_vector();
  std::vector<double> ref(yv.size());
  for (std::size_t i = 0; i < yv.size(); ++i) ref[i] = yv[i] * wv[i % 16] + bv[i % 16];
  CHECK(max_rel_diff(affine, ref, 1.0) <= 1e-14);

  // f32: the same statistics to single precision, also with the offset.
  const Tensor y32 = layer_norm(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), eps);
  CHECK(y32.dtype() == DType::f32);
  CHECK(max_rel_diff(y32.to_vector(), ref, 1.0) <= 1e-4);
}

TEST_CASE("attention: layer_norm gradients with respect to x, weight and bias match finite differences",
          "[nn][attention]") {
  require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2], 1e-5); },
                    {randn64({2, 3, 5}, 8), randn64({5}, 9), randn64({5}, 10)});
  // Without the affine part, and over a single row.
  require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], Tensor(), Tensor(), 1e-3); },
                    {randn64({1, 7}, 11)});
}

TEST_CASE("attention: on large inputs (the threaded paths) the fused ops agree with compositions of basic ops",
          "[nn][attention]") {
  // Over 2·16384 elements, so that the kernels split the work over threads.
  const Tensor x = randn64({300, 256}, 12);
  const Tensor w = randn64({300, 256}, 13);
  for (std::int64_t axis : {0, 1}) {
    CAPTURE(axis);
    Tensor xf = x.clone().detach().set_requires_grad(), xr = x.clone().detach().set_requires_grad();
    const Tensor fused = softmax(xf, axis);
    const Tensor shifted = sub(xr, max(xr, axis, true).detach());
    const Tensor reference = div(exp(shifted), sum(exp(shifted), {axis}, true));
    CHECK(max_rel_diff(fused.to_vector(), reference.to_vector(), 1e-300) <= 1e-13);
    const auto gf = grad(sum(mul(fused, w)), {xf})[0].to_vector();
    const auto gr = grad(sum(mul(reference, w)), {xr})[0].to_vector();
    CHECK(max_rel_diff(gf, gr, 1e-12) <= 1e-10);
  }
  const double eps = 1e-5;
  Tensor xf = x.clone().detach().set_requires_grad(), xr = x.clone().detach().set_requires_grad();
  Tensor wf = randn64({256}, 14).set_requires_grad(), bf = randn64({256}, 15).set_requires_grad();
  Tensor wr = wf.clone().detach().set_requires_grad(), br = bf.clone().detach().set_requires_grad();
  const Tensor fused = layer_norm(xf, wf, bf, eps);
  const Tensor centred = sub(xr, mean(xr, {-1}, true));
  const Tensor reference = add(mul(div(centred, sqrt(add(mean(square(centred), {-1}, true), eps))), wr), br);
  CHECK(max_rel_diff(fused.to_vector(), reference.to_vector(), 1.0) <= 1e-12);
  const auto gf = grad(sum(mul(fused, w)), {xf, wf, bf});
  const auto gr = grad(sum(mul(reference, w)), {xr, wr, br});
  for (std::size_t i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(max_rel_diff(gf[i].to_vector(), gr[i].to_vector(), 1.0) <= 1e-11);
  }
}

TEST_CASE("attention: layer_norm rejects a weight of the wrong size", "[nn][attention]") {
  CHECK_THROWS_AS(layer_norm(randn64({2, 4}, 1), randn64({3}, 2), Tensor(), 1e-5), anneal::Error);
}

TEST_CASE("attention: scaled_dot_product_attention matches a naive loop, with and without masks", "[nn][attention]") {
  const std::int64_t B = 2, H = 3, L = 4, S = 5, D = 6, Dv = 3;
  const Tensor q = randn64({B, H, L, D}, 20), k = randn64({B, H, S, D}, 21), v = randn64({B, H, S, Dv}, 22);
  const Shape full{B, H, L, S};
  struct Case {
    const char* name;
    Tensor mask;
    bool causal;
  };
  const std::vector<Case> cases = {
      {"plain", Tensor(), false},
      {"causal", Tensor(), true},
      {"full mask", random_mask(full, 0.6, 23), false},
      {"key padding [B,1,1,S]", random_mask({B, 1, 1, S}, 0.7, 24), false},
      {"shared [L,S]", random_mask({L, S}, 0.6, 25), false},
      {"[S] mask and causal", Tensor::from_vector({1, 0, 1, 1, 0}, {S}, DType::f64), true},
      {"f32 mask [B,H,L,S]", random_mask(full, 0.5, 26).to(DType::f32), false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const Tensor out = scaled_dot_product_attention(q, k, v, c.mask, c.causal);
    REQUIRE(out.shape() == Shape{B, H, L, Dv});
    const auto mask4 = c.mask.defined() ? broadcast_mask(c.mask, full) : std::vector<double>{};
    const auto ref = naive_attention(q, k, v, mask4, c.causal);
    CHECK(max_rel_diff(out.to_vector(), ref, 1.0) <= 1e-13);
    CHECK(all_finite(out));
    // f32 agrees to single precision.
    const Tensor out32 =
        scaled_dot_product_attention(q.to(DType::f32), k.to(DType::f32), v.to(DType::f32), c.mask, c.causal);
    CHECK(max_rel_diff(out32.to_vector(), ref, 1.0) <= 2e-6);
  }
  // L > S with causal: queries past the last key see every key.
  const Tensor q_long = randn64({1, 2, 7, D}, 27);
  const Tensor k_short = randn64({1, 2, 3, D}, 28), v_short = randn64({1, 2, 3, Dv}, 29);
  CHECK(max_rel_diff(scaled_dot_product_attention(q_long, k_short, v_short, Tensor(), true).to_vector(),
                     naive_attention(q_long, k_short, v_short, {}, true), 1.0) <= 1e-13);
}

TEST_CASE("attention: a query that sees no key gives a zero row and zero gradients, no NaN", "[nn][attention]") {
  const std::int64_t B = 1, H = 2, L = 3, S = 4, D = 2;
  Tensor q = randn64({B, H, L, D}, 30), k = randn64({B, H, S, D}, 31), v = randn64({B, H, S, D}, 32);
  // Query 1 sees nothing; the others see some keys.
  const Tensor mask = Tensor::from_vector({1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}, {L, S}, DType::f64);
  Tensor qg = q.detach().set_requires_grad(), kg = k.detach().set_requires_grad(), vg = v.detach().set_requires_grad();
  const Tensor out = scaled_dot_product_attention(qg, kg, vg, mask);
  REQUIRE(all_finite(out));
  const auto o = out.to_vector();
  for (std::int64_t h = 0; h < H; ++h)
    for (std::int64_t e = 0; e < D; ++e) CHECK(o[static_cast<std::size_t>((h * L + 1) * D + e)] == 0.0);
  CHECK(max_rel_diff(o, naive_attention(q, k, v, broadcast_mask(mask, {B, H, L, S}), false), 1.0) <= 1e-13);

  const auto grads = grad(sum(mul(out, randn64(out.shape(), 33))), {qg, kg, vg});
  for (const auto& g : grads) CHECK(all_finite(g));
  const auto gq = grads[0].to_vector();
  for (std::int64_t h = 0; h < H; ++h)
    for (std::int64_t e = 0; e < D; ++e) CHECK(gq[static_cast<std::size_t>((h * L + 1) * D + e)] == 0.0);

  // Every query masked; also with no keys at all.
  const Tensor none = Tensor::zeros({1, 1, 1, S}, DType::f64);
  const Tensor all_masked = scaled_dot_product_attention(q, k, v, none);
  for (double x : all_masked.to_vector()) CHECK(x == 0.0);
  const Tensor no_keys = scaled_dot_product_attention(q, randn64({B, H, 0, D}, 34), randn64({B, H, 0, D}, 35));
  REQUIRE(no_keys.shape() == Shape{B, H, L, D});
  for (double x : no_keys.to_vector()) CHECK(x == 0.0);
}

TEST_CASE("attention: scaled_dot_product_attention gradients in q, k and v match finite differences",
          "[nn][attention]") {
  const Tensor q = randn64({2, 2, 3, 4}, 40), k = randn64({2, 2, 5, 4}, 41), v = randn64({2, 2, 5, 3}, 42);
  auto attend = [](const Tensor& mask, bool causal) {
    return [mask, causal](const std::vector<Tensor>& in) {
      return scaled_dot_product_attention(in[0], in[1], in[2], mask, causal);
    };
  };
  SECTION("plain") {
    require_gradcheck(attend(Tensor(), false), {q.clone().detach(), k.clone().detach(), v.clone().detach()});
  }
  SECTION("causal") {
    require_gradcheck(attend(Tensor(), true), {q.clone().detach(), k.clone().detach(), v.clone().detach()});
  }
  SECTION("masked, one query fully masked") {
    Tensor mask = random_mask({2, 1, 3, 5}, 0.6, 43);
    double* m = mask.data<double>();
    for (int j = 0; j < 5; ++j) m[5 + j] = 0.0;  // batch 0, query 1
    require_gradcheck(attend(mask, false), {q.clone().detach(), k.clone().detach(), v.clone().detach()});
  }
  SECTION("explicit scale") {
    require_gradcheck(
        [](const std::vector<Tensor>& in) {
          return scaled_dot_product_attention(in[0], in[1], in[2], Tensor(), false, 0.7);
        },
        {q.clone().detach(), k.clone().detach(), v.clone().detach()});
  }
}

TEST_CASE("attention: scaled_dot_product_attention rejects mismatched shapes and masks", "[nn][attention]") {
  const Tensor q = randn64({1, 2, 3, 4}, 1), k = randn64({1, 2, 5, 4}, 2), v = randn64({1, 2, 5, 3}, 3);
  CHECK_THROWS_AS(scaled_dot_product_attention(q, randn64({1, 2, 5, 3}, 4), v), anneal::Error);
  CHECK_THROWS_AS(scaled_dot_product_attention(q, k, randn64({1, 2, 4, 3}, 5)), anneal::Error);
  CHECK_THROWS_AS(scaled_dot_product_attention(q, k, v, Tensor::ones({3, 4}, DType::f64)), anneal::Error);
  CHECK_THROWS_AS(scaled_dot_product_attention(q, k, v, Tensor::ones({2, 1, 1, 1, 5}, DType::f64)), anneal::Error);
  CHECK_THROWS_AS(scaled_dot_product_attention(q.to(DType::f32), k, v), anneal::Error);
}
