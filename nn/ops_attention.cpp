// Fused softmax, log-softmax, layer norm and scaled dot-product attention, each with its backward.
// Per-line work runs in parallel with oneTBB; every sum is taken in a fixed order, so results do not
// depend on the number of threads (bit-for-bit resumable training, DESIGN.md §2).
#include "nn/ops_attention.hpp"

#include <tbb/parallel_for.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

constexpr std::int64_t kGrain = 1 << 14;  // elements per task: below this threads cost more than they give

// Runs body(begin, end) over [0, count) items of `work` elements each, in parallel when large.
template <class Body>
void parallel_items(std::int64_t count, std::int64_t work, Body&& body) {
  work = std::max<std::int64_t>(work, 1);
  if (count * work < 2 * kGrain || count < 2) {
    body(std::int64_t{0}, count);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, count, std::max<std::int64_t>(1, kGrain / work)),
                    [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

// `shape` as lines along `axis`: outer × inner lines of `extent` elements, `inner` apart.
struct Lines {
  std::int64_t outer = 1, extent = 1, inner = 1;
  std::int64_t count() const { return outer * inner; }
  std::int64_t start(std::int64_t line) const { return (line / inner) * extent * inner + line % inner; }
};

Lines lines_along(const Shape& shape, std::int64_t axis) {
  Lines s;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    const std::int64_t e = shape[static_cast<std::size_t>(i)];
    if (i < axis)
      s.outer *= e;
    else if (i == axis)
      s.extent = e;
    else
      s.inner *= e;
  }
  return s;
}

void check_grad(const Tensor& g, const Tensor& like, const char* op) {
  ANNEAL_CHECK(g.shape() == like.shape() && g.dtype() == like.dtype(),
               "{} backward: gradient {} {} for an output {} {}", op, to_string(g.dtype()), to_string(g.shape()),
               to_string(like.dtype()), to_string(like.shape()));
}

// Softmax (or log-softmax) of each line; a line of all −∞ gives 0 (−∞).
template <class T>
void softmax_forward(const T* x, T* y, const Lines& s, bool log_space) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  parallel_items(s.count(), s.extent, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t line = lo; line < hi; ++line) {
      const T* xl = x + s.start(line);
      T* yl = y + s.start(line);
      const std::int64_t stride = s.inner;
      T m = kNegInf;
      for (std::int64_t e = 0; e < s.extent; ++e) m = std::max(m, xl[e * stride]);
      if (m == kNegInf) {
        for (std::int64_t e = 0; e < s.extent; ++e) yl[e * stride] = log_space ? kNegInf : T(0);
        continue;
      }
      double total = 0;
      for (std::int64_t e = 0; e < s.extent; ++e) {
        const T z = std::exp(xl[e * stride] - m);
        total += static_cast<double>(z);
        if (!log_space) yl[e * stride] = z;
      }
      if (log_space) {
        const T log_total = static_cast<T>(std::log(total));
        for (std::int64_t e = 0; e < s.extent; ++e) yl[e * stride] = (xl[e * stride] - m) - log_total;
      } else {
        const T inverse = static_cast<T>(1.0 / total);
        for (std::int64_t e = 0; e < s.extent; ++e) yl[e * stride] *= inverse;
      }
    }
  });
}

// g_x = y ⊙ (g − Σ g ⊙ y) for softmax; g_x = g − exp(y) Σ g for log-softmax (y its output).
template <class T>
void softmax_backward(const T* y, const T* g, T* gx, const Lines& s, bool log_space) {
  parallel_items(s.count(), s.extent, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t line = lo; line < hi; ++line) {
      const std::int64_t at = s.start(line), stride = s.inner;
      const T* yl = y + at;
      const T* gl = g + at;
      T* ol = gx + at;
      double dot = 0;
      for (std::int64_t e = 0; e < s.extent; ++e)
        dot += log_space ? static_cast<double>(gl[e * stride])
                         : static_cast<double>(gl[e * stride]) * static_cast<double>(yl[e * stride]);
      const T d = static_cast<T>(dot);
      for (std::int64_t e = 0; e < s.extent; ++e) {
        const std::int64_t i = e * stride;
        ol[i] = log_space ? gl[i] - std::exp(yl[i]) * d : yl[i] * (gl[i] - d);
      }
    }
  });
}

Tensor softmax_impl(const Tensor& x, std::int64_t axis, bool log_space) {
  const char* op = log_space ? "log_softmax" : "softmax";
  ANNEAL_CHECK(x.dim() >= 1, "{} needs a tensor with at least one axis, got shape {}", op, to_string(x.shape()));
  axis = normalize_axis(axis, x.dim(), op);
  const Lines s = lines_along(x.shape(), axis);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { softmax_forward<T>(x.data<T>(), out.data<T>(), s, log_space); });
  const Tensor saved = out.detach();
  return record(
      out, {x},
      [saved, s, log_space, op](const Tensor& g) {
        check_grad(g, saved, op);
        Tensor gx = Tensor::empty(saved.shape(), saved.dtype());
        dispatch(saved.dtype(),
                 [&]<class T>() { softmax_backward<T>(saved.data<T>(), g.data<T>(), gx.data<T>(), s, log_space); });
        return std::vector<Tensor>{gx};
      },
      op);
}

// ---- layer norm

template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* xhat, T* rstd, std::int64_t rows, std::int64_t d,
                        double eps) {
  parallel_items(rows, d, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t r = lo; r < hi; ++r) {
      const T* xr = x + r * d;
      double mean = 0;
      for (std::int64_t j = 0; j < d; ++j) mean += static_cast<double>(xr[j]);
      mean /= static_cast<double>(d);
      double var = 0;  // two passes: no cancellation when |μ| ≫ σ
      for (std::int64_t j = 0; j < d; ++j) {
        const double c = static_cast<double>(xr[j]) - mean;
        var += c * c;
      }
      var /= static_cast<double>(d);
      const double inv = 1.0 / std::sqrt(var + eps);
      rstd[r] = static_cast<T>(inv);
      for (std::int64_t j = 0; j < d; ++j) {
        const T h = static_cast<T>((static_cast<double>(xr[j]) - mean) * inv);
        xhat[r * d + j] = h;
        y[r * d + j] = (w ? h * w[j] : h) + (b ? b[j] : T(0));
      }
    }
  });
}

// g_x = rstd (ĝ − mean ĝ − x̂ mean(ĝ ⊙ x̂)) with ĝ = g ⊙ weight, row by row.
template <class T>
void layer_norm_backward_x(const T* g, const T* w, const T* xhat, const T* rstd, T* gx, std::int64_t rows,
                           std::int64_t d) {
  parallel_items(rows, d, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<T> gh(static_cast<std::size_t>(d));
    for (std::int64_t r = lo; r < hi; ++r) {
      const T* gr = g + r * d;
      const T* hr = xhat + r * d;
      double mean_g = 0, mean_gh = 0;
      for (std::int64_t j = 0; j < d; ++j) {
        const T v = w ? gr[j] * w[j] : gr[j];
        gh[static_cast<std::size_t>(j)] = v;
        mean_g += static_cast<double>(v);
        mean_gh += static_cast<double>(v) * static_cast<double>(hr[j]);
      }
      const T a = static_cast<T>(mean_g / static_cast<double>(d));
      const T c = static_cast<T>(mean_gh / static_cast<double>(d));
      for (std::int64_t j = 0; j < d; ++j) gx[r * d + j] = rstd[r] * (gh[static_cast<std::size_t>(j)] - a - hr[j] * c);
    }
  });
}

// g_weight = Σ_rows g ⊙ x̂ and g_bias = Σ_rows g. Rows go in a fixed number of chunks (not one per
// thread) whose partial sums are added in order: deterministic for any thread count.
template <class T>
void layer_norm_backward_affine(const T* g, const T* xhat, T* gw, T* gb, std::int64_t rows, std::int64_t d) {
  const std::int64_t chunks = std::clamp<std::int64_t>(rows * d / kGrain, 1, 64);
  const auto width = static_cast<std::size_t>(d);
  std::vector<double> partial_w(gw ? static_cast<std::size_t>(chunks) * width : 0);
  std::vector<double> partial_b(gb ? static_cast<std::size_t>(chunks) * width : 0);
  auto run = [&](std::int64_t c) {
    const std::int64_t begin = rows * c / chunks, end = rows * (c + 1) / chunks;
    double* pw = gw ? partial_w.data() + static_cast<std::size_t>(c) * width : nullptr;
    double* pb = gb ? partial_b.data() + static_cast<std::size_t>(c) * width : nullptr;
    for (std::int64_t r = begin; r < end; ++r)
      for (std::int64_t j = 0; j < d; ++j) {
        const double gv = static_cast<double>(g[r * d + j]);
        if (pw) pw[j] += gv * static_cast<double>(xhat[r * d + j]);
        if (pb) pb[j] += gv;
      }
  };
  if (chunks == 1)
    run(0);
  else
    tbb::parallel_for(std::int64_t{0}, chunks, run);
  for (std::int64_t j = 0; j < d; ++j) {
    double sw = 0, sb = 0;
    for (std::int64_t c = 0; c < chunks; ++c) {
      if (gw) sw += partial_w[static_cast<std::size_t>(c) * width + static_cast<std::size_t>(j)];
      if (gb) sb += partial_b[static_cast<std::size_t>(c) * width + static_cast<std::size_t>(j)];
    }
    if (gw) gw[j] = static_cast<T>(sw);
    if (gb) gb[j] = static_cast<T>(sb);
  }
}

// ---- attention

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstMap = Eigen::Map<const RowMajor<T>>;
template <class T>
using MutMap = Eigen::Map<RowMajor<T>>;

struct AttentionShape {
  std::int64_t batch = 0, heads = 0, queries = 0, keys = 0, depth = 0, value_depth = 0;
  std::int64_t problems() const { return batch * heads; }
};

// The mask as 0/1 bytes of its own shape, with its strides seen from [B, H, L, S] (0 where it
// broadcasts).
struct MaskView {
  std::vector<unsigned char> keep;
  std::int64_t strides[4] = {0, 0, 0, 0};
  bool present = false;
  bool at(std::int64_t b, std::int64_t h, std::int64_t i, std::int64_t j) const {
    return keep[static_cast<std::size_t>(b * strides[0] + h * strides[1] + i * strides[2] + j * strides[3])] != 0;
  }
};

MaskView view_mask(const Tensor& mask, const AttentionShape& a) {
  MaskView view;
  if (!mask.defined()) return view;
  view.present = true;
  const Shape target{a.batch, a.heads, a.queries, a.keys};
  const Shape& shape = mask.shape();
  ANNEAL_CHECK(shape.size() <= 4, "scaled_dot_product_attention: mask of shape {} does not broadcast to {}",
               to_string(shape), to_string(target));
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    const std::size_t o = i + 4 - shape.size();
    ANNEAL_CHECK(shape[i] == target[o] || shape[i] == 1,
                 "scaled_dot_product_attention: mask of shape {} does not broadcast to {}", to_string(shape),
                 to_string(target));
    view.strides[o] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  view.keep.resize(static_cast<std::size_t>(mask.numel()));
  dispatch(mask.dtype(), [&]<class M>() {
    const M* p = mask.data<M>();
    for (std::size_t i = 0; i < view.keep.size(); ++i) view.keep[i] = p[i] != M(0) ? 1 : 0;
  });
  return view;
}

// probs[b, h] = masked softmax(q kᵀ · scale); out[b, h] = probs v.
template <class T>
void attention_forward(const T* q, const T* k, const T* v, const MaskView& mask, bool causal, T scale, T* probs, T* out,
                       const AttentionShape& a) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const std::int64_t L = a.queries, S = a.keys, D = a.depth, Dv = a.value_depth;
  tbb::parallel_for(std::int64_t{0}, a.problems(), [&](std::int64_t p) {
    const std::int64_t b = p / a.heads, h = p % a.heads;
    ConstMap<T> Q(q + p * L * D, L, D), K(k + p * S * D, S, D), V(v + p * S * Dv, S, Dv);
    MutMap<T> P(probs + p * L * S, L, S), O(out + p * L * Dv, L, Dv);
    P.noalias() = Q * K.transpose();
    for (std::int64_t i = 0; i < L; ++i) {
      T* row = probs + (p * L + i) * S;
      T m = kNegInf;
      for (std::int64_t j = 0; j < S; ++j) {
        const bool keep = (!causal || j <= i) && (!mask.present || mask.at(b, h, i, j));
        row[j] = keep ? row[j] * scale : kNegInf;
        m = std::max(m, row[j]);
      }
      if (m == kNegInf) {  // no visible key: a zero row (documented), not 0/0
        std::fill(row, row + S, T(0));
        continue;
      }
      double total = 0;
      for (std::int64_t j = 0; j < S; ++j) {
        row[j] = std::exp(row[j] - m);
        total += static_cast<double>(row[j]);
      }
      const T inverse = static_cast<T>(1.0 / total);
      for (std::int64_t j = 0; j < S; ++j) row[j] *= inverse;
    }
    O.noalias() = P * V;
  });
}

// With dP = dO vᵀ and dZ = scale · P ⊙ (dP − rowsum(dP ⊙ P)): dq = dZ k, dk = dZᵀ q, dv = Pᵀ dO.
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* probs, const T* g, T* gq, T* gk, T* gv, T scale,
                        const AttentionShape& a) {
  const std::int64_t L = a.queries, S = a.keys, D = a.depth, Dv = a.value_depth;
  tbb::parallel_for(std::int64_t{0}, a.problems(), [&](std::int64_t p) {
    ConstMap<T> Q(q + p * L * D, L, D), K(k + p * S * D, S, D), V(v + p * S * Dv, S, Dv);
    ConstMap<T> P(probs + p * L * S, L, S), G(g + p * L * Dv, L, Dv);
    if (gv) MutMap<T>(gv + p * S * Dv, S, Dv).noalias() = P.transpose() * G;
    if (!gq && !gk) return;
    RowMajor<T> dz = G * V.transpose();
    for (std::int64_t i = 0; i < L; ++i) {
      double dot = 0;
      for (std::int64_t j = 0; j < S; ++j) dot += static_cast<double>(dz(i, j)) * static_cast<double>(P(i, j));
      const T d = static_cast<T>(dot);
      for (std::int64_t j = 0; j < S; ++j) dz(i, j) = scale * P(i, j) * (dz(i, j) - d);
    }
    if (gq) MutMap<T>(gq + p * L * D, L, D).noalias() = dz * K;
    if (gk) MutMap<T>(gk + p * S * D, S, D).noalias() = dz.transpose() * Q;
  });
}

}  // namespace

Tensor softmax(const Tensor& x, std::int64_t axis) { return softmax_impl(x, axis, false); }

Tensor log_softmax(const Tensor& x, std::int64_t axis) { return softmax_impl(x, axis, true); }

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  ANNEAL_CHECK(x.dim() >= 1, "layer_norm needs a tensor with at least one axis, got shape {}", to_string(x.shape()));
  const std::int64_t d = x.size(-1);
  ANNEAL_CHECK(d > 0, "layer_norm over an empty last axis (shape {})", to_string(x.shape()));
  ANNEAL_CHECK(eps >= 0, "layer_norm: eps = {} must not be negative", eps);
  for (const Tensor* p : {&weight, &bias}) {
    if (!p->defined()) continue;
    ANNEAL_CHECK(p->shape() == Shape{d}, "layer_norm: {} of shape {} for rows of {} features",
                 p == &weight ? "weight" : "bias", to_string(p->shape()), d);
    ANNEAL_CHECK(p->dtype() == x.dtype(), "layer_norm: {} is {}, the input {}", p == &weight ? "weight" : "bias",
                 to_string(p->dtype()), to_string(x.dtype()));
  }
  const std::int64_t rows = x.numel() / d;
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  Tensor xhat = Tensor::empty(x.shape(), x.dtype());
  Tensor rstd = Tensor::empty({rows}, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    layer_norm_forward<T>(x.data<T>(), weight.defined() ? weight.data<T>() : nullptr,
                          bias.defined() ? bias.data<T>() : nullptr, out.data<T>(), xhat.data<T>(), rstd.data<T>(),
                          rows, d, eps);
  });
  const Tensor w = weight.defined() ? weight.detach() : Tensor();
  const bool need_x = x.requires_grad();
  const bool need_w = weight.defined() && weight.requires_grad();
  const bool need_b = bias.defined() && bias.requires_grad();
  return record(
      out, {x, weight, bias},
      [w, xhat, rstd, rows, d, need_x, need_w, need_b](const Tensor& g) {
        check_grad(g, xhat, "layer_norm");
        Tensor gx, gw, gb;
        if (need_x) gx = Tensor::empty(xhat.shape(), xhat.dtype());
        if (need_w) gw = Tensor::empty({d}, xhat.dtype());
        if (need_b) gb = Tensor::empty({d}, xhat.dtype());
        dispatch(xhat.dtype(), [&]<class T>() {
          if (need_x)
            layer_norm_backward_x<T>(g.data<T>(), w.defined() ? w.data<T>() : nullptr, xhat.data<T>(), rstd.data<T>(),
                                     gx.data<T>(), rows, d);
          if (need_w || need_b)
            layer_norm_backward_affine<T>(g.data<T>(), xhat.data<T>(), need_w ? gw.data<T>() : nullptr,
                                          need_b ? gb.data<T>() : nullptr, rows, d);
        });
        return std::vector<Tensor>{gx, gw, gb};
      },
      "layer_norm");
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal,
                                    std::optional<double> scale) {
  ANNEAL_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4,
               "scaled_dot_product_attention needs q [B, H, L, D], k [B, H, S, D], v [B, H, S, Dv]; got {}, {}, {}",
               to_string(q.shape()), to_string(k.shape()), to_string(v.shape()));
  ANNEAL_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(),
               "scaled_dot_product_attention: q, k, v are {}, {}, {}; convert with .to()", to_string(q.dtype()),
               to_string(k.dtype()), to_string(v.dtype()));
  AttentionShape a{q.size(0), q.size(1), q.size(2), k.size(2), q.size(3), v.size(3)};
  ANNEAL_CHECK(k.size(0) == a.batch && v.size(0) == a.batch && k.size(1) == a.heads && v.size(1) == a.heads &&
                   k.size(3) == a.depth && v.size(2) == a.keys,
               "scaled_dot_product_attention: shapes q {}, k {}, v {} do not fit [B, H, L, D], [B, H, S, D], "
               "[B, H, S, Dv]",
               to_string(q.shape()), to_string(k.shape()), to_string(v.shape()));
  const double s = scale.value_or(a.depth > 0 ? 1.0 / std::sqrt(static_cast<double>(a.depth)) : 1.0);
  const MaskView mask_view = view_mask(mask, a);
  Tensor probs = Tensor::empty({a.batch, a.heads, a.queries, a.keys}, q.dtype());
  Tensor out = Tensor::empty({a.batch, a.heads, a.queries, a.value_depth}, q.dtype());
  dispatch(q.dtype(), [&]<class T>() {
    attention_forward<T>(q.data<T>(), k.data<T>(), v.data<T>(), mask_view, causal, static_cast<T>(s), probs.data<T>(),
                         out.data<T>(), a);
  });
  const Tensor qd = q.detach(), kd = k.detach(), vd = v.detach();
  const bool need_q = q.requires_grad(), need_k = k.requires_grad(), need_v = v.requires_grad();
  return record(
      out, {q, k, v},
      [qd, kd, vd, probs, a, s, need_q, need_k, need_v](const Tensor& g) {
        ANNEAL_CHECK(g.dtype() == qd.dtype() && g.shape() == Shape({a.batch, a.heads, a.queries, a.value_depth}),
                     "scaled_dot_product_attention backward: gradient {} {}", to_string(g.dtype()),
                     to_string(g.shape()));
        Tensor gq = need_q ? Tensor::empty(qd.shape(), qd.dtype()) : Tensor();
        Tensor gk = need_k ? Tensor::empty(kd.shape(), kd.dtype()) : Tensor();
        Tensor gv = need_v ? Tensor::empty(vd.shape(), vd.dtype()) : Tensor();
        dispatch(qd.dtype(), [&]<class T>() {
          attention_backward<T>(qd.data<T>(), kd.data<T>(), vd.data<T>(), probs.data<T>(), g.data<T>(),
                                need_q ? gq.data<T>() : nullptr, need_k ? gk.data<T>() : nullptr,
                                need_v ? gv.data<T>() : nullptr, static_cast<T>(s), a);
        });
        return std::vector<Tensor>{gq, gk, gv};
      },
      "scaled_dot_product_attention");
}

}  // namespace anneal::nn
