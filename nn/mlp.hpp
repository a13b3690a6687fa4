#pragma once
// Multi-layer perceptron: Linear layers with an activation between them (none after the last).
#include <memory>
#include <vector>

#include "nn/activation.hpp"
#include "nn/jet.hpp"
#include "nn/linear.hpp"

namespace anneal::nn {

class Mlp : public Module {
 public:
  // sizes = {in, hidden..., out}; e.g. {2, 50, 50, 50, 50, 1} is the 4x50 PINN network.
  Mlp(const std::vector<std::int64_t>& sizes, Activation activation, RandomStream& rng, DType dtype = DType::f32,
      Init init = Init::xavier_uniform);
  Tensor forward(const Tensor& x) const;
  // Value, first derivatives along input columns `dims` and second derivatives along `curved`
  // (default: all of dims) in one pass (nn/jet.hpp); x: [N, in].
  Jet forward_jet(const Tensor& x, const std::vector<std::int64_t>& dims,
                  const std::vector<std::int64_t>& curved = {}) const;
  // The same from a jet already seeded, e.g. through input features (cos x, sin x) built by hand.
  Jet forward_jet(Jet in) const;

  Activation activation() const { return activation_; }
  const std::vector<std::shared_ptr<Linear>>& layers() const { return layers_; }

 private:
  std::vector<std::shared_ptr<Linear>> layers_;
  Activation activation_;
};

}  // namespace anneal::nn
