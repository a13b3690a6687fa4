#include "nn/adam.hpp"

#include <cmath>

#include "core/error.hpp"
#include "nn/diffgrad.hpp"

namespace anneal::nn {

void check_adam_options(const AdamOptions& o, const char* name) {
  ANNEAL_CHECK(o.beta1 >= 0 && o.beta1 < 1, "{}: beta1 must lie in [0, 1), got {}", name, o.beta1);
  ANNEAL_CHECK(o.beta2 >= 0 && o.beta2 < 1, "{}: beta2 must lie in [0, 1), got {}", name, o.beta2);
  ANNEAL_CHECK(std::isfinite(o.eps) && o.eps >= 0, "{}: eps must be finite and >= 0, got {}", name, o.eps);
  ANNEAL_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0, "{}: weight_decay must be finite and >= 0, got {}",
               name, o.weight_decay);
}

Adam::Adam(std::vector<Tensor> parameters, const AdamOptions& options)
    : Adam(std::move(parameters), options, Variant::adam) {}

Adam::Adam(std::vector<Tensor> parameters, const AdamOptions& options, Variant variant)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options), variant_(variant) {
  check_adam_options(options, name());
  updates_.assign(this->parameters().size(), 0);
  m_ = zeros_like_parameters();
  v_ = zeros_like_parameters();
  if (variant_ == Variant::diffgrad) previous_ = zeros_like_parameters();
}

AdamW::AdamW(std::vector<Tensor> parameters, const AdamOptions& options)
    : Adam(std::move(parameters), options, Variant::adamw) {}

DiffGrad::DiffGrad(std::vector<Tensor> parameters, const AdamOptions& options)
    : Adam(std::move(parameters), options, Variant::diffgrad) {}

const char* Adam::name() const {
  return variant_ == Variant::adamw ? "AdamW" : variant_ == Variant::diffgrad ? "diffGrad" : "Adam";
}

void Adam::step() {
  const double b1 = options_.beta1, b2 = options_.beta2;
  for (std::size_t i = 0; i < parameters().size(); ++i) {
    const Tensor g = gradient(i);
    if (!g.defined()) continue;
    const auto t = static_cast<double>(++updates_[i]);
    // Bias corrections folded into two scalars: θ ← θ − (η / c1) m / (√v / √c2 + ε).
    const double c1 = 1 - std::pow(b1, t), root_c2 = std::sqrt(1 - std::pow(b2, t));
    if (variant_ == Variant::diffgrad) update<true>(i, g, learning_rate() / c1, root_c2);
    else update<false>(i, g, learning_rate() / c1, root_c2);
  }
  count_step();
}

template <bool kFriction>
void Adam::update(std::size_t i, const Tensor& g, double step, double root_c2) {
  const bool decouple = variant_ == Variant::adamw;
  const double shrink = decouple ? 1 - learning_rate() * options_.weight_decay : 1.0;
  const double l2 = decouple ? 0.0 : options_.weight_decay;
  Tensor p = parameters()[i];
  dispatch(p.dtype(), [&]<class T>() {
    T* x = p.data<T>();
    const T* dx = g.data<T>();
    T* m = m_[i].data<T>();
    T* v = v_[i].data<T>();
    T* prev = kFriction ? previous_[i].data<T>() : nullptr;
    // 1 − β in double: in f32, 1 − (float)0.999 is off by 1e-5 relative, out of step with the
    // bias correction computed from the exact β.
    const T beta1 = static_cast<T>(options_.beta1), beta2 = static_cast<T>(options_.beta2);
    const T rest1 = static_cast<T>(1 - options_.beta1), rest2 = static_cast<T>(1 - options_.beta2);
    const T eps = static_cast<T>(options_.eps), step_size = static_cast<T>(step), root = static_cast<T>(root_c2);
    const T decay = static_cast<T>(shrink), l2_t = static_cast<T>(l2);
    for_each_block(p.numel(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t k = begin; k < end; ++k) {
        const T d = dx[k] + l2_t * x[k];
        m[k] = beta1 * m[k] + rest1 * d;
        v[k] = beta2 * v[k] + rest2 * d * d;
        if (decouple) x[k] *= decay;
        T friction = 1;
        if constexpr (kFriction) {  // diffGrad: ξ = sigmoid(|g_{t−1} − g_t|)
          friction = 1 / (1 + std::exp(-std::abs(prev[k] - d)));
          prev[k] = d;
        }
        x[k] -= step_size * friction * m[k] / (std::sqrt(v[k]) / root + eps);
      }
    });
  });
}

NamedTensors Adam::state() const {
  NamedTensors out = Optimizer::state();
  for (std::size_t i = 0; i < updates_.size(); ++i)
    out.emplace_back("t/" + std::to_string(i), Tensor::scalar(static_cast<double>(updates_[i]), DType::f64));
  export_buffers(out, "m", m_);
  export_buffers(out, "v", v_);
  if (variant_ == Variant::diffgrad) export_buffers(out, "previous_grad", previous_);
  return out;
}

void Adam::load_state(const NamedTensors& state) {
  StateReader reader(state, name());
  read_base_state(reader);
  for (std::size_t i = 0; i < updates_.size(); ++i) reader.read("t/" + std::to_string(i), updates_[i]);
  reader.read_buffers("m", m_);
  reader.read_buffers("v", v_);
  if (variant_ == Variant::diffgrad) reader.read_buffers("previous_grad", previous_);
  reader.commit();
}

}  // namespace anneal::nn
