#pragma once
// Activation functions by name, with the first and second derivatives that forward jets need
// (written as differentiable ops, so parameter gradients flow through them).
#include <string>
#include <string_view>

#include "nn/tensor.hpp"

namespace anneal::nn {

enum class Activation { tanh, sigmoid, relu, silu, gelu, softplus, sin, identity };

// "tanh", "sigmoid", "relu", "silu", "gelu", "softplus", "sin", "identity"
Activation parse_activation(std::string_view name);
std::string to_string(Activation activation);

Tensor activate(Activation activation, const Tensor& z);

// σ(z), σ'(z), σ''(z) together (they share work, e.g. tanh's t = tanh z).
struct ActivationDerivatives {
  Tensor value, first, second;
};
ActivationDerivatives activate_with_derivatives(Activation activation, const Tensor& z);

}  // namespace anneal::nn
