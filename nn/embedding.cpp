#include "nn/embedding.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

Tensor sinusoidal_embedding(const Tensor& t, std::int64_t dim, double max_period) {
  ANNEAL_CHECK(t.dim() == 1, "sinusoidal_embedding: times must be a vector [N], got shape {}", to_string(t.shape()));
  ANNEAL_CHECK(dim > 0 && dim % 2 == 0, "sinusoidal_embedding: dim = {} must be positive and even", dim);
  ANNEAL_CHECK(max_period > 0, "sinusoidal_embedding: max_period = {} must be positive", max_period);
  const std::int64_t half = dim / 2;
  std::vector<double> freqs(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i)
    freqs[static_cast<std::size_t>(i)] =
        std::exp(-std::log(max_period) * static_cast<double>(i) / static_cast<double>(half));
  const Tensor args = mul(unsqueeze(t, 1), Tensor::from_vector(freqs, {1, half}, t.dtype()));  // [N, half]
  return concat({sin(args), cos(args)}, 1);
}

SinusoidalEmbedding::SinusoidalEmbedding(std::int64_t dim, double max_period) : dim_(dim), max_period_(max_period) {
  ANNEAL_CHECK(dim > 0 && dim % 2 == 0, "SinusoidalEmbedding: dim = {} must be positive and even", dim);
  ANNEAL_CHECK(max_period > 0, "SinusoidalEmbedding: max_period = {} must be positive", max_period);
}

FourierFeatures::FourierFeatures(std::int64_t in_features, std::int64_t frequencies, double sigma, RandomStream& rng,
                                 DType dtype) {
  ANNEAL_CHECK(in_features > 0 && frequencies > 0, "FourierFeatures({}, {}): sizes must be positive", in_features,
               frequencies);
  ANNEAL_CHECK(sigma > 0 && std::isfinite(sigma), "FourierFeatures: scale σ = {} must be positive", sigma);
  NoGrad no_grad;
  b_ = mul(Tensor::randn({in_features, frequencies}, rng, dtype), sigma);
}

FourierFeatures::FourierFeatures(Tensor b) : b_(b.detach()) {
  ANNEAL_CHECK(b_.dim() == 2 && b_.numel() > 0, "FourierFeatures: B must be a non-empty matrix [d_in, m], got {}",
               to_string(b_.shape()));
}

Tensor FourierFeatures::forward(const Tensor& x) const {
  ANNEAL_CHECK(x.dim() >= 1 && x.size(-1) == in_features(), "FourierFeatures: input of shape {} for {} features",
               to_string(x.shape()), in_features());
  const bool vector = x.dim() == 1;
  // 2π folded into the [d_in, m] matrix, not the larger [N, m] product.
  const Tensor proj = matmul(vector ? unsqueeze(x, 0) : x, mul(b_, 2 * std::numbers::pi));
  const Tensor features = concat({sin(proj), cos(proj)}, -1);
  return vector ? squeeze(features, 0) : features;
}

}  // namespace anneal::nn
