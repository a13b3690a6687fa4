#include "nn/diffgrad.hpp"

#include <cmath>

namespace anneal::nn {

DiffGrad::DiffGrad(std::vector<Tensor> parameters, const AdamOptions& options)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options) {
  check_adam_options(options, "diffGrad");
  updates_.assign(this->parameters().size(), 0);
  m_ = zeros_like_parameters();
  v_ = zeros_like_parameters();
  previous_ = zeros_like_parameters();
}

void DiffGrad::step() {
  const double lr = learning_rate(), b1 = options_.beta1, b2 = options_.beta2;
  for (std::size_t i = 0; i < parameters().size(); ++i) {
    const Tensor g = gradient(i);
    if (!g.defined()) continue;
    const auto t = static_cast<double>(++updates_[i]);
    const double c1 = 1 - std::pow(b1, t), root_c2 = std::sqrt(1 - std::pow(b2, t));
    Tensor p = parameters()[i];
    dispatch(p.dtype(), [&]<class T>() {
      T* x = p.data<T>();
      const T* dx = g.data<T>();
      T* m = m_[i].data<T>();
      T* v = v_[i].data<T>();
      T* prev = previous_[i].data<T>();
      // 1 − β in double: in f32, 1 − (float)0.999 is off by 1e-5 relative, out of step with the
      // bias correction computed from the exact β.
      const T beta1 = static_cast<T>(b1), beta2 = static_cast<T>(b2), eps = static_cast<T>(options_.eps);
      const T rest1 = static_cast<T>(1 - b1), rest2 = static_cast<T>(1 - b2);
      const T step_size = static_cast<T>(lr / c1), root = static_cast<T>(root_c2);
      const T l2 = static_cast<T>(options_.weight_decay);
      for_each_block(p.numel(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t k = begin; k < end; ++k) {
          const T d = dx[k] + l2 * x[k];
          m[k] = beta1 * m[k] + rest1 * d;
          v[k] = beta2 * v[k] + rest2 * d * d;
          const T friction = 1 / (1 + std::exp(-std::abs(prev[k] - d)));
          prev[k] = d;
          x[k] -= step_size * friction * m[k] / (std::sqrt(v[k]) / root + eps);
        }
      });
    });
  }
  count_step();
}

NamedTensors DiffGrad::state() const {
  NamedTensors out = Optimizer::state();
  for (std::size_t i = 0; i < updates_.size(); ++i)
    out.emplace_back("t/" + std::to_string(i), Tensor::scalar(static_cast<double>(updates_[i]), DType::f64));
  export_buffers(out, "m", m_);
  export_buffers(out, "v", v_);
  export_buffers(out, "previous_grad", previous_);
  return out;
}

void DiffGrad::load_state(const NamedTensors& state) {
  StateReader reader(state, "diffGrad");
  read_base_state(reader);
  for (std::size_t i = 0; i < updates_.size(); ++i) reader.read("t/" + std::to_string(i), updates_[i]);
  reader.read_buffers("m", m_);
  reader.read_buffers("v", v_);
  reader.read_buffers("previous_grad", previous_);
  reader.commit();
}

}  // namespace anneal::nn
