// Fixed embeddings of nn/embedding.cpp: the sinusoidal time embedding against hand-computed
// values, Fourier features against sin/cos of 2π x·B for the B the module holds, and gradients
// with respect to the input against finite differences.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/embedding.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;

TEST_CASE("attention: sinusoidal_embedding matches hand-computed values", "[nn][attention][embedding]") {
  // dim 4: frequencies 1 and 10000^(-1/2) = 0.01.
  const Tensor e4 = sinusoidal_embedding(Tensor::from_vector({0.0, 1.0, 7.0}, {3}, DType::f64), 4);
  REQUIRE(e4.shape() == Shape{3, 4});
  CHECK(max_rel_diff(e4.to_vector(),
                     {0, 0, 1, 1,  // t = 0: sin 0, cos 0
                      0.8414709848078965, 0.00999983333416666, 0.5403023058681398, 0.9999500004166653,
                      0.6569865987187891, 0.06994284733753273, 0.7539022543433046, 0.9975510002532796},
                     1.0) <= 1e-15);
  // dim 6 at t = 2.5: frequencies 1, 10000^(-1/3), 10000^(-2/3).
  const Tensor e6 = sinusoidal_embedding(Tensor::from_vector({2.5}, {1}, DType::f64), 6);
  CHECK(max_rel_diff(e6.to_vector(),
                     {0.5984721441039565, 0.11577947944579686, 0.005386060683450813, -0.8011436155469337,
                      0.9932749428729492, 0.9999854950699606},
                     1.0) <= 1e-14);
  // f32 and the module agree.
  const SinusoidalEmbedding module(6);
  CHECK(max_rel_diff(module.forward(Tensor::from_vector({2.5}, {1})).to_vector(), e6.to_vector(), 1.0) <= 1e-6);
  CHECK(module.parameter_count() == 0);
  CHECK_THROWS_AS(sinusoidal_embedding(Tensor::ones({2}), 5), anneal::Error);
  CHECK_THROWS_AS(sinusoidal_embedding(Tensor::ones({2, 1}), 4), anneal::Error);
}

TEST_CASE("attention: sinusoidal_embedding gradient in t matches finite differences", "[nn][attention][embedding]") {
  require_gradcheck([](const std::vector<Tensor>& in) { return sinusoidal_embedding(in[0], 8); },
                    {anneal::test::uniform64({5}, 0, 3, 1)});
}

TEST_CASE("attention: FourierFeatures are sin and cos of 2 pi x B for the B the module holds",
          "[nn][attention][embedding]") {
  anneal::RandomStream rng(21, 0);
  const std::int64_t d_in = 3, m = 5;
  const double sigma = 2.5;
  const FourierFeatures ff(d_in, m, sigma, rng, DType::f64);
  CHECK(ff.parameter_count() == 0);  // B is fixed
  REQUIRE(ff.b().shape() == Shape{d_in, m});
  CHECK(ff.out_features() == 2 * m);
  const Tensor x = randn64({4, d_in}, 22);
  const Tensor y = ff.forward(x);
  REQUIRE(y.shape() == Shape{4, 2 * m});
  const auto xv = x.to_vector(), bv = ff.b().to_vector(), yv = y.to_vector();
  std::vector<double> ref(yv.size());
  for (std::int64_t n = 0; n < 4; ++n)
    for (std::int64_t j = 0; j < m; ++j) {
      double dot = 0;
      for (std::int64_t i = 0; i < d_in; ++i)
        dot += xv[static_cast<std::size_t>(n * d_in + i)] * bv[static_cast<std::size_t>(i * m + j)];
      ref[static_cast<std::size_t>(n * 2 * m + j)] = std::sin(2 * std::numbers::pi * dot);
      ref[static_cast<std::size_t>(n * 2 * m + m + j)] = std::cos(2 * std::numbers::pi * dot);
    }
  CHECK(max_rel_diff(yv, ref, 1.0) <= 1e-13);
  // A vector input is one row.
  CHECK(max_rel_diff(ff.forward(slice(x, 0, 2, 3).reshape({d_in})).to_vector(),
                     std::vector<double>(ref.begin() + 2 * 2 * m, ref.begin() + 3 * 2 * m), 1.0) <= 1e-13);
  // B is N(0, σ²) and a pure function of the stream.
  anneal::RandomStream same(21, 0);
  CHECK(FourierFeatures(d_in, m, sigma, same, DType::f64).b().to_vector() == bv);
  anneal::RandomStream big_rng(22, 0);
  const auto big = FourierFeatures(2, 5000, sigma, big_rng, DType::f64).b().to_vector();
  double mean = 0, var = 0;
  for (double b : big) mean += b / static_cast<double>(big.size());
  for (double b : big) var += (b - mean) * (b - mean) / static_cast<double>(big.size());
  CHECK(std::abs(mean) < 5 * sigma / 100);               // 5 standard errors for 10⁴ draws
  CHECK(std::sqrt(var) == Approx(sigma).epsilon(0.03));  // standard error ≈ 0.7 %
  // A given B.
  const FourierFeatures given(Tensor::from_vector({0.5, -1.0}, {1, 2}, DType::f64));
  const auto g = given.forward(Tensor::from_vector({0.25}, {1, 1}, DType::f64)).to_vector();
  CHECK(max_rel_diff(g,
                     {std::sin(std::numbers::pi / 4), std::sin(-std::numbers::pi / 2), std::cos(std::numbers::pi / 4),
                      std::cos(-std::numbers::pi / 2)},
                     1.0) <= 1e-15);
  CHECK_THROWS_AS(ff.forward(randn64({4, 2}, 23)), anneal::Error);
}

TEST_CASE("attention: FourierFeatures gradient in x matches finite differences", "[nn][attention][embedding]") {
  anneal::RandomStream rng(31, 0);
  const FourierFeatures ff(2, 6, 1.0, rng, DType::f64);
  require_gradcheck([&ff](const std::vector<Tensor>& in) { return ff.forward(in[0]); }, {randn64({5, 2}, 32)});
}
