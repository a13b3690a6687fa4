// The backend learns: an MLP fits sin on [0, 2π].
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "nn/adam.hpp"
#include "nn/mlp.hpp"
#include "nn/ops.hpp"

using namespace anneal;
using namespace anneal::nn;

TEST_CASE("learning: an MLP fits sin on 0 to 2 pi to a mean squared error below 1e-4", "[nn][learning]") {
  RandomStream rng(42, 0);
  Mlp net({1, 32, 32, 1}, Activation::tanh, rng, DType::f64);
  const std::int64_t n = 128;
  std::vector<double> xs(n), ys(n);
  for (std::int64_t i = 0; i < n; ++i) {
    xs[static_cast<std::size_t>(i)] = 2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n - 1);
    ys[static_cast<std::size_t>(i)] = std::sin(xs[static_cast<std::size_t>(i)]);
  }
  // Inputs scaled to [-1, 1], as one would.
  const Tensor x = add(mul(Tensor::from_vector(xs, {n, 1}, DType::f64), 1 / std::numbers::pi), -1.0);
  const Tensor y = Tensor::from_vector(ys, {n, 1}, DType::f64);
  Adam adam(net.parameters(), AdamOptions{.learning_rate = 1e-2});
  double loss = 1;
  for (int step = 0; step < 3000 && loss > 1e-5; ++step) {
    const Tensor l = mean(square(net.forward(x) - y));
    adam.zero_grad();
    l.backward();
    adam.step();
    loss = l.item();
  }
  // Checked on points between the training points.
  std::vector<double> xt, yt;
  for (int i = 0; i < 50; ++i) {
    xt.push_back(2 * std::numbers::pi * (i + 0.5) / 50);
    yt.push_back(std::sin(xt.back()));
  }
  NoGrad no_tape;
  const Tensor pred = net.forward(add(mul(Tensor::from_vector(xt, {50, 1}, DType::f64), 1 / std::numbers::pi), -1.0));
  const double mse = mean(square(pred - Tensor::from_vector(yt, {50, 1}, DType::f64))).item();
  INFO("training loss " << loss << ", test mse " << mse);
  REQUIRE(mse < 1e-4);
}
