// Pooling and upsampling (the resampling around convolutions in U-Nets): separable linear maps,
// one sparse matrix per axis, applied axis by axis; each backward applies the transposed maps.
#include "nn/eigen_maps.hpp"
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "nn/ops_conv.hpp"

namespace anneal::nn {
namespace {

using I = std::int64_t;

// out[j] = Σ_e weight[e] · in[index[e]] for e in [start[j], start[j + 1]).
struct AxisMap {
  I in = 1, out = 1;
  std::vector<I> start{0, 1}, index{0};
  std::vector<double> weight{1.0};

  bool identity() const { return in == 1 && out == 1 && weight.size() == 1 && weight[0] == 1.0; }
  AxisMap transposed() const {
    AxisMap t;
    t.in = out;
    t.out = in;
    t.start.assign(static_cast<std::size_t>(in + 1), 0);
    for (I i : index) ++t.start[static_cast<std::size_t>(i + 1)];
    for (I i = 0; i < in; ++i) t.start[static_cast<std::size_t>(i + 1)] += t.start[static_cast<std::size_t>(i)];
    t.index.resize(index.size());
    t.weight.resize(weight.size());
    std::vector<I> fill(t.start.begin(), t.start.end() - 1);
    for (I j = 0; j < out; ++j)
      for (I e = start[static_cast<std::size_t>(j)]; e < start[static_cast<std::size_t>(j + 1)]; ++e) {
        const I slot = fill[static_cast<std::size_t>(index[static_cast<std::size_t>(e)])]++;
        t.index[static_cast<std::size_t>(slot)] = j;
        t.weight[static_cast<std::size_t>(slot)] = weight[static_cast<std::size_t>(e)];
      }
    return t;
  }
};

// Builds an AxisMap from `entries(j, push)` calling push(i, weight) for each input of output j.
template <class F>
AxisMap make_axis_map(I in, I out, F entries) {
  AxisMap m;
  m.in = in;
  m.out = out;
  m.start = {0};
  m.index.clear();
  m.weight.clear();
  for (I j = 0; j < out; ++j) {
    entries(j, [&](I i, double wgt) {
      m.index.push_back(i);
      m.weight.push_back(wgt);
    });
    m.start.push_back(static_cast<I>(m.index.size()));
  }
  return m;
}

struct Resample {
  int spatial = 3;
  std::array<AxisMap, 3> axes;  // (D, H, W); a 2-D op leaves D as the identity on one cell
  Resample transposed() const {
    Resample t;
    t.spatial = spatial;
    for (int a = 0; a < 3; ++a) t.axes[a] = axes[a].transposed();
    return t;
  }
};

struct ResamplePair {
  Resample forward, adjoint;
  std::string name;
};

// Applies `m` along the middle axis of x viewed as [outer, m.in, inner].
template <class T>
void apply_axis(const T* x, T* y, I outer, I inner, const AxisMap& m) {
  const I rows = outer * m.out;
  const I grain = std::max<I>(1, (I{1} << 14) / std::max<I>(inner, 1));
  tbb::parallel_for(tbb::blocked_range<I>(0, rows, grain), [&](const tbb::blocked_range<I>& r) {
    for (I row = r.begin(); row < r.end(); ++row) {
      const I o = row / m.out, j = row % m.out;
      T* dst = y + row * inner;
      const T* src = x + o * m.in * inner;
      Vec<T> out(dst, inner);
      out.setZero();
      for (I e = m.start[static_cast<std::size_t>(j)]; e < m.start[static_cast<std::size_t>(j + 1)]; ++e)
        out += static_cast<T>(m.weight[static_cast<std::size_t>(e)]) *
               ConstVec<T>(src + m.index[static_cast<std::size_t>(e)] * inner, inner);
    }
  });
}

Tensor resample_op(const Tensor& x, const std::shared_ptr<const ResamplePair>& pair, bool adjoint) {
  const Resample& r = adjoint ? pair->adjoint : pair->forward;
  const I planes = x.size(0) * x.size(1);
  std::array<I, 3> extents{r.axes[0].in, r.axes[1].in, r.axes[2].in};
  Tensor current = x.detach();
  bool moved = false;
  // W first, then H, then D: each pass maps one axis of [planes, D, H, W].
  for (int a = 2; a >= 0; --a) {
    const AxisMap& m = r.axes[a];
    if (m.identity()) continue;
    I outer = planes, inner = 1;
    for (int b = 0; b < a; ++b) outer *= extents[b];
    for (int b = a + 1; b < 3; ++b) inner *= extents[b];
    extents[a] = m.out;
    Tensor next = Tensor::empty({planes * extents[0] * extents[1] * extents[2]}, x.dtype());
    dispatch(x.dtype(), [&]<class T>() { apply_axis(current.data<T>(), next.data<T>(), outer, inner, m); });
    current = next;
    moved = true;
  }
  Shape shape{x.size(0), x.size(1)};
  if (r.spatial == 3) shape.insert(shape.end(), {extents[0], extents[1], extents[2]});
  else shape.insert(shape.end(), {extents[1], extents[2]});
  // The output never shares memory with x (it would, were every axis the identity).
  Tensor out = moved ? current.reshape(shape) : current.clone().reshape(shape);
  return record(out, {x}, [pair, adjoint](const Tensor& g) {
    return std::vector<Tensor>{resample_op(g, pair, !adjoint)};
  }, pair->name + (adjoint ? "_backward" : ""));
}

void check_grid(const Tensor& x, int spatial, I factor, const char* op, const char* what) {
  ANNEAL_CHECK(x.dim() == spatial + 2, "{}: input must be [N, C, {}], got shape {}", op,
               spatial == 3 ? "D, H, W" : "H, W", to_string(x.shape()));
  ANNEAL_CHECK(factor >= 1, "{}: {} must be at least 1, got {}", op, what, factor);
}

Tensor run_resample(const Tensor& x, int spatial, const std::array<AxisMap, 3>& axes, std::string name) {
  auto pair = std::make_shared<ResamplePair>();
  pair->forward.spatial = spatial;
  pair->forward.axes = axes;
  pair->adjoint = pair->forward.transposed();
  pair->name = std::move(name);
  return resample_op(x, pair, false);
}

// The per-axis maps over the spatial axes of x, in the 3-axis layout.
template <class F>
std::array<AxisMap, 3> per_axis(const Tensor& x, int spatial, F make) {
  std::array<AxisMap, 3> axes;
  for (int a = 0; a < spatial; ++a) axes[static_cast<std::size_t>(a + 3 - spatial)] = make(x.size(a + 2));
  return axes;
}

Tensor avg_pool_nd(const Tensor& x, I kernel, int spatial) {
  const char* op = spatial == 3 ? "avg_pool3d" : "avg_pool2d";
  check_grid(x, spatial, kernel, op, "kernel");
  for (I a = 2; a < x.dim(); ++a)
    ANNEAL_CHECK(x.size(a) >= kernel, "{}: kernel {} is larger than the grid {}", op, kernel, to_string(x.shape()));
  const double wgt = 1.0 / static_cast<double>(kernel);
  return run_resample(x, spatial, per_axis(x, spatial, [&](I extent) {
    return make_axis_map(extent, extent / kernel, [&](I j, auto push) {
      for (I e = 0; e < kernel; ++e) push(j * kernel + e, wgt);
    });
  }), op);
}

Tensor upsample_nearest_nd(const Tensor& x, I scale, int spatial) {
  const char* op = spatial == 3 ? "upsample_nearest3d" : "upsample_nearest2d";
  check_grid(x, spatial, scale, op, "scale");
  return run_resample(x, spatial, per_axis(x, spatial, [&](I extent) {
    return make_axis_map(extent, extent * scale, [&](I j, auto push) { push(j / scale, 1.0); });
  }), op);
}

}  // namespace

Tensor avg_pool2d(const Tensor& x, std::int64_t kernel) { return avg_pool_nd(x, kernel, 2); }
Tensor avg_pool3d(const Tensor& x, std::int64_t kernel) { return avg_pool_nd(x, kernel, 3); }
Tensor upsample_nearest2d(const Tensor& x, std::int64_t scale) { return upsample_nearest_nd(x, scale, 2); }
Tensor upsample_nearest3d(const Tensor& x, std::int64_t scale) { return upsample_nearest_nd(x, scale, 3); }

Tensor upsample_trilinear3d(const Tensor& x, std::int64_t scale) {
  check_grid(x, 3, scale, "upsample_trilinear3d", "scale");
  const double inv = 1.0 / static_cast<double>(scale);
  return run_resample(x, 3, per_axis(x, 3, [&](I extent) {
    return make_axis_map(extent, extent * scale, [&](I j, auto push) {
      // PyTorch's area_pixel_compute_source_index with align_corners = false.
      const double src = std::max(0.0, (static_cast<double>(j) + 0.5) * inv - 0.5);
      const I i0 = std::min(static_cast<I>(src), extent - 1);
      const I i1 = i0 < extent - 1 ? i0 + 1 : i0;
      const double l1 = src - static_cast<double>(i0);
      if (i1 == i0) {
        push(i0, 1.0);
      } else {
        push(i0, 1.0 - l1);
        push(i1, l1);
      }
    });
  }), "upsample_trilinear3d");
}

}  // namespace anneal::nn
