#include "nn/mlp.hpp"

#include "core/error.hpp"

namespace anneal::nn {

Mlp::Mlp(const std::vector<std::int64_t>& sizes, Activation activation, RandomStream& rng, DType dtype, Init init)
    : activation_(activation) {
  ANNEAL_CHECK(sizes.size() >= 2, "an MLP needs at least input and output sizes");
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
    layers_.push_back(register_module(std::to_string(i), std::make_shared<Linear>(sizes[i], sizes[i + 1], rng, dtype, init)));
}

Tensor Mlp::forward(const Tensor& x) const {
  Tensor h = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    h = layers_[i]->forward(h);
    if (i + 1 < layers_.size()) h = activate(activation_, h);
  }
  return h;
}

Jet Mlp::forward_jet(const Tensor& x, const std::vector<std::int64_t>& dims,
                     const std::vector<std::int64_t>& curved) const {
  return forward_jet(seed_jet(x, dims, curved));
}

Jet Mlp::forward_jet(Jet jet) const {
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    jet = linear_jet(jet, layers_[i]->weight(), layers_[i]->bias());
    if (i + 1 < layers_.size()) jet = activation_jet(jet, activation_);
  }
  return jet;
}

}  // namespace anneal::nn
