#include "nn/sgd.hpp"

#include <cmath>

#include "core/error.hpp"

namespace anneal::nn {

Sgd::Sgd(std::vector<Tensor> parameters, const SgdOptions& options)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options) {
  ANNEAL_CHECK(std::isfinite(options.momentum) && options.momentum >= 0 && options.momentum < 1,
               "SGD momentum must lie in [0, 1), got {}", options.momentum);
  ANNEAL_CHECK(!options.nesterov || options.momentum > 0, "SGD with Nesterov momentum needs momentum > 0");
  ANNEAL_CHECK(std::isfinite(options.weight_decay) && options.weight_decay >= 0,
               "SGD weight_decay must be finite and >= 0, got {}", options.weight_decay);
  if (options.momentum > 0) momentum_ = zeros_like_parameters();
}

void Sgd::step() {
  const double lr = learning_rate(), mu = options_.momentum, wd = options_.weight_decay;
  for (std::size_t i = 0; i < parameters().size(); ++i) {
    const Tensor g = gradient(i);
    if (!g.defined()) continue;
    Tensor p = parameters()[i];
    dispatch(p.dtype(), [&]<class T>() {
      T* x = p.data<T>();
      const T* dx = g.data<T>();
      T* b = momentum_.empty() ? nullptr : momentum_[i].data<T>();
      const bool nesterov = options_.nesterov;
      for_each_block(p.numel(), [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t k = begin; k < end; ++k) {
          T d = dx[k] + static_cast<T>(wd) * x[k];
          if (b) {
            b[k] = static_cast<T>(mu) * b[k] + d;
            d = nesterov ? d + static_cast<T>(mu) * b[k] : b[k];
          }
          x[k] -= static_cast<T>(lr) * d;
        }
      });
    });
  }
  count_step();
}

NamedTensors Sgd::state() const {
  NamedTensors out = Optimizer::state();
  export_buffers(out, "momentum", momentum_);
  return out;
}

void Sgd::load_state(const NamedTensors& state) {
  StateReader reader(state, "SGD");
  read_base_state(reader);
  reader.read_buffers("momentum", momentum_);
  reader.commit();
}

}  // namespace anneal::nn
