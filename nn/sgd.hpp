#pragma once
// Stochastic gradient descent with heavy-ball or Nesterov momentum and L2 weight decay, in the
// convention of PyTorch's SGD (dampening 0) so that hyper-parameters carry over:
//   g ← ∇ + λ θ;   b ← μ b + g;   θ ← θ − η (g + μ b) if Nesterov, else θ − η b.
#include "nn/optimizer.hpp"

namespace anneal::nn {

struct SgdOptions {
  double learning_rate = 1e-2;
  double momentum = 0.0;      // μ; 0 is plain gradient descent
  bool nesterov = false;      // needs momentum > 0
  double weight_decay = 0.0;  // λ, added to the gradient (coupled L2)
};

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Tensor> parameters, const SgdOptions& options = {});
  using Optimizer::step;
  void step() override;
  const SgdOptions& options() const { return options_; }

  // {"step", "learning_rate"} and, with momentum, {"momentum/i"}: the buffers b.
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 private:
  SgdOptions options_;
  std::vector<Tensor> momentum_;  // empty without momentum
};

}  // namespace anneal::nn
