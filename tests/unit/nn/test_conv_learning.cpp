// Learning with convolution layers: a Conv2d / Conv3d trained by plain gradient descent recovers a
// known linear stencil (the 5- and 7-point Laplacians) from random input/output pairs. The targets
// come from loops written here, so a layer that trains to the stencil has the loops' semantics.
// Also a hidden timing of conv3d: ./unit_nn "[.bench]" (its name does not start with "conv:", so
// "conv:*" leaves it out).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <vector>

#include "core/rng.hpp"
#include "nn/conv.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using I = std::int64_t;

namespace {

// The 5-point Laplacian of each [H, W] plane, periodic.
Tensor laplacian2d(const Tensor& x) {
  const I N = x.size(0), H = x.size(2), W = x.size(3);
  const auto v = x.to_vector();
  std::vector<double> out(v.size());
  auto at = [&](I n, I i, I j) { return v[static_cast<std::size_t>((n * H + (i + H) % H) * W + (j + W) % W)]; };
  for (I n = 0; n < N; ++n)
    for (I i = 0; i < H; ++i)
      for (I j = 0; j < W; ++j)
        out[static_cast<std::size_t>((n * H + i) * W + j)] =
            at(n, i - 1, j) + at(n, i + 1, j) + at(n, i, j - 1) + at(n, i, j + 1) - 4 * at(n, i, j);
  return Tensor::from_vector(out, x.shape(), x.dtype());
}

// The 7-point Laplacian of each [D, H, W] grid with zeros outside.
Tensor laplacian3d(const Tensor& x) {
  const I N = x.size(0), D = x.size(2), H = x.size(3), W = x.size(4);
  const auto v = x.to_vector();
  std::vector<double> out(v.size());
  auto at = [&](I n, I d, I i, I j) {
    if (d < 0 || d >= D || i < 0 || i >= H || j < 0 || j >= W) return 0.0;
    return v[static_cast<std::size_t>(((n * D + d) * H + i) * W + j)];
  };
  for (I n = 0; n < N; ++n)
    for (I d = 0; d < D; ++d)
      for (I i = 0; i < H; ++i)
        for (I j = 0; j < W; ++j)
          out[static_cast<std::size_t>(((n * D + d) * H + i) * W + j)] =
              at(n, d - 1, i, j) + at(n, d + 1, i, j) + at(n, d, i - 1, j) + at(n, d, i + 1, j) + at(n, d, i, j - 1) +
              at(n, d, i, j + 1) - 6 * at(n, d, i, j);
  return Tensor::from_vector(out, x.shape(), x.dtype());
}

// Gradient descent on mean((layer(x) - y)²); returns the step count used.
int descend(const ConvNd& layer, const Tensor& x, const Tensor& y, double rate, int max_steps,
            const std::vector<double>& target, double tolerance) {
  const auto params = layer.parameters();
  for (int step = 0; step < max_steps; ++step) {
    const auto w = layer.weight().to_vector();
    double err = 0;
    for (std::size_t i = 0; i < w.size(); ++i) err = std::max(err, std::abs(w[i] - target[i]));
    if (layer.bias().defined()) err = std::max(err, std::abs(layer.bias().to_vector()[0]));
    if (err < tolerance) return step;
    const Tensor loss = mean(square(layer.forward(x) - y));
    const auto grads = grad(loss, params);
    NoGrad no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) {
      Tensor p = params[i];
      p.copy_(p.detach() - grads[i] * rate);
    }
  }
  return max_steps;
}

}  // namespace

TEST_CASE("conv: a Conv2d learns the 5-point Laplacian by gradient descent", "[nn][conv]") {
  for (bool bias : {false, true}) {
    INFO("bias " << bias);
    anneal::RandomStream rng(11, bias ? 1 : 0);
    const Conv2d layer(1, 1, 3, rng, DType::f32, {.padding_mode = Padding::periodic, .bias = bias});
    const Tensor x = Tensor::randn({8, 1, 16, 16}, rng, DType::f32);
    const Tensor y = laplacian2d(x);
    const std::vector<double> stencil{0, 1, 0, 1, -4, 1, 0, 1, 0};
    // The loss is a quadratic with Hessian ≈ 2·I (unit-variance, uncorrelated inputs): rate 0.4
    // contracts the error by ≈ 0.2 per step.
    const int steps = descend(layer, x, y, 0.4, 200, stencil, 1e-5);
    CHECK(steps < 200);
    const auto w = layer.weight().to_vector();
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(stencil[i]).margin(1e-4));
    if (bias) CHECK(std::abs(layer.bias().item()) < 1e-4);
  }
}

TEST_CASE("conv: a Conv3d learns the 7-point Laplacian with zero padding", "[nn][conv]") {
  anneal::RandomStream rng(12, 0);
  const Conv3d layer(1, 1, 3, rng, DType::f64);
  const Tensor x = Tensor::randn({4, 1, 8, 8, 8}, rng, DType::f64);
  const Tensor y = laplacian3d(x);
  std::vector<double> stencil(27, 0.0);
  stencil[13] = -6;
  for (int off : {4, 22, 10, 16, 12, 14}) stencil[static_cast<std::size_t>(off)] = 1;
  // Zero padding makes the edge windows partial, so the Hessian is ≈ 2·I less a little: same rate.
  const int steps = descend(layer, x, y, 0.4, 200, stencil, 1e-6);
  CHECK(steps < 200);
  const auto w = layer.weight().to_vector();
  for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(stencil[i]).margin(1e-4));
  CHECK(std::abs(layer.bias().item()) < 1e-4);
}

TEST_CASE("bench conv3d: timing of conv3d forward and backward, 8 layers x 16 channels on 64^3, f32",
          "[.bench][conv]") {
  anneal::RandomStream rng(3, 0);
  const I grid = 64, channels = 16;
  std::vector<std::shared_ptr<Conv3d>> layers;
  for (int l = 0; l < 8; ++l) layers.push_back(std::make_shared<Conv3d>(channels, channels, 3, rng));
  const Tensor x = Tensor::randn({1, channels, grid, grid, grid}, rng);
  std::vector<Tensor> params;
  for (const auto& l : layers)
    for (const auto& p : l->parameters()) params.push_back(p);
  using Clock = std::chrono::steady_clock;
  std::vector<double> fwd, bwd, fwd_nograd;
  const std::clock_t cpu0 = std::clock();
  for (int rep = 0; rep < 3; ++rep) {
    auto t0 = Clock::now();
    {
      NoGrad no_grad;
      Tensor h = x;
      for (const auto& l : layers) h = l->forward(h);
    }
    auto t1 = Clock::now();
    Tensor h = x;
    for (const auto& l : layers) h = l->forward(h);
    const Tensor loss = sum(h);
    auto t2 = Clock::now();
    const auto grads = grad(loss, params);
    auto t3 = Clock::now();
    fwd_nograd.push_back(std::chrono::duration<double>(t1 - t0).count());
    fwd.push_back(std::chrono::duration<double>(t2 - t1).count());
    bwd.push_back(std::chrono::duration<double>(t3 - t2).count());
    CHECK(grads.size() == params.size());
  }
  // Process CPU time per repetition (all threads): meaningful also on a machine shared with other jobs.
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC / 3;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double flops = 8.0 * 2.0 * static_cast<double>(grid * grid * grid) * channels * channels * 27;
  WARN("conv3d 8 x [16 -> 16, 3^3] on 64^3, f32: forward (no grad) " << median(fwd_nograd) << " s, forward "
       << median(fwd) << " s, backward " << median(bwd) << " s; forward GFLOP/s "
       << flops / median(fwd_nograd) / 1e9 << ", backward GFLOP/s " << 2 * flops / median(bwd) / 1e9
       << "; CPU time per repetition (2 forwards + backward, all threads) " << cpu << " s");
}
