// Convolutions, pooling and upsampling of nn/ops_conv.cpp and the layers built on them
// (nn/conv.hpp, nn/unet_block.hpp). Forward values against direct nested loops written here, the
// periodic stencil against the analytic second difference of a sine, transposed convolutions against
// the adjoint identity and a direct scatter loop, gradients against finite differences
// (tests/unit/nn/gradcheck.hpp) and, on grids large enough to tile, against direct loops.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/conv.hpp"
#include "nn/ops.hpp"
#include "nn/ops_conv.hpp"
#include "nn/unet_block.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;
using I = std::int64_t;

namespace {

constexpr std::array<Padding, 3> kModes{Padding::zeros, Padding::replicate, Padding::periodic};

// The cell that position i reads under `mode`, or -1 (a zero): written independently of the library.
I ref_cell(I i, I extent, Padding mode) {
  if (i >= 0 && i < extent) return i;
  if (mode == Padding::zeros) return -1;
  if (mode == Padding::replicate) return i < 0 ? 0 : extent - 1;
  while (i < 0) i += extent;
  while (i >= extent) i -= extent;
  return i;
}

I out_extent(I in, I k, I s, I p) { return (in + 2 * p - k) / s + 1; }

// y[n, o, i, j] = b[o] + Σ_{c, a, e} w[o, c, a, e] x̃[n, c, i s - p + a, j s - p + e].
std::vector<double> ref_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, I s, I p, Padding mode) {
  const I N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const I O = w.size(0), KH = w.size(2), KW = w.size(3);
  const I HO = out_extent(H, KH, s, p), WO = out_extent(W, KW, s, p);
  const double* px = x.data<double>();
  const double* pw = w.data<double>();
  std::vector<double> y;
  for (I n = 0; n < N; ++n)
    for (I o = 0; o < O; ++o)
      for (I i = 0; i < HO; ++i)
        for (I j = 0; j < WO; ++j) {
          double acc = b.defined() ? b.data<double>()[o] : 0.0;
          for (I c = 0; c < C; ++c)
            for (I a = 0; a < KH; ++a)
              for (I e = 0; e < KW; ++e) {
                const I ii = ref_cell(i * s - p + a, H, mode), jj = ref_cell(j * s - p + e, W, mode);
                if (ii < 0 || jj < 0) continue;
                acc += pw[((o * C + c) * KH + a) * KW + e] * px[((n * C + c) * H + ii) * W + jj];
              }
          y.push_back(acc);
        }
  return y;
}

// The 3-D version, and optionally the gradients of Σ y·g with respect to x and w (scatter loops).
struct Ref3d {
  std::vector<double> y, gx, gw;
};
Ref3d ref_conv3d(const Tensor& x, const Tensor& w, const Tensor& b, I s, I p, Padding mode, const Tensor& g = {}) {
  const I N = x.size(0), C = x.size(1), D = x.size(2), H = x.size(3), W = x.size(4);
  const I O = w.size(0), KD = w.size(2), KH = w.size(3), KW = w.size(4);
  const I DO = out_extent(D, KD, s, p), HO = out_extent(H, KH, s, p), WO = out_extent(W, KW, s, p);
  const double* px = x.data<double>();
  const double* pw = w.data<double>();
  const double* pg = g.defined() ? g.data<double>() : nullptr;
  Ref3d r;
  if (pg) {
    r.gx.assign(static_cast<std::size_t>(x.numel()), 0.0);
    r.gw.assign(static_cast<std::size_t>(w.numel()), 0.0);
  }
  I flat = 0;
  for (I n = 0; n < N; ++n)
    for (I o = 0; o < O; ++o)
      for (I d = 0; d < DO; ++d)
        for (I i = 0; i < HO; ++i)
          for (I j = 0; j < WO; ++j, ++flat) {
            double acc = b.defined() ? b.data<double>()[o] : 0.0;
            for (I c = 0; c < C; ++c)
              for (I a = 0; a < KD; ++a)
                for (I bb = 0; bb < KH; ++bb)
                  for (I e = 0; e < KW; ++e) {
                    const I dd = ref_cell(d * s - p + a, D, mode), ii = ref_cell(i * s - p + bb, H, mode),
                            jj = ref_cell(j * s - p + e, W, mode);
                    if (dd < 0 || ii < 0 || jj < 0) continue;
                    const I wi = (((o * C + c) * KD + a) * KH + bb) * KW + e;
                    const I xi = (((n * C + c) * D + dd) * H + ii) * W + jj;
                    acc += pw[wi] * px[xi];
                    if (pg) {
                      r.gx[static_cast<std::size_t>(xi)] += pw[wi] * pg[flat];
                      r.gw[static_cast<std::size_t>(wi)] += px[xi] * pg[flat];
                    }
                  }
            r.y.push_back(acc);
          }
  return r;
}

// PyTorch's ConvTranspose2d with zero padding as a scatter: y[n, o, i s - p + a, j s - p + e] +=
// x[n, c, i, j] w[c, o, a, e], output extent (L - 1) s - 2p + k + output_padding.
std::vector<double> ref_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, I s, I p, I op) {
  const I N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const I O = w.size(1), KH = w.size(2), KW = w.size(3);
  const I HO = (H - 1) * s - 2 * p + KH + op, WO = (W - 1) * s - 2 * p + KW + op;
  std::vector<double> y(static_cast<std::size_t>(N * O * HO * WO), 0.0);
  const double* px = x.data<double>();
  const double* pw = w.data<double>();
  for (I n = 0; n < N; ++n)
    for (I o = 0; o < O; ++o) {
      for (I q = 0; q < HO * WO; ++q) y[static_cast<std::size_t>((n * O + o) * HO * WO + q)] = b.data<double>()[o];
      for (I c = 0; c < C; ++c)
        for (I i = 0; i < H; ++i)
          for (I j = 0; j < W; ++j)
            for (I a = 0; a < KH; ++a)
              for (I e = 0; e < KW; ++e) {
                const I ii = i * s - p + a, jj = j * s - p + e;
                if (ii < 0 || ii >= HO || jj < 0 || jj >= WO) continue;
                y[static_cast<std::size_t>(((n * O + o) * HO + ii) * WO + jj)] +=
                    px[((n * C + c) * H + i) * W + j] * pw[((c * O + o) * KH + a) * KW + e];
              }
    }
  return y;
}

// max |a - b| over max(1, max |b|): sums of many terms are compared at the scale of the largest.
double scaled_diff(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0, scale = 1;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - b[i]));
    scale = std::max(scale, std::abs(b[i]));
  }
  return std::isnan(diff) ? 1e300 : diff / scale;
}

double dot(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  double s = 0;
  for (std::size_t i = 0; i < va.size(); ++i) s += va[i] * vb[i];
  return s;
}

Shape spatial_shape(I n, I c, const std::vector<I>& extents) {
  Shape s{n, c};
  s.insert(s.end(), extents.begin(), extents.end());
  return s;
}

}  // namespace

TEST_CASE("conv: conv2d forward equals a direct loop for every padding, stride and kernel", "[nn][conv]") {
  std::uint64_t stream = 0;
  for (Padding mode : kModes)
    for (I stride : {1, 2})
      for (I k : {1, 3})
        for (I pad : {0, 1, 2}) {
          if (k == 1 && pad == 2) continue;
          INFO("mode " << to_string(mode) << ", stride " << stride << ", kernel " << k << ", padding " << pad);
          const Tensor x = randn64({2, 3, 7, 9}, ++stream);
          const Tensor w = randn64({4, 3, k, k}, ++stream);
          const Tensor b = randn64({4}, ++stream);
          const Tensor y = conv2d(x, w, b, stride, pad, mode);
          CHECK(y.shape() == Shape{2, 4, out_extent(7, k, stride, pad), out_extent(9, k, stride, pad)});
          CHECK(max_rel_diff(y.to_vector(), ref_conv2d(x, w, b, stride, pad, mode), 1.0) < 1e-13);
          const Tensor y0 = conv2d(x, w, {}, stride, pad, mode);  // no bias
          CHECK(max_rel_diff(y0.to_vector(), ref_conv2d(x, w, {}, stride, pad, mode), 1.0) < 1e-13);
        }
}

TEST_CASE("conv: conv2d with a rectangular kernel and in f32 equals the direct loop", "[nn][conv]") {
  const Tensor x = randn64({1, 2, 6, 11}, 1), w = randn64({3, 2, 3, 1}, 2), b = randn64({3}, 3);
  for (Padding mode : kModes) {
    INFO(to_string(mode));
    const auto ref = ref_conv2d(x, w, b, 1, 1, mode);
    CHECK(max_rel_diff(conv2d(x, w, b, 1, 1, mode).to_vector(), ref, 1.0) < 1e-13);
    const Tensor y32 = conv2d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), 1, 1, mode);
    CHECK(y32.dtype() == DType::f32);
    CHECK(max_rel_diff(y32.to_vector(), ref, 1.0) < 1e-5);
  }
}

TEST_CASE("conv: conv3d forward equals a direct loop for every padding, stride and kernel", "[nn][conv]") {
  std::uint64_t stream = 100;
  for (Padding mode : kModes)
    for (I stride : {1, 2})
      for (I k : {1, 3})
        for (I pad : {0, 1}) {
          INFO("mode " << to_string(mode) << ", stride " << stride << ", kernel " << k << ", padding " << pad);
          const Tensor x = randn64({2, 2, 5, 7, 3}, ++stream);
          const Tensor w = randn64({3, 2, k, k, k}, ++stream);
          const Tensor b = randn64({3}, ++stream);
          const Tensor y = conv3d(x, w, b, stride, pad, mode);
          CHECK(y.shape() == Shape{2, 3, out_extent(5, k, stride, pad), out_extent(7, k, stride, pad),
                                   out_extent(3, k, stride, pad)});
          CHECK(max_rel_diff(y.to_vector(), ref_conv3d(x, w, b, stride, pad, mode).y, 1.0) < 1e-13);
        }
}

TEST_CASE("conv: conv3d on a grid large enough to tile has the direct loop's values and gradients", "[nn][conv]") {
  // 20 x 150 planes: several im2col tiles per sample and several column chunks per adjoint slab.
  for (Padding mode : kModes)
    for (I stride : {1, 2}) {
      INFO("mode " << to_string(mode) << ", stride " << stride);
      Tensor x = randn64({2, 8, 6, 20, 150}, 7), w = randn64({4, 8, 3, 3, 3}, 8), b = randn64({4}, 9);
      x.set_requires_grad(true);
      w.set_requires_grad(true);
      b.set_requires_grad(true);
      const Tensor y = conv3d(x, w, b, stride, 1, mode);
      const Tensor g = randn64(y.shape(), 10);
      const Ref3d ref = ref_conv3d(x.detach(), w.detach(), b.detach(), stride, 1, mode, g);
      CHECK(scaled_diff(y.to_vector(), ref.y) < 1e-13);
      const auto grads = grad(sum(mul(y, g)), {x, w, b});
      CHECK(scaled_diff(grads[0].to_vector(), ref.gx) < 1e-13);
      CHECK(scaled_diff(grads[1].to_vector(), ref.gw) < 1e-13);
      CHECK(scaled_diff(grads[2].to_vector(), sum(g, {0, 2, 3, 4}).to_vector()) < 1e-13);
    }
}

TEST_CASE("conv: periodic 1, -2, 1 stencils give the exact second difference of a sine, edges included",
          "[nn][conv]") {
  // Δ² sin(2π x / L) = 2 (cos(2π / L) - 1) sin(2π x / L) on the integer grid, exactly.
  const I L = 13;
  const double k = 2 * std::numbers::pi / static_cast<double>(L);
  auto second = [&](I i) { return 2 * (std::cos(k) - 1) * std::sin(k * static_cast<double>(i)); };
  SECTION("2-D, along W, field constant along H") {
    std::vector<double> f;
    for (I h = 0; h < 4; ++h)
      for (I i = 0; i < L; ++i) f.push_back(std::sin(k * static_cast<double>(i)));
    const Tensor x = Tensor::from_vector(f, {1, 1, 4, L}, DType::f64);
    const Tensor w = Tensor::from_vector({0, 0, 0, 1, -2, 1, 0, 0, 0}, {1, 1, 3, 3}, DType::f64);
    const auto y = conv2d(x, w, {}, 1, 1, Padding::periodic).to_vector();
    REQUIRE(y.size() == f.size());
    for (I h = 0; h < 4; ++h)
      for (I i = 0; i < L; ++i) CHECK(y[static_cast<std::size_t>(h * L + i)] == Approx(second(i)).margin(1e-14));
  }
  SECTION("3-D, 7-point Laplacian of a product of sines") {
    const I D = 5, H = 7, W = L;
    auto s = [](I i, I n) { return std::sin(2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n)); };
    auto c = [](I n) { return 2 * (std::cos(2 * std::numbers::pi / static_cast<double>(n)) - 1); };
    std::vector<double> f, expect;
    for (I d = 0; d < D; ++d)
      for (I h = 0; h < H; ++h)
        for (I i = 0; i < W; ++i) {
          const double v = s(d, D) * s(h, H) * s(i, W);
          f.push_back(v);
          expect.push_back((c(D) + c(H) + c(W)) * v);
        }
    std::vector<double> taps(27, 0.0);
    taps[13] = -6;
    for (int off : {4, 22, 10, 16, 12, 14}) taps[static_cast<std::size_t>(off)] = 1;
    const Tensor x = Tensor::from_vector(f, {1, 1, D, H, W}, DType::f64);
    const Tensor w = Tensor::from_vector(taps, {1, 1, 3, 3, 3}, DType::f64);
    const auto y = conv3d(x, w, {}, 1, 1, Padding::periodic).to_vector();
    REQUIRE(y.size() == expect.size());
    double worst = 0;
    for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - expect[i]));
    CHECK(worst < 1e-14);
  }
}

TEST_CASE("conv: conv_transpose is the adjoint of conv for every padding mode", "[nn][conv]") {
  std::uint64_t stream = 300;
  for (int spatial : {2, 3})
    for (Padding mode : kModes)
      for (I stride : {1, 2})
        for (I k : {1, 2, 3})
          for (I pad : {0, 1})
            for (I op = 0; op < stride; ++op) {
              if (pad >= k && mode == Padding::zeros) continue;  // nothing but padding in the first window
              INFO(spatial << "-D, mode " << to_string(mode) << ", stride " << stride << ", kernel " << k
                           << ", padding " << pad << ", output_padding " << op);
              const std::vector<I> lin = spatial == 2 ? std::vector<I>{4, 5} : std::vector<I>{3, 4, 5};
              std::vector<I> lout, kernel(static_cast<std::size_t>(spatial), k);
              for (I l : lin) lout.push_back((l - 1) * stride - 2 * pad + k + op);
              const Tensor y = randn64(spatial_shape(2, 3, lin), ++stream);    // conv output / transpose input
              const Tensor x = randn64(spatial_shape(2, 2, lout), ++stream);   // conv input / transpose output
              const Tensor w = randn64(spatial_shape(3, 2, kernel), ++stream);  // [3 <-> 2]
              const Tensor ax =
                  spatial == 2 ? conv2d(x, w, {}, stride, pad, mode) : conv3d(x, w, {}, stride, pad, mode);
              REQUIRE(ax.shape() == y.shape());
              const Tensor aty = spatial == 2 ? conv_transpose2d(y, w, {}, stride, pad, op, mode)
                                              : conv_transpose3d(y, w, {}, stride, pad, op, mode);
              REQUIRE(aty.shape() == x.shape());
              const double lhs = dot(ax, y), rhs = dot(x, aty);
              CHECK(std::abs(lhs - rhs) <= 1e-12 * std::max(1.0, std::abs(lhs)));
            }
}

TEST_CASE("conv: conv_transpose2d with zero padding equals PyTorch's scatter definition", "[nn][conv]") {
  std::uint64_t stream = 400;
  for (I stride : {1, 2, 3})
    for (I k : {1, 2, 3})
      for (I pad : {0, 1})
        for (I op = 0; op < stride; ++op) {
          if ((4 - 1) * stride - 2 * pad + k + op < 1) continue;
          INFO("stride " << stride << ", kernel " << k << ", padding " << pad << ", output_padding " << op);
          const Tensor x = randn64({2, 3, 4, 5}, ++stream), w = randn64({3, 2, k, k}, ++stream),
                       b = randn64({2}, ++stream);
          const Tensor y = conv_transpose2d(x, w, b, stride, pad, op);
          CHECK(y.shape() == Shape{2, 2, 3 * stride - 2 * pad + k + op, 4 * stride - 2 * pad + k + op});
          CHECK(max_rel_diff(y.to_vector(), ref_conv_transpose2d(x, w, b, stride, pad, op), 1.0) < 1e-13);
        }
}

TEST_CASE("conv: avg_pool and nearest upsampling give hand-computed values", "[nn][conv]") {
  std::vector<double> ramp(20);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<double>(i);
  // [4, 5] grid 0..19; 2x2 blocks, the last column dropped.
  const Tensor x = Tensor::from_vector(ramp, {1, 1, 4, 5}, DType::f64);
  const Tensor p = avg_pool2d(x, 2);
  CHECK(p.shape() == Shape{1, 1, 2, 2});
  CHECK(p.to_vector() == std::vector<double>{3, 5, 13, 15});

  const Tensor x3 = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 10, 20, 30, 40, 50, 60, 70, 80}, {1, 2, 2, 2, 2},
                                        DType::f64);
  const Tensor p3 = avg_pool3d(x3, 2);
  CHECK(p3.shape() == Shape{1, 2, 1, 1, 1});
  CHECK(p3.to_vector() == std::vector<double>{4.5, 45});

  const Tensor s = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}, DType::f64);
  const Tensor u = upsample_nearest2d(s, 2);
  CHECK(u.shape() == Shape{1, 1, 4, 4});
  CHECK(u.to_vector() == std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  const Tensor u3 = upsample_nearest2d(Tensor::from_vector({1, 2}, {1, 1, 1, 2}, DType::f64), 3);
  CHECK(u3.to_vector() == std::vector<double>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});

  const Tensor v = upsample_nearest3d(Tensor::from_vector({1, 2}, {1, 1, 2, 1, 1}, DType::f64), 2);
  CHECK(v.shape() == Shape{1, 1, 4, 2, 2});
  CHECK(v.to_vector() == std::vector<double>{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2});

  // Pooling undoes nearest upsampling.
  const Tensor r = randn64({2, 3, 3, 2, 4}, 5);
  CHECK(max_rel_diff(avg_pool3d(upsample_nearest3d(r, 2), 2).to_vector(), r.to_vector(), 1.0) < 1e-15);
}

TEST_CASE("conv: trilinear upsampling has PyTorch's align_corners=false values", "[nn][conv]") {
  // torch.nn.functional.interpolate([0, 1], scale_factor=2, mode='linear') = [0, 0.25, 0.75, 1].
  const Tensor x = Tensor::from_vector({0, 1}, {1, 1, 1, 1, 2}, DType::f64);
  const Tensor y = upsample_trilinear3d(x, 2);
  CHECK(y.shape() == Shape{1, 1, 2, 2, 4});
  const auto v = y.to_vector();
  for (int i = 0; i < 4; ++i) {
    CHECK(v[static_cast<std::size_t>(i)] == Approx(std::vector<double>{0, 0.25, 0.75, 1}[static_cast<std::size_t>(i)]));
    CHECK(v[static_cast<std::size_t>(12 + i)] == v[static_cast<std::size_t>(i)]);
  }
}

TEST_CASE("conv: trilinear upsampling reproduces a linear field away from the edges", "[nn][conv]") {
  const I D = 3, H = 4, W = 5;
  auto field = [](double d, double h, double w) { return 1.0 + 2.0 * d - 3.0 * h + 0.5 * w; };
  std::vector<double> f;
  for (I d = 0; d < D; ++d)
    for (I h = 0; h < H; ++h)
      for (I w = 0; w < W; ++w)
        f.push_back(field(static_cast<double>(d), static_cast<double>(h), static_cast<double>(w)));
  const Tensor x = Tensor::from_vector(f, {1, 1, D, H, W}, DType::f64);
  for (I scale : {2, 3, 4}) {
    INFO("scale " << scale);
    const auto y = upsample_trilinear3d(x, scale).to_vector();
    const I edge = scale / 2;  // outputs whose source coordinate is clamped
    auto src = [&](I o) { return (static_cast<double>(o) + 0.5) / static_cast<double>(scale) - 0.5; };
    I checked = 0;
    double worst = 0;
    for (I d = edge; d < D * scale - edge; ++d)
      for (I h = edge; h < H * scale - edge; ++h)
        for (I w = edge; w < W * scale - edge; ++w) {
          const double got = y[static_cast<std::size_t>((d * H * scale + h) * W * scale + w)];
          worst = std::max(worst, std::abs(got - field(src(d), src(h), src(w))));
          ++checked;
        }
    CHECK(checked > 0);
    CHECK(worst < 1e-13);
  }
}

TEST_CASE("conv: f64 gradients of conv2d and conv3d match finite differences", "[nn][conv]") {
  std::uint64_t stream = 500;
  for (Padding mode : kModes)
    for (I stride : {1, 2})
      for (I k : {1, 3}) {
        INFO("mode " << to_string(mode) << ", stride " << stride << ", kernel " << k);
        const I pad = k / 2;
        require_gradcheck([&](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], stride, pad, mode); },
                          {randn64({2, 2, 5, 6}, ++stream), randn64({3, 2, k, k}, ++stream), randn64({3}, ++stream)});
        require_gradcheck([&](const std::vector<Tensor>& in) { return conv3d(in[0], in[1], in[2], stride, pad, mode); },
                          {randn64({1, 2, 4, 5, 3}, ++stream), randn64({2, 2, k, k, k}, ++stream),
                           randn64({2}, ++stream)});
      }
  // Wide periodic padding (wraps more than once around a 2-cell axis).
  require_gradcheck(
      [&](const std::vector<Tensor>& in) { return conv2d(in[0], in[1], in[2], 1, 3, Padding::periodic); },
      {randn64({1, 1, 2, 3}, ++stream), randn64({2, 1, 3, 3}, ++stream), randn64({2}, ++stream)});
}

TEST_CASE("conv: f64 gradients of conv_transpose2d and conv_transpose3d match finite differences", "[nn][conv]") {
  std::uint64_t stream = 600;
  for (Padding mode : kModes)
    for (I stride : {1, 2})
      for (I k : {2, 3}) {
        const I op = stride - 1, pad = k / 2;
        INFO("mode " << to_string(mode) << ", stride " << stride << ", kernel " << k);
        require_gradcheck(
            [&](const std::vector<Tensor>& in) { return conv_transpose2d(in[0], in[1], in[2], stride, pad, op, mode); },
            {randn64({2, 3, 3, 4}, ++stream), randn64({3, 2, k, k}, ++stream), randn64({2}, ++stream)});
        require_gradcheck(
            [&](const std::vector<Tensor>& in) { return conv_transpose3d(in[0], in[1], in[2], stride, pad, op, mode); },
            {randn64({1, 2, 2, 3, 2}, ++stream), randn64({2, 2, k, k, k}, ++stream), randn64({2}, ++stream)});
      }
}

TEST_CASE("conv: f64 gradients of pooling and upsampling match finite differences", "[nn][conv]") {
  using F = std::function<Tensor(const Tensor&)>;
  const std::vector<std::pair<std::string, F>> ops{
      {"avg_pool2d 2", [](const Tensor& x) { return avg_pool2d(x, 2); }},
      {"avg_pool2d 3", [](const Tensor& x) { return avg_pool2d(x, 3); }},
      {"avg_pool3d 2", [](const Tensor& x) { return avg_pool3d(x, 2); }},
      {"upsample_nearest2d 2", [](const Tensor& x) { return upsample_nearest2d(x, 2); }},
      {"upsample_nearest3d 3", [](const Tensor& x) { return upsample_nearest3d(x, 3); }},
      {"upsample_trilinear3d 2", [](const Tensor& x) { return upsample_trilinear3d(x, 2); }},
      {"upsample_trilinear3d 3", [](const Tensor& x) { return upsample_trilinear3d(x, 3); }},
  };
  std::uint64_t stream = 700;
  for (const auto& [name, op] : ops) {
    INFO(name);
    const bool three = name.find("3d") != std::string::npos;
    const Shape shape = three ? Shape{2, 2, 3, 4, 5} : Shape{2, 2, 5, 7};  // odd extents: pooling drops cells
    require_gradcheck([&](const std::vector<Tensor>& in) { return op(in[0]); }, {randn64(shape, ++stream)});
  }
}

TEST_CASE("conv: bad shapes and arguments are reported", "[nn][conv]") {
  const Tensor x = Tensor::zeros({1, 2, 5, 5}), w = Tensor::zeros({3, 2, 3, 3});
  CHECK_THROWS_AS(conv2d(x, Tensor::zeros({3, 4, 3, 3})), anneal::Error);   // channel mismatch
  CHECK_THROWS_AS(conv3d(x, w), anneal::Error);                               // rank
  CHECK_THROWS_AS(conv2d(x, w, Tensor::zeros({2})), anneal::Error);           // bias size
  CHECK_THROWS_AS(conv2d(x, w, {}, 0), anneal::Error);                        // stride
  CHECK_THROWS_AS(conv2d(x, Tensor::zeros({3, 2, 7, 7})), anneal::Error);     // kernel > grid
  CHECK_THROWS_AS(conv2d(x, w.to(DType::f64)), anneal::Error);                // dtype
  CHECK_THROWS_AS(conv_transpose2d(Tensor::zeros({1, 3, 4, 4}), w, {}, 2, 0, 2), anneal::Error);  // output_padding
  CHECK_THROWS_AS(avg_pool2d(x, 6), anneal::Error);
  CHECK_THROWS_AS(upsample_nearest3d(x, 2), anneal::Error);
  CHECK_THROWS_AS(parse_padding("reflect"), anneal::Error);
  CHECK(parse_padding("circular") == Padding::periodic);
  try {
    conv2d(x, Tensor::zeros({3, 4, 3, 3}));
  } catch (const anneal::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("[3, 4, 3, 3]") && Catch::Contains("[1, 2, 5, 5]"));
  }
}

TEST_CASE("conv: Conv2d and Conv3d layers: shapes, parameters, Kaiming-uniform init", "[nn][conv]") {
  anneal::RandomStream rng(42, 0);
  const Conv2d c2(3, 8, 3, rng);
  CHECK(c2.weight().shape() == Shape{8, 3, 3, 3});
  CHECK(c2.bias().shape() == Shape{8});
  CHECK(c2.parameter_count() == 8 * 27 + 8);
  CHECK(c2.named_parameters()[0].first == "weight");
  const double bound = std::sqrt(6.0 / 27.0);
  double biggest = 0;
  for (double v : c2.weight().to_vector()) biggest = std::max(biggest, std::abs(v));
  CHECK(biggest <= bound);
  CHECK(biggest > 0.8 * bound);
  CHECK(c2.forward(Tensor::zeros({2, 3, 9, 7})).shape() == Shape{2, 8, 9, 7});  // "same" padding by default

  const Conv3d c3(2, 4, 3, rng, DType::f64,
                  {.stride = 2, .padding = 1, .padding_mode = Padding::periodic, .bias = false});
  CHECK_FALSE(c3.bias().defined());
  CHECK(c3.parameter_count() == 4 * 2 * 27);
  CHECK(c3.forward(Tensor::zeros({1, 2, 8, 8, 6}, DType::f64)).shape() == Shape{1, 4, 4, 4, 3});
}

TEST_CASE("conv: a small 3-D U-Net assembles from the blocks and every parameter gets a gradient",
          "[nn][conv]") {
  anneal::RandomStream rng(7, 0);
  const DType dt = DType::f64;
  auto enc = std::make_shared<ResidualBlock3d>(1, 4, rng, dt);
  auto mid = std::make_shared<ResidualBlock3d>(4, 4, rng, dt, Activation::tanh, Padding::periodic);
  auto up = std::make_shared<Up3d>(4, 4, rng, dt, Upsampling::trilinear);
  auto dec = std::make_shared<ResidualBlock3d>(8, 4, rng, dt);
  auto head = std::make_shared<Conv3d>(4, 1, 1, rng, dt);
  CHECK(enc->has_projection());
  CHECK_FALSE(mid->has_projection());

  const Tensor x = randn64({2, 1, 8, 8, 4}, 1);
  const Tensor e = enc->forward(x);                     // [2, 4, 8, 8, 4]
  const Tensor m = mid->forward(downsample3d(e));       // [2, 4, 4, 4, 2]
  const Tensor u = up->forward(m);                      // [2, 4, 8, 8, 4]
  const Tensor d = dec->forward(concat({u, e}, 1));     // [2, 4, 8, 8, 4]
  const Tensor y = head->forward(d);
  CHECK(m.shape() == Shape{2, 4, 4, 4, 2});
  CHECK(y.shape() == x.shape());

  std::vector<Tensor> params;
  for (const Module* mod : std::vector<const Module*>{enc.get(), mid.get(), up.get(), dec.get(), head.get()})
    for (const auto& p : mod->parameters()) params.push_back(p);
  CHECK(params.size() == 5 + 4 + 2 + 5 + 2);
  const auto grads = grad(mean(square(y)), params);
  for (std::size_t i = 0; i < params.size(); ++i) {
    INFO("parameter " << i);
    CHECK(grads[i].shape() == params[i].shape());
    CHECK(norm(grads[i]).item() > 0);
  }
}
