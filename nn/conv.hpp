#pragma once
// Convolution layers over channel-first grids (nn/ops_conv.hpp): Conv2d on [N, C, H, W], Conv3d on
// [N, C, D, H, W]. Weights [C_out, C_in, k...], Kaiming-uniform by default (fan_in = C_in·k^d,
// nn/init.hpp); bias [C_out], zero-initialised as in nn::Linear.
#include "nn/init.hpp"
#include "nn/module.hpp"
#include "nn/ops_conv.hpp"

namespace anneal::nn {

struct ConvOptions {
  std::int64_t stride = 1;
  std::int64_t padding = -1;  // -1: kernel / 2, which keeps the grid size for odd kernels at stride 1
  Padding padding_mode = Padding::zeros;
  bool bias = true;
  Init init = Init::kaiming_uniform;
};

// The shared implementation of Conv2d and Conv3d (`spatial` axes).
class ConvNd : public Module {
 public:
  Tensor forward(const Tensor& x) const;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias
  std::int64_t in_channels() const { return weight_.size(1); }
  std::int64_t out_channels() const { return weight_.size(0); }
  std::int64_t kernel_size() const { return weight_.size(2); }
  std::int64_t padding() const { return padding_; }
  const ConvOptions& options() const { return options_; }

 protected:
  ConvNd(int spatial, std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, RandomStream& rng,
         DType dtype, const ConvOptions& options);

 private:
  int spatial_;
  ConvOptions options_;
  std::int64_t padding_;
  Tensor weight_, bias_;
};

class Conv2d : public ConvNd {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, RandomStream& rng,
         DType dtype = DType::f32, const ConvOptions& options = {})
      : ConvNd(2, in_channels, out_channels, kernel, rng, dtype, options) {}
};

class Conv3d : public ConvNd {
 public:
  Conv3d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel, RandomStream& rng,
         DType dtype = DType::f32, const ConvOptions& options = {})
      : ConvNd(3, in_channels, out_channels, kernel, rng, dtype, options) {}
};

}  // namespace anneal::nn
