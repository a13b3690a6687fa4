#pragma once
// Building blocks of a 3-D U-Net on [N, C, D, H, W] grids (DCDM's Poisson module):
//   ResidualBlock3d: y = σ(conv₂(σ(conv₁ x)) + skip(x)), two 3x3x3 convolutions that keep the grid,
//                    skip = identity, or a 1x1x1 convolution (no bias) when the channel count changes.
//   downsample3d:    2x2x2 average pooling (halves every extent).
//   Up3d:            doubles every extent (nearest or trilinear), then a 3x3x3 convolution.
// A U-Net is then: blocks and downsample3d on the way down, Up3d, concat(…, 1) with the skip and a
// block on the way up. Grid extents must be divisible by 2 per level.
#include <memory>

#include "nn/activation.hpp"
#include "nn/conv.hpp"

namespace anneal::nn {

class ResidualBlock3d : public Module {
 public:
  ResidualBlock3d(std::int64_t in_channels, std::int64_t out_channels, RandomStream& rng, DType dtype = DType::f32,
                  Activation activation = Activation::silu, Padding padding = Padding::zeros);
  Tensor forward(const Tensor& x) const;

  std::int64_t in_channels() const { return conv1_->in_channels(); }
  std::int64_t out_channels() const { return conv2_->out_channels(); }
  bool has_projection() const { return projection_ != nullptr; }

 private:
  Activation activation_;
  std::shared_ptr<Conv3d> conv1_, conv2_, projection_;
};

// 2x2x2 average pooling.
Tensor downsample3d(const Tensor& x);

enum class Upsampling { nearest, trilinear };

class Up3d : public Module {
 public:
  Up3d(std::int64_t in_channels, std::int64_t out_channels, RandomStream& rng, DType dtype = DType::f32,
       Upsampling mode = Upsampling::nearest, Padding padding = Padding::zeros);
  Tensor forward(const Tensor& x) const;

 private:
  Upsampling mode_;
  std::shared_ptr<Conv3d> conv_;
};

}  // namespace anneal::nn
