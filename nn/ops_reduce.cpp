// Reductions over axes, and the broadcast pair sum_to / broadcast_to (each the other's backward).
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

// Views `shape` as [outer, extent, inner] around `axis`.
struct AxisSplit {
  std::int64_t outer = 1, extent = 1, inner = 1;
};
AxisSplit split_at(const Shape& shape, std::int64_t axis) {
  AxisSplit s;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    const auto e = shape[static_cast<std::size_t>(i)];
    if (i < axis) s.outer *= e;
    else if (i == axis) s.extent = e;
    else s.inner *= e;
  }
  return s;
}

// Sum over one axis, keeping it with extent 1. Accumulates in double for accuracy in f32.
Tensor sum_axis_keep(const Tensor& x, std::int64_t axis) {
  const AxisSplit s = split_at(x.shape(), axis);
  Shape shape = x.shape();
  shape[static_cast<std::size_t>(axis)] = 1;
  Tensor out = Tensor::zeros(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::vector<double> acc(static_cast<std::size_t>(s.inner));
    for (std::int64_t o = 0; o < s.outer; ++o) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (std::int64_t e = 0; e < s.extent; ++e) {
        const T* row = px + (o * s.extent + e) * s.inner;
        for (std::int64_t i = 0; i < s.inner; ++i) acc[static_cast<std::size_t>(i)] += static_cast<double>(row[i]);
      }
      for (std::int64_t i = 0; i < s.inner; ++i) po[o * s.inner + i] = static_cast<T>(acc[static_cast<std::size_t>(i)]);
    }
  });
  return out;
}

std::vector<std::int64_t> normalized_axes(std::vector<std::int64_t> axes, std::int64_t rank, const char* what) {
  if (axes.empty())
    for (std::int64_t i = 0; i < rank; ++i) axes.push_back(i);
  for (auto& a : axes) a = normalize_axis(a, rank, what);
  std::sort(axes.begin(), axes.end());
  ANNEAL_CHECK(std::adjacent_find(axes.begin(), axes.end()) == axes.end(), "{}: an axis is repeated", what);
  return axes;
}

Shape drop_axes(const Shape& shape, const std::vector<std::int64_t>& axes) {
  Shape out;
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(i)) == axes.end()) out.push_back(shape[i]);
  return out;
}

}  // namespace

std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const char* what) {
  const std::int64_t a = axis < 0 ? axis + rank : axis;
  ANNEAL_CHECK(a >= 0 && a < rank, "{}: axis {} is out of range for rank {}", what, axis, rank);
  return a;
}

Tensor sum(const Tensor& x, std::vector<std::int64_t> axes, bool keepdim) {
  axes = normalized_axes(std::move(axes), x.dim(), "sum");
  Tensor out = x.detach();
  {
    NoGrad inner;
    for (auto a : axes) out = sum_axis_keep(out, a);
    if (!keepdim) out = out.reshape(drop_axes(x.shape(), axes));
    if (x.dim() == 0) out = x.clone();
  }
  const Shape in_shape = x.shape();
  Shape kept = x.shape();
  for (auto a : axes) kept[static_cast<std::size_t>(a)] = 1;
  return record(out.detach(), {x}, [in_shape, kept](const Tensor& g) {
    return std::vector<Tensor>{broadcast_to(g.reshape(kept), in_shape)};
  }, "sum");
}

Tensor mean(const Tensor& x, std::vector<std::int64_t> axes, bool keepdim) {
  axes = normalized_axes(std::move(axes), x.dim(), "mean");
  std::int64_t count = 1;
  for (auto a : axes) count *= x.shape()[static_cast<std::size_t>(a)];
  return mul(sum(x, axes, keepdim), 1.0 / static_cast<double>(std::max<std::int64_t>(count, 1)));
}

Tensor max(const Tensor& x, std::int64_t axis, bool keepdim) {
  axis = normalize_axis(axis, x.dim(), "max");
  const AxisSplit s = split_at(x.shape(), axis);
  ANNEAL_CHECK(s.extent > 0, "max over an empty axis");
  Shape kept = x.shape();
  kept[static_cast<std::size_t>(axis)] = 1;
  Tensor out = Tensor::empty(kept, x.dtype());
  Tensor picked = Tensor::zeros(x.shape(), x.dtype());  // 1 where the maximum was taken
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    T* pp = picked.data<T>();
    for (std::int64_t o = 0; o < s.outer; ++o)
      for (std::int64_t i = 0; i < s.inner; ++i) {
        std::int64_t best = 0;
        for (std::int64_t e = 1; e < s.extent; ++e)
          if (px[(o * s.extent + e) * s.inner + i] > px[(o * s.extent + best) * s.inner + i]) best = e;
        po[o * s.inner + i] = px[(o * s.extent + best) * s.inner + i];
        pp[(o * s.extent + best) * s.inner + i] = 1;
      }
  });
  if (!keepdim) out = out.reshape(drop_axes(x.shape(), {axis}));
  const Shape in_shape = x.shape();
  return record(out, {x}, [picked, kept, in_shape](const Tensor& g) {
    return std::vector<Tensor>{mul(broadcast_to(g.reshape(kept), in_shape), picked)};
  }, "max");
}

Tensor norm(const Tensor& x) { return sqrt(sum(square(x))); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const std::int64_t lead = x.dim() - static_cast<std::int64_t>(shape.size());
  ANNEAL_CHECK(lead >= 0, "sum_to: cannot reduce shape {} to {}", to_string(x.shape()), to_string(shape));
  std::vector<std::int64_t> axes;
  for (std::int64_t i = 0; i < x.dim(); ++i) {
    if (i < lead) {
      axes.push_back(i);
      continue;
    }
    const auto want = shape[static_cast<std::size_t>(i - lead)];
    const auto have = x.shape()[static_cast<std::size_t>(i)];
    ANNEAL_CHECK(want == have || want == 1, "sum_to: cannot reduce shape {} to {}", to_string(x.shape()),
                 to_string(shape));
    if (want == 1 && have != 1) axes.push_back(i);
  }
  Tensor reduced = axes.empty() ? x : sum(x, axes, /*keepdim=*/true);
  return reduced.reshape(shape);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  // Adding zeros of the target shape broadcasts with the same kernel as every binary op.
  Tensor out = add(x.detach(), Tensor::zeros(shape, x.dtype()));
  ANNEAL_CHECK(out.shape() == shape, "broadcast_to: shape {} does not broadcast to {}", to_string(x.shape()),
               to_string(shape));
  const Shape in_shape = x.shape();
  return record(out, {x}, [in_shape](const Tensor& g) { return std::vector<Tensor>{sum_to(g, in_shape)}; },
                "broadcast_to");
}

}  // namespace anneal::nn
