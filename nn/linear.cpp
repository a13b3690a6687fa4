#include "nn/linear.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

Linear::Linear(std::int64_t in, std::int64_t out, RandomStream& rng, DType dtype, Init init, bool bias) {
  ANNEAL_CHECK(in > 0 && out > 0, "Linear({}, {}): sizes must be positive", in, out);
  weight_ = register_parameter("weight", initialise(init, {in, out}, in, out, rng, dtype));
  if (bias) bias_ = register_parameter("bias", Tensor::zeros({out}, dtype));
}

Tensor Linear::forward(const Tensor& x) const {
  ANNEAL_CHECK(x.dim() >= 1 && x.size(-1) == in_features(), "Linear: input of shape {} for {} input features",
               to_string(x.shape()), in_features());
  const Tensor y = matmul(x.dim() == 1 ? unsqueeze(x, 0) : x, weight_);
  const Tensor out = bias_.defined() ? add(y, bias_) : y;
  return x.dim() == 1 ? squeeze(out, 0) : out;
}

}  // namespace anneal::nn
