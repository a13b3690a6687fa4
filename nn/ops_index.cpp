// Gather, scatter-add and segment reductions (nn/ops_index.hpp).
//
// Every reduction first groups the entries by segment (a stable counting sort into CSR form), then
// gives each output row to one thread. That is race-free without atomics or per-thread copies of
// the output, makes the result independent of the thread count, and visits each segment's entries
// in index order, which is what "the first arg-max" means.
#include "nn/ops_index.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

using IndexPtr = std::shared_ptr<const Index>;

constexpr std::int64_t kGrain = 1 << 14;  // elements per task: below this threads cost more than they give

// Runs body(lo, hi) over rows [0, n), in parallel when the rows hold `work` elements in all and
// that is worth splitting.
template <class Body>
void parallel_rows(std::int64_t n, std::int64_t work, Body&& body) {
  if (n <= 0) return;
  if (work < 2 * kGrain || n < 2) {
    body(std::int64_t{0}, n);
    return;
  }
  const std::int64_t grain = std::max<std::int64_t>(1, n * kGrain / work);
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

// Views `shape` as [outer, extent, inner] around `axis`.
struct AxisSplit {
  std::int64_t outer = 1, extent = 1, inner = 1;
};
AxisSplit split_at(const Shape& shape, std::int64_t axis) {
  AxisSplit s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto a = static_cast<std::int64_t>(i);
    if (a < axis)
      s.outer *= shape[i];
    else if (a == axis)
      s.extent = shape[i];
    else
      s.inner *= shape[i];
  }
  return s;
}

// Entries grouped by segment: those of segment s are entries[offsets[s] .. offsets[s+1]), in
// increasing order.
struct Segments {
  std::vector<std::int64_t> offsets;
  std::vector<std::int64_t> entries;
};

Segments group(const Index& ids, std::int64_t num_segments, const char* op) {
  ANNEAL_CHECK(num_segments >= 0, "{}: num_segments is {}, it must be >= 0", op, num_segments);
  Segments g;
  g.offsets.assign(static_cast<std::size_t>(num_segments) + 1, 0);
  for (std::size_t e = 0; e < ids.size(); ++e) {
    ANNEAL_CHECK(ids[e] >= 0 && ids[e] < num_segments, "{}: index {} at position {} is out of range [0, {})", op,
                 ids[e], e, num_segments);
    ++g.offsets[static_cast<std::size_t>(ids[e]) + 1];
  }
  for (std::size_t s = 0; s < static_cast<std::size_t>(num_segments); ++s) g.offsets[s + 1] += g.offsets[s];
  std::vector<std::int64_t> next(g.offsets.begin(), g.offsets.end() - 1);
  g.entries.resize(ids.size());
  for (std::size_t e = 0; e < ids.size(); ++e)
    g.entries[static_cast<std::size_t>(next[static_cast<std::size_t>(ids[e])]++)] = static_cast<std::int64_t>(e);
  return g;
}

// src must be [E, ...] with E = ids.size(); returns the elements per row.
std::int64_t check_rows(const Tensor& src, const Index& ids, const char* op) {
  ANNEAL_CHECK(src.defined() && src.dim() >= 1, "{}: src must be a tensor [E, ...], got {}", op,
               src.defined() ? to_string(src.shape()) : "an undefined tensor");
  ANNEAL_CHECK(src.size(0) == static_cast<std::int64_t>(ids.size()), "{}: src of shape {} has {} rows but {} indices",
               op, to_string(src.shape()), src.size(0), ids.size());
  return split_at(src.shape(), 0).inner;
}

// The shape of src [E, ...] with the leading extent replaced by n.
Shape with_rows(const Shape& shape, std::int64_t n) {
  Shape out = shape;
  out[0] = n;
  return out;
}

// ---- kernels, outside the tape

Tensor gather_kernel(const Tensor& x, std::int64_t axis, const Index& idx) {
  const AxisSplit s = split_at(x.shape(), axis);
  for (std::size_t k = 0; k < idx.size(); ++k)
    ANNEAL_CHECK(idx[k] >= 0 && idx[k] < s.extent,
                 "index_select: index {} at position {} is out of range [0, {}) "
                 "for axis {} of shape {}",
                 idx[k], k, s.extent, axis, to_string(x.shape()));
  Shape shape = x.shape();
  const auto count = static_cast<std::int64_t>(idx.size());
  shape[static_cast<std::size_t>(axis)] = count;
  Tensor out = Tensor::empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    // Output rows are written once each, so any split is safe.
    parallel_rows(s.outer * count, out.numel(), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t row = lo; row < hi; ++row) {
        const std::int64_t o = row / count, k = row % count;
        const T* from = px + (o * s.extent + idx[static_cast<std::size_t>(k)]) * s.inner;
        std::copy(from, from + s.inner, po + row * s.inner);
      }
    });
  });
  return out;
}

// out[o, s, i] = Σ_{e in segment s} src[o, e, i], summed in double (as sum() does) and in index order.
Tensor scatter_kernel(const Tensor& src, std::int64_t axis, const Segments& seg, std::int64_t num_segments) {
  const AxisSplit s = split_at(src.shape(), axis);
  Shape shape = src.shape();
  shape[static_cast<std::size_t>(axis)] = num_segments;
  Tensor out = Tensor::empty(shape, src.dtype());
  dispatch(src.dtype(), [&]<class T>() {
    const T* px = src.data<T>();
    T* po = out.data<T>();
    parallel_rows(s.outer * num_segments, src.numel() + out.numel(), [&](std::int64_t lo, std::int64_t hi) {
      std::vector<double> acc(static_cast<std::size_t>(s.inner));
      for (std::int64_t row = lo; row < hi; ++row) {
        const std::int64_t o = row / num_segments, g = row % num_segments;
        std::fill(acc.begin(), acc.end(), 0.0);
        for (std::int64_t j = seg.offsets[static_cast<std::size_t>(g)];
             j < seg.offsets[static_cast<std::size_t>(g) + 1]; ++j) {
          const T* from = px + (o * s.extent + seg.entries[static_cast<std::size_t>(j)]) * s.inner;
          for (std::int64_t i = 0; i < s.inner; ++i) acc[static_cast<std::size_t>(i)] += static_cast<double>(from[i]);
        }
        T* to = po + row * s.inner;
        for (std::int64_t i = 0; i < s.inner; ++i) to[i] = static_cast<T>(acc[static_cast<std::size_t>(i)]);
      }
    });
  });
  return out;
}

// ---- the differentiable pair; each is the other's backward

// `op` names the public op in error messages.
Tensor scatter_along(const Tensor& src, std::int64_t axis, const IndexPtr& idx, std::int64_t num_segments,
                     const char* op = "scatter_add");

Tensor gather_along(const Tensor& x, std::int64_t axis, const IndexPtr& idx) {
  const std::int64_t extent = x.size(axis);
  return record(
      gather_kernel(x, axis, *idx), {x},
      [axis, idx, extent](const Tensor& g) { return std::vector<Tensor>{scatter_along(g, axis, idx, extent)}; },
      "index_select");
}

Tensor scatter_along(const Tensor& src, std::int64_t axis, const IndexPtr& idx, std::int64_t num_segments,
                     const char* op) {
  const Segments seg = group(*idx, num_segments, op);
  return record(
      scatter_kernel(src, axis, seg, num_segments), {src},
      [axis, idx](const Tensor& g) { return std::vector<Tensor>{gather_along(g, axis, idx)}; }, "scatter_add");
}

}  // namespace

Tensor index_select(const Tensor& x, std::int64_t axis, const Index& indices) {
  ANNEAL_CHECK(x.defined() && x.dim() >= 1, "index_select: needs a tensor of rank >= 1");
  axis = normalize_axis(axis, x.dim(), "index_select");
  return gather_along(x, axis, std::make_shared<const Index>(indices));
}

Tensor scatter_add(const Tensor& src, const Index& indices, std::int64_t num_segments) {
  check_rows(src, indices, "scatter_add");
  return scatter_along(src, 0, std::make_shared<const Index>(indices), num_segments);
}

Tensor segment_sum(const Tensor& src, const Index& segment_ids, std::int64_t num_segments) {
  check_rows(src, segment_ids, "segment_sum");
  return scatter_along(src, 0, std::make_shared<const Index>(segment_ids), num_segments, "segment_sum");
}

Tensor segment_mean(const Tensor& src, const Index& segment_ids, std::int64_t num_segments) {
  check_rows(src, segment_ids, "segment_mean");
  const Tensor total = scatter_along(src, 0, std::make_shared<const Index>(segment_ids), num_segments, "segment_mean");
  // 1 / count as a constant [S, 1, ...] factor; empty segments keep their zero sum.
  std::vector<double> inverse(static_cast<std::size_t>(num_segments), 0.0);
  for (const auto s : segment_ids) inverse[static_cast<std::size_t>(s)] += 1.0;
  for (auto& v : inverse) v = 1.0 / std::max(v, 1.0);
  Shape factor_shape(static_cast<std::size_t>(src.dim()), 1);
  factor_shape[0] = num_segments;
  return mul(total, Tensor::from_vector(inverse, factor_shape, src.dtype()));
}

Tensor segment_max(const Tensor& src, const Index& segment_ids, std::int64_t num_segments) {
  const std::int64_t inner = check_rows(src, segment_ids, "segment_max");
  const Segments seg = group(segment_ids, num_segments, "segment_max");
  Tensor out = Tensor::zeros(with_rows(src.shape(), num_segments), src.dtype());
  Tensor picked = Tensor::zeros(src.shape(), src.dtype());  // 1 at each column's arg-max: the backward's mask
  dispatch(src.dtype(), [&]<class T>() {
    const T* px = src.data<T>();
    T* po = out.data<T>();
    T* pp = picked.data<T>();
    // Each entry belongs to one segment, so the thread that owns a segment also owns its rows of `picked`.
    parallel_rows(num_segments, src.numel() + out.numel(), [&](std::int64_t lo, std::int64_t hi) {
      std::vector<std::int64_t> best(static_cast<std::size_t>(inner));
      for (std::int64_t s = lo; s < hi; ++s) {
        const std::int64_t begin = seg.offsets[static_cast<std::size_t>(s)],
                           end = seg.offsets[static_cast<std::size_t>(s) + 1];
        if (begin == end) continue;  // empty: 0, no gradient
        std::fill(best.begin(), best.end(), seg.entries[static_cast<std::size_t>(begin)]);
        for (std::int64_t j = begin + 1; j < end; ++j) {
          const std::int64_t e = seg.entries[static_cast<std::size_t>(j)];
          for (std::int64_t i = 0; i < inner; ++i) {
            auto& b = best[static_cast<std::size_t>(i)];
            if (px[e * inner + i] > px[b * inner + i]) b = e;  // strict: ties keep the earlier entry
          }
        }
        for (std::int64_t i = 0; i < inner; ++i) {
          const std::int64_t b = best[static_cast<std::size_t>(i)];
          po[s * inner + i] = px[b * inner + i];
          pp[b * inner + i] = 1;
        }
      }
    });
  });
  auto idx = std::make_shared<const Index>(segment_ids);
  return record(
      out, {src}, [idx, picked](const Tensor& g) { return std::vector<Tensor>{mul(gather_along(g, 0, idx), picked)}; },
      "segment_max");
}

Tensor segment_softmax(const Tensor& src, const Index& segment_ids, std::int64_t num_segments) {
  const std::int64_t inner = check_rows(src, segment_ids, "segment_softmax");
  const Segments seg = group(segment_ids, num_segments, "segment_softmax");
  Tensor out = Tensor::empty(src.shape(), src.dtype());
  dispatch(src.dtype(), [&]<class T>() {
    const T* px = src.data<T>();
    T* po = out.data<T>();
    parallel_rows(num_segments, 3 * src.numel(), [&](std::int64_t lo, std::int64_t hi) {
      std::vector<T> top(static_cast<std::size_t>(inner));
      std::vector<double> total(static_cast<std::size_t>(inner));
      for (std::int64_t s = lo; s < hi; ++s) {
        const std::int64_t begin = seg.offsets[static_cast<std::size_t>(s)],
                           end = seg.offsets[static_cast<std::size_t>(s) + 1];
        if (begin == end) continue;
        auto row = [&](std::int64_t j) { return seg.entries[static_cast<std::size_t>(j)] * inner; };
        std::copy(px + row(begin), px + row(begin) + inner, top.begin());
        for (std::int64_t j = begin + 1; j < end; ++j)
          for (std::int64_t i = 0; i < inner; ++i)
            top[static_cast<std::size_t>(i)] = std::max(top[static_cast<std::size_t>(i)], px[row(j) + i]);
        std::fill(total.begin(), total.end(), 0.0);
        for (std::int64_t j = begin; j < end; ++j)
          for (std::int64_t i = 0; i < inner; ++i) {
            const T v = std::exp(px[row(j) + i] - top[static_cast<std::size_t>(i)]);  // <= 1: cannot overflow
            po[row(j) + i] = v;
            total[static_cast<std::size_t>(i)] += static_cast<double>(v);
          }
        for (std::int64_t j = begin; j < end; ++j)
          for (std::int64_t i = 0; i < inner; ++i)
            po[row(j) + i] = static_cast<T>(static_cast<double>(po[row(j) + i]) / total[static_cast<std::size_t>(i)]);
      }
    });
  });
  // dL/dx = y ⊙ (g − Σ_segment g ⊙ y), broadcast back to the entries. y is captured detached: a
  // captured output holding its own grad_fn would be a reference cycle.
  auto idx = std::make_shared<const Index>(segment_ids);
  const Tensor y = out.detach();
  return record(
      out, {src},
      [idx, y, num_segments](const Tensor& g) {
        const Tensor dot = scatter_along(mul(g, y), 0, idx, num_segments);
        return std::vector<Tensor>{mul(y, sub(g, gather_along(dot, 0, idx)))};
      },
      "segment_softmax");
}

}  // namespace anneal::nn
