// Forward jets against finite differences: input derivatives of random networks, and parameter
// gradients of a loss made of those derivatives (the PINN case).
#include <catch2/catch.hpp>
#include <cmath>

#include "core/rng.hpp"
#include "nn/mlp.hpp"
#include "nn/ops.hpp"

using namespace anneal;
using namespace anneal::nn;

namespace {

// u(x) of one point, as a double, with column `dim` shifted by `shift`.
double u_at(const Mlp& net, const Tensor& x, std::int64_t point, std::int64_t dim, double shift) {
  NoGrad no_tape;
  std::vector<double> row;
  for (std::int64_t c = 0; c < x.size(1); ++c)
    row.push_back(x.to_vector()[static_cast<std::size_t>(point * x.size(1) + c)]);
  row[static_cast<std::size_t>(dim)] += shift;
  return net.forward(Tensor::from_vector(row, {1, x.size(1)}, DType::f64)).item();
}

// 5-point central differences: O(h^4) truncation.
double first_fd(const Mlp& net, const Tensor& x, std::int64_t p, std::int64_t d, double h) {
  return (-u_at(net, x, p, d, 2 * h) + 8 * u_at(net, x, p, d, h) - 8 * u_at(net, x, p, d, -h) +
          u_at(net, x, p, d, -2 * h)) /
         (12 * h);
}
double second_fd(const Mlp& net, const Tensor& x, std::int64_t p, std::int64_t d, double h) {
  return (-u_at(net, x, p, d, 2 * h) + 16 * u_at(net, x, p, d, h) - 30 * u_at(net, x, p, d, 0) +
          16 * u_at(net, x, p, d, -h) - u_at(net, x, p, d, -2 * h)) /
         (12 * h * h);
}

}  // namespace

TEST_CASE("jets give u, du/dx and d2u/dx2 of random MLPs as finite differences do", "[nn][jet]") {
  // tanh, sin and sigmoid take the fused kernel; the others the generic composition.
  for (const char* name : {"tanh", "sigmoid", "silu", "gelu", "softplus", "sin"}) {
    INFO(name);
    RandomStream rng(7, 1);
    const Mlp net({3, 16, 16, 1}, parse_activation(name), rng, DType::f64);
    const Tensor x = Tensor::uniform({6, 3}, -1.0, 1.0, rng, DType::f64);
    const Jet jet = net.forward_jet(x, {0, 2});
    REQUIRE(jet.first(0).shape() == Shape{6, 1});
    const auto value = jet.value().to_vector(), plain = net.forward(x).to_vector();
    const auto d1 = concat({jet.first(0), jet.first(1)}, 0).to_vector();
    const auto d2 = concat({jet.second(0), jet.second(1)}, 0).to_vector();
    for (std::size_t i = 0; i < plain.size(); ++i) REQUIRE(value[i] == Approx(plain[i]).epsilon(1e-14));
    for (std::int64_t k = 0; k < 2; ++k) {
      const std::int64_t dim = k == 0 ? 0 : 2;
      for (std::int64_t p = 0; p < 6; ++p) {
        const auto at = static_cast<std::size_t>(k * 6 + p);
        REQUIRE(d1[at] == Approx(first_fd(net, x, p, dim, 1e-3)).epsilon(1e-8).margin(1e-10));
        REQUIRE(d2[at] == Approx(second_fd(net, x, p, dim, 1e-2)).epsilon(1e-6).margin(1e-8));
      }
    }
  }
}

TEST_CASE("parameter gradients of a loss built from jets match finite differences", "[nn][jet]") {
  for (Activation activation : {Activation::tanh, Activation::sin, Activation::sigmoid, Activation::silu}) {
    INFO(to_string(activation));
    RandomStream rng(11, 2);
    Mlp net({2, 8, 8, 1}, activation, rng, DType::f64);
    const Tensor x = Tensor::uniform({10, 2}, -1.0, 1.0, rng, DType::f64);
    // A convection-diffusion residual u_t + 0.7 u_x − 0.05 u_xx, squared and averaged.
    auto loss = [&] {
      const Jet jet = net.forward_jet(x, {0, 1}, {0});  // columns x, t; u_xx but no u_tt
      return mean(square(jet.first(1) + 0.7 * jet.first(0) - 0.05 * jet.second(0)));
    };
    const auto params = net.parameters();
    const auto grads = grad(loss(), params);
    for (std::size_t p = 0; p < params.size(); ++p) {
      double* w = const_cast<Tensor&>(params[p]).data<double>();
      const auto analytic = grads[p].to_vector();
      for (std::int64_t i = 0; i < params[p].numel(); i += 3) {  // every third entry keeps it quick
        const double saved = w[i], h = 1e-4;
        auto at = [&](double s) {
          w[i] = saved + s;
          NoGrad no_tape;
          return loss().item();
        };
        const double fd = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
        w[i] = saved;
        INFO("parameter " << p << " entry " << i);
        REQUIRE(analytic[static_cast<std::size_t>(i)] == Approx(fd).epsilon(1e-6).margin(1e-9));
      }
    }
  }
}

TEST_CASE("relu jets have the derivative of the active pieces and no curvature", "[nn][jet]") {
  RandomStream rng(3, 3);
  const Mlp net({1, 8, 1}, Activation::relu, rng, DType::f64);
  const Tensor x = Tensor::from_vector({-0.73, 0.21, 0.94}, {3, 1}, DType::f64);
  const Jet jet = net.forward_jet(x, {0});
  const auto d1 = jet.first(0).to_vector(), d2 = jet.second(0).to_vector();
  for (std::int64_t p = 0; p < 3; ++p) {
    REQUIRE(d1[static_cast<std::size_t>(p)] == Approx(first_fd(net, x, p, 0, 1e-6)).margin(1e-8));
    REQUIRE(d2[static_cast<std::size_t>(p)] == 0.0);
  }
}

TEST_CASE("jets propagate second derivatives only where asked", "[nn][jet]") {
  RandomStream rng(9, 4);
  const Mlp net({2, 8, 8, 1}, Activation::tanh, rng, DType::f64);
  const Tensor x = Tensor::uniform({4, 2}, -1.0, 1.0, rng, DType::f64);
  const Jet all = net.forward_jet(x, {0, 1}), some = net.forward_jet(x, {0, 1}, {1});
  REQUIRE(some.packed().size(0) == 4);  // value, two first derivatives, one second
  REQUIRE(some.first(0).to_vector() == all.first(0).to_vector());
  REQUIRE(some.second(1).to_vector() == all.second(1).to_vector());
  REQUIRE_THROWS_WITH(some.second(0), Catch::Matchers::Contains("no second derivative"));
  REQUIRE_THROWS_WITH(net.forward_jet(x, {0}, {1}), Catch::Matchers::Contains("not among the directions"));
}

TEST_CASE("jets refuse directions that are not input columns", "[nn][jet]") {
  RandomStream rng(1, 1);
  const Mlp net({2, 4, 1}, Activation::tanh, rng, DType::f64);
  REQUIRE_THROWS_WITH(net.forward_jet(Tensor::zeros({3, 2}, DType::f64), {2}),
                      Catch::Matchers::Contains("direction 2"));
}
