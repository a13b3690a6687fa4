#pragma once
// Adam (Kingma & Ba 2015) with bias correction, and AdamW (Loshchilov & Hutter 2019), whose weight
// decay is decoupled from the adaptive step: it shrinks θ by (1 − η λ) each step instead of entering
// the moments as an L2 gradient would (which Adam's scaling then undoes for large-gradient weights).
//   m ← β1 m + (1 − β1) g;   v ← β2 v + (1 − β2) g²;   m̂ = m / (1 − β1ᵗ);   v̂ = v / (1 − β2ᵗ)
//   θ ← θ − η m̂ / (√v̂ + ε)
// ε sits outside the bias-corrected root, as in the paper and PyTorch.
#include "nn/optimizer.hpp"

namespace anneal::nn {

struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam: coupled L2 (g ← g + λ θ); AdamW: decoupled
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> parameters, const AdamOptions& options = {});
  using Optimizer::step;
  void step() override;
  const AdamOptions& options() const { return options_; }

  // {"step", "learning_rate"}, then per parameter i: "t/i" (its own update count: a parameter that
  // sat out steps gets its own bias correction), "m/i" and "v/i" (the raw moments).
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 protected:
  // The family shares moments, bias correction, state and one kernel; they differ in how weight
  // decay enters and in diffGrad's friction coefficient.
  enum class Variant { adam, adamw, diffgrad };
  Adam(std::vector<Tensor> parameters, const AdamOptions& options, Variant variant);

 private:
  template <bool kFriction>
  void update(std::size_t i, const Tensor& gradient, double step_size, double root_c2);
  const char* name() const;

  AdamOptions options_;
  Variant variant_;
  std::vector<std::int64_t> updates_;
  std::vector<Tensor> m_, v_;
  std::vector<Tensor> previous_;  // diffGrad only: g_{t−1}
};

class AdamW : public Adam {
 public:
  // PyTorch's default decay, 1e-2, so that AdamW() differs from Adam().
  AdamW(std::vector<Tensor> parameters, const AdamOptions& options = {.weight_decay = 1e-2});
};

// Checks Adam-family hyper-parameters; `name` goes into the message.
void check_adam_options(const AdamOptions& options, const char* name);

}  // namespace anneal::nn
