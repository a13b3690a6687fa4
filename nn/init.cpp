#include "nn/init.hpp"

#include <cmath>

#include "nn/ops.hpp"

namespace anneal::nn {

Tensor initialise(Init init, const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, RandomStream& rng,
                  DType dtype) {
  const auto in = static_cast<double>(fan_in), out = static_cast<double>(fan_out);
  switch (init) {
    case Init::xavier_uniform: {
      const double limit = std::sqrt(6.0 / (in + out));
      return Tensor::uniform(shape, -limit, limit, rng, dtype);
    }
    case Init::xavier_normal: {
      return mul(Tensor::randn(shape, rng, dtype), std::sqrt(2.0 / (in + out)));
    }
    case Init::kaiming_uniform: {
      const double limit = std::sqrt(6.0 / in);
      return Tensor::uniform(shape, -limit, limit, rng, dtype);
    }
    case Init::kaiming_normal: {
      return mul(Tensor::randn(shape, rng, dtype), std::sqrt(2.0 / in));
    }
    case Init::zeros: return Tensor::zeros(shape, dtype);
  }
  return {};
}

}  // namespace anneal::nn
