#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "nn/ops.hpp"

TEST_CASE("vectorised double tanh agrees with libm to a few ulps, tiny, huge and signed zeros included", "[nn]") {
  std::vector<double> x;
  for (int e = -300; e <= 2; ++e) x.push_back(std::ldexp(1.3, e)), x.push_back(-std::ldexp(1.7, e));
  for (double v = -25; v <= 25; v += 0.001) x.push_back(v);
  for (double v = 0.62; v <= 0.63; v += 1e-5) x.push_back(v), x.push_back(-v);  // both sides of the switch
  x.insert(x.end(), {0.0, -0.0, 1e300, -1e300, std::numeric_limits<double>::denorm_min()});
  // Through the op (nn/fast_tanh.hpp does the work for f64).
  const auto n = static_cast<std::int64_t>(x.size());
  const std::vector<double> y =
      anneal::nn::tanh(anneal::nn::Tensor::from_vector(x, {n}, anneal::nn::DType::f64)).to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double exact = std::tanh(x[i]);
    REQUIRE(std::signbit(y[i]) == std::signbit(exact));
    if (exact != 0) worst = std::max(worst, std::abs(y[i] - exact) / std::abs(exact));
  }
  CHECK(worst < 1e-15);
}
