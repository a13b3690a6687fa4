#pragma once
// Parameter initialisers. Fans are those of a weight of shape [fan_in, fan_out].
#include "core/rng.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

enum class Init { xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, zeros };

// Glorot & Bengio 2010: U(±√(6/(fan_in+fan_out))) or N(0, 2/(fan_in+fan_out)).
// He et al. 2015 (ReLU gain): U(±√(6/fan_in)) or N(0, 2/fan_in).
Tensor initialise(Init init, const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, RandomStream& rng,
                  DType dtype);

}  // namespace anneal::nn
