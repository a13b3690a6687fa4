// Convolutions (im2col + Eigen GEMM over tiles, oneTBB) and transposed convolutions; pooling and
// upsampling are in nn/ops_resample.cpp. Every op here is linear in each argument, so each backward is another op of this file:
//   conv:          y  = A(w) x + b
//   conv_adjoint:  gx = A(w)ᵀ gy        (= transposed convolution)
//   conv_weight:   gw = ∂⟨gy, A(w) x⟩/∂w
// and each of the three differentiates into the other two. A 2-D convolution runs as a 3-D one on
// the grid [H, 1, W] with kernel [kh, 1, kw], so one set of kernels serves both.
#include "nn/ops_conv.hpp"

#include "nn/eigen_maps.hpp"
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

std::string to_string(Padding padding) {
  switch (padding) {
    case Padding::zeros: return "zeros";
    case Padding::replicate: return "replicate";
    case Padding::periodic: return "periodic";
  }
  return "?";
}

Padding parse_padding(std::string_view name) {
  if (name == "zeros") return Padding::zeros;
  if (name == "replicate") return Padding::replicate;
  if (name == "periodic" || name == "circular") return Padding::periodic;
  ANNEAL_THROW("unknown padding mode '{}' (expected zeros, replicate or periodic)", name);
}

namespace {

using I = std::int64_t;

// Bytes of one task's column buffer: large enough for an efficient GEMM, small enough to stay in
// cache and to keep memory independent of the grid size.
constexpr std::size_t kColumnBytes = std::size_t{1} << 20;
// The weight gradient is summed over at most this many partial sums (fixed: thread-count independent).
constexpr I kWeightGroups = 32;
constexpr std::size_t kWeightPartialBytes = std::size_t{64} << 20;

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MatMap = Eigen::Map<RowMajor<T>, 0, Eigen::OuterStride<>>;
template <class T>
using ConstMatMap = Eigen::Map<const RowMajor<T>, 0, Eigen::OuterStride<>>;


I floor_div(I a, I b) {  // b > 0
  const I q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
I ceil_div(I a, I b) { return -floor_div(-a, b); }

// The cell of a grid of `extent` cells that position i (possibly outside) reads; -1 for a zero.
I map_index(I i, I extent, Padding mode) {
  if (i >= 0 && i < extent) return i;
  switch (mode) {
    case Padding::zeros: return -1;
    case Padding::replicate: return i < 0 ? 0 : extent - 1;
    case Padding::periodic: return (i % extent + extent) % extent;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Convolution geometry: always 3 spatial axes (a 2-D problem is [H, 1, W]).

struct ConvGeometry {
  int spatial = 3;  // the public tensors' spatial rank (2 or 3)
  I batch = 0, in_channels = 0, out_channels = 0;
  std::array<I, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1}, stride{1, 1, 1}, pad{0, 0, 0};
  Padding mode = Padding::zeros;

  I in_volume() const { return in[0] * in[1] * in[2]; }
  I out_volume() const { return out[0] * out[1] * out[2]; }
  I kernel_volume() const { return kernel[0] * kernel[1] * kernel[2]; }
  bool pointwise() const {
    for (int a = 0; a < 3; ++a)
      if (kernel[a] != 1 || stride[a] != 1 || pad[a] != 0) return false;
    return true;
  }
  Shape with_spatial(Shape head, const std::array<I, 3>& e) const {
    if (spatial == 3) head.insert(head.end(), {e[0], e[1], e[2]});
    else head.insert(head.end(), {e[0], e[2]});
    return head;
  }
  Shape x_shape() const { return with_spatial({batch, in_channels}, in); }
  Shape y_shape() const { return with_spatial({batch, out_channels}, out); }
  Shape w_shape() const { return with_spatial({out_channels, in_channels}, kernel); }
};

// Where the taps of one axis land: input cell idx[o·k + j] feeds output o through tap j (-1: zero).
// Outputs [lo[j], hi[j]) read tap j inside the grid, at o·s - p + j.
struct AxisTaps {
  I in, out, kernel, stride, pad;
  std::vector<I> idx, lo, hi;
  AxisTaps(const ConvGeometry& g, int a)
      : in(g.in[a]), out(g.out[a]), kernel(g.kernel[a]), stride(g.stride[a]), pad(g.pad[a]) {
    idx.resize(static_cast<std::size_t>(out * kernel));
    for (I o = 0; o < out; ++o)
      for (I j = 0; j < kernel; ++j)
        idx[static_cast<std::size_t>(o * kernel + j)] = map_index(o * stride - pad + j, in, g.mode);
    for (I j = 0; j < kernel; ++j) {
      const I l = std::clamp<I>(ceil_div(pad - j, stride), 0, out);
      const I h = std::clamp<I>(floor_div(in - 1 + pad - j, stride) + 1, l, out);
      lo.push_back(l);
      hi.push_back(h);
    }
  }
  I at(I o, I j) const { return idx[static_cast<std::size_t>(o * kernel + j)]; }
};

// dst[o] = src[tap j of output o] for one row of outputs (0 where the tap reads a zero).
template <class T>
void gather_row(const T* src, T* dst, const AxisTaps& t, I j) {
  const I lo = t.lo[static_cast<std::size_t>(j)], hi = t.hi[static_cast<std::size_t>(j)];
  for (I o = 0; o < lo; ++o) {
    const I i = t.at(o, j);
    dst[o] = i < 0 ? T(0) : src[i];
  }
  const I shift = j - t.pad;
  if (t.stride == 1) {
    if (hi > lo) std::memcpy(dst + lo, src + lo + shift, static_cast<std::size_t>(hi - lo) * sizeof(T));
  } else {
    for (I o = lo; o < hi; ++o) dst[o] = src[o * t.stride + shift];
  }
  for (I o = std::max(lo, hi); o < t.out; ++o) {
    const I i = t.at(o, j);
    dst[o] = i < 0 ? T(0) : src[i];
  }
}

// The adjoint of gather_row: dst[tap j of output o] += src[o].
template <class T>
void scatter_row(const T* src, T* dst, const AxisTaps& t, I j) {
  const I lo = t.lo[static_cast<std::size_t>(j)], hi = t.hi[static_cast<std::size_t>(j)];
  for (I o = 0; o < lo; ++o) {
    const I i = t.at(o, j);
    if (i >= 0) dst[i] += src[o];
  }
  const I shift = j - t.pad;
  if (t.stride == 1) {
    // Through Eigen: GCC's -O2 does not vectorise a loop that needs an aliasing check.
    if (hi > lo) Vec<T>(dst + shift + lo, hi - lo) += ConstVec<T>(src + lo, hi - lo);
  } else {
    for (I o = lo; o < hi; ++o) dst[o * t.stride + shift] += src[o];
  }
  for (I o = std::max(lo, hi); o < t.out; ++o) {
    const I i = t.at(o, j);
    if (i >= 0) dst[i] += src[o];
  }
}

struct ConvTaps {
  AxisTaps d, h, w;
  explicit ConvTaps(const ConvGeometry& g) : d(g, 0), h(g, 1), w(g, 2) {}
};

// Columns of output rows [r0, r1) (row r = od·Ho + oh, each Wo outputs) of one sample x [C, D, H, W]:
// cols[(c, a, b, e), (r - r0)·Wo + ow] = x̃[c, od·s - p + a, oh·s - p + b, ow·s - p + e].
template <class T>
void im2col(const T* x, const ConvGeometry& g, const ConvTaps& t, I r0, I r1, T* cols) {
  const I wo = g.out[2], ho = g.out[1], pt = (r1 - r0) * wo;
  const I kd = g.kernel[0], kh = g.kernel[1], kw = g.kernel[2];
  for (I c = 0; c < g.in_channels; ++c)
    for (I a = 0; a < kd; ++a)
      for (I b = 0; b < kh; ++b)
        for (I e = 0; e < kw; ++e) {
          T* row = cols + (((c * kd + a) * kh + b) * kw + e) * pt;
          for (I r = r0; r < r1; ++r) {
            T* dst = row + (r - r0) * wo;
            const I id = t.d.at(r / ho, a), ih = t.h.at(r % ho, b);
            if (id < 0 || ih < 0) {
              std::fill(dst, dst + wo, T(0));
              continue;
            }
            gather_row(x + ((c * g.in[0] + id) * g.in[1] + ih) * g.in[2], dst, t.w, e);
          }
        }
}

struct RowTiling {
  I rows = 1;   // output rows (od, oh) per tile
  I tiles = 1;  // tiles per sample
  I row_count = 1;
};

RowTiling tile_rows(const ConvGeometry& g, I column_rows, std::size_t element_bytes) {
  RowTiling t;
  t.row_count = g.out[0] * g.out[1];
  const std::size_t row_bytes = static_cast<std::size_t>(column_rows * g.out[2]) * element_bytes;
  t.rows = std::clamp<I>(static_cast<I>(kColumnBytes / std::max<std::size_t>(row_bytes, 1)), 1, t.row_count);
  t.tiles = (t.row_count + t.rows - 1) / t.rows;
  return t;
}

template <class T>
using Buffers = tbb::enumerable_thread_specific<std::vector<T>>;

// y = A(w) x + b.
// The [k][pt] column matrix of output rows [r0, r1) of sample n: the input itself for a pointwise
// (1×1, stride 1, no padding) convolution, else its im2col expansion in `buffer`.
template <class T>
ConstMatMap<T> column_tile(const T* x, const ConvGeometry& g, const ConvTaps& taps, I n, I r0, I r1,
                           std::vector<T>& buffer) {
  const I k = g.in_channels * g.kernel_volume(), v = g.in_volume(), wo = g.out[2], pt = (r1 - r0) * wo;
  const T* sample = x + n * g.in_channels * v;
  if (g.pointwise()) return ConstMatMap<T>(sample + r0 * wo, k, pt, Eigen::OuterStride<>(v));
  buffer.resize(static_cast<std::size_t>(k * pt));
  im2col(sample, g, taps, r0, r1, buffer.data());
  return ConstMatMap<T>(buffer.data(), k, pt, Eigen::OuterStride<>(pt));
}

template <class T>
void conv_forward(const T* x, const T* w, const T* bias, T* y, const ConvGeometry& g) {
  const ConvTaps taps(g);
  const I k = g.in_channels * g.kernel_volume(), p = g.out_volume(), wo = g.out[2];
  const RowTiling tiling = tile_rows(g, k, sizeof(T));
  const ConstMatMap<T> wm(w, g.out_channels, k, Eigen::OuterStride<>(k));
  Buffers<T> buffers;
  tbb::parallel_for(tbb::blocked_range<I>(0, g.batch * tiling.tiles, 1), [&](const tbb::blocked_range<I>& range) {
    std::vector<T>& buffer = buffers.local();
    for (I task = range.begin(); task < range.end(); ++task) {
      const I n = task / tiling.tiles, r0 = task % tiling.tiles * tiling.rows;
      const I r1 = std::min(r0 + tiling.rows, tiling.row_count), pt = (r1 - r0) * wo;
      const ConstMatMap<T> cm = column_tile(x, g, taps, n, r0, r1, buffer);
      MatMap<T> ym(y + n * g.out_channels * p + r0 * wo, g.out_channels, pt, Eigen::OuterStride<>(p));
      if (bias) {
        for (I o = 0; o < g.out_channels; ++o) ym.row(o).setConstant(bias[o]);
        ym.noalias() += wm * cm;
      } else {
        ym.noalias() = wm * cm;
      }
    }
  });
}

// gx = A(w)ᵀ gy, gathered per input depth slab (n, id): a slab receives the outputs of the planes od
// whose depth taps a land on it, so no two tasks write the same element. The in-plane scatter does
// not depend on the depth tap, so one GEMM sums the contributions of all (od, a) of a slab, with the
// gy planes stacked ([F·C_out, plane]) against the matching weights side by side ([k_plane, F·C_out]),
// before one col2im.
template <class T>
void conv_adjoint(const T* gy, const T* w, T* gx, const ConvGeometry& g) {
  const ConvTaps taps(g);
  const I ci = g.in_channels, co = g.out_channels;
  const I kd = g.kernel[0], kh = g.kernel[1], kw = g.kernel[2];
  const I plane_k = ci * kh * kw;  // column rows (c, b, e) of one depth tap
  const I p = g.out_volume(), v = g.in_volume(), plane_in = g.in[1] * g.in[2], plane_out = g.out[1] * g.out[2];
  const I wo = g.out[2];

  std::vector<std::vector<std::pair<I, I>>> feeds(static_cast<std::size_t>(g.in[0]));  // (od, a) per id
  std::size_t most = 0;
  for (I od = 0; od < g.out[0]; ++od)
    for (I a = 0; a < kd; ++a)
      if (const I id = taps.d.at(od, a); id >= 0) feeds[static_cast<std::size_t>(id)].emplace_back(od, a);
  for (const auto& f : feeds) most = std::max(most, f.size());

  // wt[a] = [plane_k, co]: the weights of depth tap a, transposed.
  std::vector<T> wt(static_cast<std::size_t>(kd * plane_k * co));
  for (I o = 0; o < co; ++o)
    for (I c = 0; c < ci; ++c)
      for (I a = 0; a < kd; ++a)
        for (I b = 0; b < kh; ++b)
          for (I e = 0; e < kw; ++e)
            wt[static_cast<std::size_t>((a * plane_k + (c * kh + b) * kw + e) * co + o)] =
                w[(((o * ci + c) * kd + a) * kh + b) * kw + e];

  const bool pointwise = g.pointwise();
  // Column buffer and stacked gy rows per chunk of output rows.
  const std::size_t per_row = static_cast<std::size_t>((plane_k + static_cast<I>(most) * co) * wo) * sizeof(T);
  const I chunk_rows = std::clamp<I>(static_cast<I>(kColumnBytes / std::max<std::size_t>(per_row, 1)), 1, g.out[1]);
  struct Scratch {
    std::vector<T> cols, stacked, weights;
  };
  tbb::enumerable_thread_specific<Scratch> scratch;
  tbb::parallel_for(tbb::blocked_range<I>(0, g.batch * g.in[0], 1), [&](const tbb::blocked_range<I>& range) {
    Scratch& s = scratch.local();
    for (I task = range.begin(); task < range.end(); ++task) {
      const I n = task / g.in[0], id = task % g.in[0];
      T* slab = gx + n * ci * v + id * plane_in;  // channel c at slab + c·v
      const T* gn = gy + n * co * p;
      const auto& feed = feeds[static_cast<std::size_t>(id)];
      if (pointwise) {
        MatMap<T> gm(slab, ci, plane_in, Eigen::OuterStride<>(v));
        gm.noalias() = ConstMatMap<T>(wt.data(), ci, co, Eigen::OuterStride<>(co)) *
                       ConstMatMap<T>(gn + id * plane_out, co, plane_out, Eigen::OuterStride<>(p));
        continue;
      }
      for (I c = 0; c < ci; ++c) std::fill(slab + c * v, slab + c * v + plane_in, T(0));
      if (feed.empty()) continue;
      const I f = static_cast<I>(feed.size()), fk = f * co;
      s.weights.resize(static_cast<std::size_t>(plane_k * fk));
      for (I r = 0; r < plane_k; ++r)
        for (I q = 0; q < f; ++q)
          std::copy_n(wt.data() + (feed[static_cast<std::size_t>(q)].second * plane_k + r) * co, co,
                      s.weights.data() + r * fk + q * co);
      const ConstMatMap<T> wm(s.weights.data(), plane_k, fk, Eigen::OuterStride<>(fk));
      for (I h0 = 0; h0 < g.out[1]; h0 += chunk_rows) {
        const I h1 = std::min(h0 + chunk_rows, g.out[1]), pt = (h1 - h0) * wo;
        const T* rhs = gn + feed[0].first * plane_out + h0 * wo;
        I rhs_stride = p;
        if (f > 1) {
          s.stacked.resize(static_cast<std::size_t>(fk * pt));
          for (I q = 0; q < f; ++q)
            for (I o = 0; o < co; ++o)
              std::copy_n(gn + o * p + feed[static_cast<std::size_t>(q)].first * plane_out + h0 * wo, pt,
                          s.stacked.data() + (q * co + o) * pt);
          rhs = s.stacked.data();
          rhs_stride = pt;
        }
        s.cols.resize(static_cast<std::size_t>(plane_k * pt));
        MatMap<T> cm(s.cols.data(), plane_k, pt, Eigen::OuterStride<>(pt));
        cm.noalias() = wm * ConstMatMap<T>(rhs, fk, pt, Eigen::OuterStride<>(rhs_stride));
        for (I c = 0; c < ci; ++c)
          for (I b = 0; b < kh; ++b)
            for (I e = 0; e < kw; ++e) {
              const T* row = s.cols.data() + ((c * kh + b) * kw + e) * pt;
              for (I oh = h0; oh < h1; ++oh) {
                const I ih = taps.h.at(oh, b);
                if (ih < 0) continue;
                scatter_row(row + (oh - h0) * wo, slab + c * v + ih * g.in[2], taps.w, e);
              }
            }
      }
    }
  });
}

// gw = Σ_n gy_n · cols(x_n)ᵀ, summed per group of tiles and then over the groups in order.
template <class T>
void conv_weight(const T* x, const T* gy, T* gw, const ConvGeometry& g) {
  const ConvTaps taps(g);
  const I k = g.in_channels * g.kernel_volume(), p = g.out_volume(), wo = g.out[2];
  const I co = g.out_channels;
  const RowTiling tiling = tile_rows(g, k, sizeof(T));
  const I tasks = g.batch * tiling.tiles;
  const I fit = static_cast<I>(kWeightPartialBytes / (static_cast<std::size_t>(co * k) * sizeof(T)));
  const I groups = std::clamp<I>(std::min(kWeightGroups, fit), 1, std::max<I>(tasks, 1));
  std::vector<T> partial(static_cast<std::size_t>(groups * co * k), T(0));
  Buffers<T> buffers;
  tbb::parallel_for(tbb::blocked_range<I>(0, groups, 1), [&](const tbb::blocked_range<I>& range) {
    std::vector<T>& buffer = buffers.local();
    for (I group = range.begin(); group < range.end(); ++group) {
      MatMap<T> pm(partial.data() + group * co * k, co, k, Eigen::OuterStride<>(k));
      for (I task = group * tasks / groups; task < (group + 1) * tasks / groups; ++task) {
        const I n = task / tiling.tiles, r0 = task % tiling.tiles * tiling.rows;
        const I r1 = std::min(r0 + tiling.rows, tiling.row_count), pt = (r1 - r0) * wo;
        const ConstMatMap<T> cm = column_tile(x, g, taps, n, r0, r1, buffer);
        const ConstMatMap<T> gm(gy + n * co * p + r0 * wo, co, pt, Eigen::OuterStride<>(p));
        pm.noalias() += gm * cm.transpose();
      }
    }
  });
  std::fill(gw, gw + co * k, T(0));
  for (I group = 0; group < groups; ++group) {
    const T* part = partial.data() + group * co * k;
    for (I i = 0; i < co * k; ++i) gw[i] += part[i];
  }
}

// Σ over batch and grid of gy, per channel (the bias gradient), accumulated in double.
template <class T>
void channel_sum(const T* gy, T* out, I batch, I channels, I volume) {
  tbb::parallel_for(I{0}, channels, [&](I c) {
    double total = 0;
    for (I n = 0; n < batch; ++n) {
      const T* row = gy + (n * channels + c) * volume;
      double part = 0;
      for (I i = 0; i < volume; ++i) part += static_cast<double>(row[i]);
      total += part;
    }
    out[c] = static_cast<T>(total);
  });
}

// ---- the recorded ops

Tensor conv_weight_op(const Tensor& x, const Tensor& gy, const ConvGeometry& g);
Tensor conv_adjoint_op(const Tensor& gy, const Tensor& w, const ConvGeometry& g);

Tensor channel_sum_op(const Tensor& gy) {
  const I channels = gy.size(1);
  Tensor out = Tensor::empty({channels}, gy.dtype());
  dispatch(gy.dtype(), [&]<class T>() {
    channel_sum(gy.data<T>(), out.data<T>(), gy.size(0), channels, gy.numel() / std::max<I>(gy.size(0) * channels, 1));
  });
  const Shape shape = gy.shape();
  return record(out, {gy}, [shape](const Tensor& z) {
    Shape kept(shape.size(), 1);
    kept[1] = shape[1];
    return std::vector<Tensor>{broadcast_to(z.reshape(kept), shape)};
  }, "conv_bias_grad");
}

Tensor conv_op(const Tensor& x, const Tensor& w, const Tensor& b, const ConvGeometry& g) {
  Tensor y = Tensor::empty(g.y_shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    conv_forward(x.data<T>(), w.data<T>(), b.defined() ? b.data<T>() : nullptr, y.data<T>(), g);
  });
  return record(y, {x, w, b}, [x, w, b, g](const Tensor& gy) {
    return std::vector<Tensor>{x.requires_grad() ? conv_adjoint_op(gy, w, g) : Tensor(),
                               w.requires_grad() ? conv_weight_op(x, gy, g) : Tensor(),
                               b.defined() && b.requires_grad() ? channel_sum_op(gy) : Tensor()};
  }, g.spatial == 3 ? "conv3d" : "conv2d");
}

Tensor conv_adjoint_op(const Tensor& gy, const Tensor& w, const ConvGeometry& g) {
  Tensor gx = Tensor::empty(g.x_shape(), gy.dtype());
  dispatch(gy.dtype(), [&]<class T>() { conv_adjoint(gy.data<T>(), w.data<T>(), gx.data<T>(), g); });
  // ⟨A(w)ᵀ gy, z⟩ = ⟨gy, A(w) z⟩.
  return record(gx, {gy, w}, [gy, w, g](const Tensor& z) {
    return std::vector<Tensor>{gy.requires_grad() ? conv_op(z, w, Tensor(), g) : Tensor(),
                               w.requires_grad() ? conv_weight_op(z, gy, g) : Tensor()};
  }, g.spatial == 3 ? "conv_transpose3d" : "conv_transpose2d");
}

Tensor conv_weight_op(const Tensor& x, const Tensor& gy, const ConvGeometry& g) {
  Tensor gw = Tensor::empty(g.w_shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { conv_weight(x.data<T>(), gy.data<T>(), gw.data<T>(), g); });
  // ⟨gw(x, gy), z⟩ = ⟨gy, A(z) x⟩.
  return record(gw, {x, gy}, [x, gy, g](const Tensor& z) {
    return std::vector<Tensor>{x.requires_grad() ? conv_adjoint_op(gy, z, g) : Tensor(),
                               gy.requires_grad() ? conv_op(x, z, Tensor(), g) : Tensor()};
  }, g.spatial == 3 ? "conv3d_weight_grad" : "conv2d_weight_grad");
}

// Puts the public (2 or 3 spatial axes) extents into the 3-axis layout.
std::array<I, 3> embed(const Shape& spatial_extents, I fill) {
  if (spatial_extents.size() == 3) return {spatial_extents[0], spatial_extents[1], spatial_extents[2]};
  return {spatial_extents[0], fill, spatial_extents[1]};
}

void check_bias(const Tensor& bias, const Tensor& x, I channels, const char* op) {
  if (!bias.defined()) return;
  ANNEAL_CHECK(bias.dim() == 1 && bias.size(0) == channels, "{}: bias of shape {} for {} output channels", op,
               to_string(bias.shape()), channels);
  ANNEAL_CHECK(bias.dtype() == x.dtype(), "{}: bias is {}, input is {}", op, to_string(bias.dtype()),
               to_string(x.dtype()));
}

// Validates x [N, C_in, L...] and w [C_out, C_in, k...] (or, transposed, [C_in, C_out, k...]) and
// returns the geometry of the convolution (for transposed ops: of the convolution it is the adjoint of).
ConvGeometry conv_geometry(const Tensor& x, const Tensor& w, int spatial, I stride, I padding, I output_padding,
                           Padding mode, bool transposed, const char* op) {
  const I rank = spatial + 2;
  ANNEAL_CHECK(x.dim() == rank, "{}: input must be [N, C, {}], got shape {}", op, spatial == 3 ? "D, H, W" : "H, W",
               to_string(x.shape()));
  ANNEAL_CHECK(w.dim() == rank, "{}: weight must have rank {}, got shape {}", op, rank, to_string(w.shape()));
  ANNEAL_CHECK(x.dtype() == w.dtype(), "{}: input is {}, weight is {}", op, to_string(x.dtype()), to_string(w.dtype()));
  ANNEAL_CHECK(w.size(transposed ? 0 : 1) == x.size(1), "{}: weight of shape {} for an input with {} channels ({})",
               op, to_string(w.shape()), x.size(1), to_string(x.shape()));
  ANNEAL_CHECK(stride >= 1 && padding >= 0, "{}: stride {} and padding {} (need stride >= 1, padding >= 0)", op, stride,
               padding);
  ANNEAL_CHECK(output_padding >= 0 && output_padding < stride, "{}: output_padding {} must lie in [0, stride = {})",
               op, output_padding, stride);
  for (I a = 2; a < rank; ++a)
    ANNEAL_CHECK(w.size(a) >= 1 && x.size(a) >= 1, "{}: empty kernel or grid, weight {} and input {}", op,
                 to_string(w.shape()), to_string(x.shape()));
  ConvGeometry g;
  g.spatial = spatial;
  g.batch = x.size(0);
  g.mode = mode;
  const Shape xs(x.shape().begin() + 2, x.shape().end()), ks(w.shape().begin() + 2, w.shape().end());
  g.kernel = embed(ks, 1);
  g.stride = spatial == 3 ? std::array<I, 3>{stride, stride, stride} : std::array<I, 3>{stride, 1, stride};
  g.pad = spatial == 3 ? std::array<I, 3>{padding, padding, padding} : std::array<I, 3>{padding, 0, padding};
  if (!transposed) {
    g.in_channels = x.size(1);
    g.out_channels = w.size(0);
    g.in = embed(xs, 1);
    for (int a = 0; a < 3; ++a) {
      const I span = g.in[a] + 2 * g.pad[a] - g.kernel[a];
      ANNEAL_CHECK(span >= 0, "{}: kernel {} is larger than the padded input {} (padding {})", op, to_string(w.shape()),
                   to_string(x.shape()), padding);
      g.out[a] = span / g.stride[a] + 1;
    }
  } else {
    g.in_channels = w.size(1);
    g.out_channels = x.size(1);
    g.out = embed(xs, 1);
    for (int a = 0; a < 3; ++a) {
      const I extra = (spatial == 2 && a == 1) ? 0 : output_padding;
      g.in[a] = (g.out[a] - 1) * g.stride[a] - 2 * g.pad[a] + g.kernel[a] + extra;
      ANNEAL_CHECK(g.in[a] >= 1, "{}: input {} with kernel {}, stride {}, padding {} gives an empty output", op,
                   to_string(x.shape()), to_string(w.shape()), stride, padding);
    }
  }
  return g;
}

Tensor conv_nd(const Tensor& x, const Tensor& w, const Tensor& bias, I stride, I padding, Padding mode, int spatial) {
  const char* op = spatial == 3 ? "conv3d" : "conv2d";
  const ConvGeometry g = conv_geometry(x, w, spatial, stride, padding, 0, mode, false, op);
  check_bias(bias, x, g.out_channels, op);
  return conv_op(x, w, bias, g);
}

Tensor conv_transpose_nd(const Tensor& x, const Tensor& w, const Tensor& bias, I stride, I padding, I output_padding,
                         Padding mode, int spatial) {
  const char* op = spatial == 3 ? "conv_transpose3d" : "conv_transpose2d";
  const ConvGeometry g = conv_geometry(x, w, spatial, stride, padding, output_padding, mode, true, op);
  check_bias(bias, x, g.in_channels, op);
  const Tensor y = conv_adjoint_op(x, w, g);
  if (!bias.defined()) return y;
  Shape kept(static_cast<std::size_t>(spatial + 2), 1);
  kept[1] = g.in_channels;
  return add(y, bias.reshape(kept));
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride, std::int64_t padding,
              Padding mode) {
  return conv_nd(x, weight, bias, stride, padding, mode, 2);
}

Tensor conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride, std::int64_t padding,
              Padding mode) {
  return conv_nd(x, weight, bias, stride, padding, mode, 3);
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride,
                        std::int64_t padding, std::int64_t output_padding, Padding mode) {
  return conv_transpose_nd(x, weight, bias, stride, padding, output_padding, mode, 2);
}

Tensor conv_transpose3d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride,
                        std::int64_t padding, std::int64_t output_padding, Padding mode) {
  return conv_transpose_nd(x, weight, bias, stride, padding, output_padding, mode, 3);
}

}  // namespace anneal::nn
