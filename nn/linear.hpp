#pragma once
// y = x W + b, with W stored [in, out] so that the product needs no transpose (row-major GEMM).
#include "nn/init.hpp"
#include "nn/module.hpp"

namespace anneal::nn {

class Linear : public Module {
 public:
  Linear(std::int64_t in, std::int64_t out, RandomStream& rng, DType dtype = DType::f32,
         Init init = Init::xavier_uniform, bool bias = true);
  Tensor forward(const Tensor& x) const;  // x: [..., in] -> [..., out]

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias
  std::int64_t in_features() const { return weight_.size(0); }
  std::int64_t out_features() const { return weight_.size(1); }

 private:
  Tensor weight_, bias_;
};

}  // namespace anneal::nn
