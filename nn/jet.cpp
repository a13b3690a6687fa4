#include "nn/jet.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

Jet seed_jet(const Tensor& x, const std::vector<std::int64_t>& dims) {
  ANNEAL_CHECK(x.dim() == 2, "jet: inputs must be [N, d], got {}", to_string(x.shape()));
  ANNEAL_CHECK(!dims.empty(), "jet: no input directions chosen");
  const std::int64_t n = x.size(0), d = x.size(1), k = static_cast<std::int64_t>(dims.size());
  std::vector<double> one_hot(static_cast<std::size_t>(k * d), 0.0);
  for (std::int64_t i = 0; i < k; ++i) {
    const std::int64_t dim = dims[static_cast<std::size_t>(i)];
    ANNEAL_CHECK(dim >= 0 && dim < d, "jet: direction {} is not one of the {} input columns", dim, d);
    one_hot[static_cast<std::size_t>(i * d + dim)] = 1.0;
  }
  // ∂x/∂x_i is the same unit row for every point: broadcast rather than stored N times.
  const Tensor first = broadcast_to(Tensor::from_vector(one_hot, {k, 1, d}, x.dtype()), {k, n, d});
  return {x, first, Tensor::zeros({k, n, d}, x.dtype())};
}

Jet linear_jet(const Jet& in, const Tensor& weight, const Tensor& bias) {
  Jet out;
  out.value = matmul(in.value, weight);
  if (bias.defined()) out.value = add(out.value, bias);
  out.first = matmul(in.first, weight);  // [k, N, in] x [in, out]: one GEMM
  out.second = matmul(in.second, weight);
  return out;
}

Jet activation_jet(const Jet& in, Activation activation) {
  const ActivationDerivatives s = activate_with_derivatives(activation, in.value);
  Jet out;
  out.value = s.value;
  out.first = mul(s.first, in.first);  // σ' broadcasts over the k directions
  out.second = add(mul(s.second, square(in.first)), mul(s.first, in.second));
  return out;
}

}  // namespace anneal::nn
