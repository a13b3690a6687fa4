#include "nn/unet_block.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

ResidualBlock3d::ResidualBlock3d(std::int64_t in_channels, std::int64_t out_channels, RandomStream& rng, DType dtype,
                                 Activation activation, Padding padding)
    : activation_(activation) {
  ConvOptions same{.padding = 1, .padding_mode = padding};
  conv1_ = register_module("conv1", std::make_shared<Conv3d>(in_channels, out_channels, 3, rng, dtype, same));
  conv2_ = register_module("conv2", std::make_shared<Conv3d>(out_channels, out_channels, 3, rng, dtype, same));
  if (in_channels != out_channels)
    projection_ = register_module("projection", std::make_shared<Conv3d>(in_channels, out_channels, 1, rng, dtype,
                                                                         ConvOptions{.padding = 0, .bias = false}));
}

Tensor ResidualBlock3d::forward(const Tensor& x) const {
  ANNEAL_CHECK(x.dim() == 5 && x.size(1) == in_channels(),
               "ResidualBlock3d: input of shape {} for {} channels (need [N, C, D, H, W])", to_string(x.shape()),
               in_channels());
  const Tensor h = conv2_->forward(activate(activation_, conv1_->forward(x)));
  return activate(activation_, h + (projection_ ? projection_->forward(x) : x));
}

Tensor downsample3d(const Tensor& x) { return avg_pool3d(x, 2); }

Up3d::Up3d(std::int64_t in_channels, std::int64_t out_channels, RandomStream& rng, DType dtype, Upsampling mode,
           Padding padding)
    : mode_(mode) {
  conv_ = register_module("conv", std::make_shared<Conv3d>(in_channels, out_channels, 3, rng, dtype,
                                                           ConvOptions{.padding = 1, .padding_mode = padding}));
}

Tensor Up3d::forward(const Tensor& x) const {
  const Tensor up = mode_ == Upsampling::nearest ? upsample_nearest3d(x, 2) : upsample_trilinear3d(x, 2);
  return conv_->forward(up);
}

}  // namespace anneal::nn
