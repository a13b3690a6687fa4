#include "nn/activation.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

Activation parse_activation(std::string_view name) {
  if (name == "tanh") return Activation::tanh;
  if (name == "sigmoid") return Activation::sigmoid;
  if (name == "relu") return Activation::relu;
  if (name == "silu") return Activation::silu;
  if (name == "gelu") return Activation::gelu;
  if (name == "softplus") return Activation::softplus;
  if (name == "sin") return Activation::sin;
  if (name == "identity") return Activation::identity;
  ANNEAL_THROW("unknown activation '{}' (expected tanh, sigmoid, relu, silu, gelu, softplus, sin or identity)", name);
}

std::string to_string(Activation activation) {
  switch (activation) {
    case Activation::tanh: return "tanh";
    case Activation::sigmoid: return "sigmoid";
    case Activation::relu: return "relu";
    case Activation::silu: return "silu";
    case Activation::gelu: return "gelu";
    case Activation::softplus: return "softplus";
    case Activation::sin: return "sin";
    case Activation::identity: return "identity";
  }
  return "?";
}

Tensor activate(Activation activation, const Tensor& z) {
  switch (activation) {
    case Activation::tanh: return tanh(z);
    case Activation::sigmoid: return sigmoid(z);
    case Activation::relu: return relu(z);
    case Activation::silu: return silu(z);
    case Activation::gelu: return gelu(z);
    case Activation::softplus: return softplus(z);
    case Activation::sin: return sin(z);
    case Activation::identity: return z;
  }
  return z;
}

ActivationDerivatives activate_with_derivatives(Activation activation, const Tensor& z) {
  const Tensor one = Tensor::scalar(1.0, z.dtype());
  switch (activation) {
    case Activation::tanh: {
      const Tensor t = tanh(z);
      const Tensor d1 = one - t * t;  // 1 − t²
      return {t, d1, -2.0 * t * d1};  // −2 t (1 − t²)
    }
    case Activation::sigmoid:
    case Activation::softplus: {
      const Tensor s = sigmoid(z);
      const Tensor ds = s * (one - s);
      if (activation == Activation::softplus) return {softplus(z), s, ds};
      return {s, ds, ds * (one - 2.0 * s)};
    }
    case Activation::relu:
      // relu'' is 0 away from the kink; the kink itself has measure zero.
      return {relu(z), step(z), Tensor::zeros(z.shape(), z.dtype())};
    case Activation::silu: {
      const Tensor s = sigmoid(z);
      const Tensor one_minus = one - s;
      const Tensor d1 = s * (one + z * one_minus);                       // s (1 + z (1 − s))
      const Tensor d2 = s * one_minus * add(z * (one - 2.0 * s), 2.0);  // s (1 − s) (2 + z (1 − 2s))
      return {z * s, d1, d2};
    }
    case Activation::gelu: {
      // gelu = z Φ(z): gelu' = Φ + z φ, gelu'' = φ (2 − z²), φ the standard normal density.
      const Tensor phi = mul(exp(mul(square(z), -0.5)), 1.0 / std::sqrt(2.0 * std::numbers::pi));
      return {gelu(z), normal_cdf(z) + z * phi, phi * (2.0 - square(z))};
    }
    case Activation::sin: return {sin(z), cos(z), -sin(z)};
    case Activation::identity:
      return {z, Tensor::ones(z.shape(), z.dtype()), Tensor::zeros(z.shape(), z.dtype())};
  }
  return {};
}

}  // namespace anneal::nn
