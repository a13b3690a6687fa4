#include "nn/conv.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

ConvNd::ConvNd(int spatial, std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel,
               RandomStream& rng, DType dtype, const ConvOptions& options)
    : spatial_(spatial), options_(options), padding_(options.padding < 0 ? kernel / 2 : options.padding) {
  ANNEAL_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0,
               "Conv{}d({}, {}, kernel {}): channels and kernel must be positive", spatial, in_channels, out_channels,
               kernel);
  ANNEAL_CHECK(options.stride >= 1, "Conv{}d: stride {} must be at least 1", spatial, options.stride);
  Shape shape{out_channels, in_channels};
  std::int64_t taps = 1;
  for (int a = 0; a < spatial; ++a) {
    shape.push_back(kernel);
    taps *= kernel;
  }
  weight_ = register_parameter("weight", initialise(options.init, shape, in_channels * taps, out_channels * taps, rng,
                                                    dtype));
  if (options.bias) bias_ = register_parameter("bias", Tensor::zeros({out_channels}, dtype));
}

Tensor ConvNd::forward(const Tensor& x) const {
  if (spatial_ == 2) return conv2d(x, weight_, bias_, options_.stride, padding_, options_.padding_mode);
  return conv3d(x, weight_, bias_, options_.stride, padding_, options_.padding_mode);
}

}  // namespace anneal::nn
