#pragma once
// Fixed (untrained) embeddings of scalars and coordinates, differentiable with respect to their
// input: the sinusoidal embedding of diffusion times (Vaswani et al. 2017; Ho et al. 2020) and
// random Fourier features of coordinates (Tancik et al. 2020).
#include <cstdint>

#include "nn/module.hpp"

namespace anneal {
class RandomStream;
}

namespace anneal::nn {

// t [N] -> [N, dim], dim even: with half = dim/2 and frequencies
//   ω_i = exp(−log(max_period) · i / half),  i = 0 … half−1,
// the row of t is [sin(t ω_0) … sin(t ω_{half−1}), cos(t ω_0) … cos(t ω_{half−1})].
Tensor sinusoidal_embedding(const Tensor& t, std::int64_t dim, double max_period = 10000.0);

// The same as a parameter-free module, for networks assembled from modules.
class SinusoidalEmbedding : public Module {
 public:
  explicit SinusoidalEmbedding(std::int64_t dim, double max_period = 10000.0);
  Tensor forward(const Tensor& t) const { return sinusoidal_embedding(t, dim_, max_period_); }
  std::int64_t dim() const { return dim_; }

 private:
  std::int64_t dim_;
  double max_period_;
};

// γ(x) = [sin(2π x B), cos(2π x B)] for x [..., d_in] -> [..., 2m], with a fixed matrix
// B [d_in, m] of N(0, σ²) entries. B is not a parameter (it is not trained and not listed by
// parameters()); it is a pure function of the RandomStream it was drawn from, so a model rebuilt
// with the same seed and stream has the same B.
class FourierFeatures : public Module {
 public:
  FourierFeatures(std::int64_t in_features, std::int64_t frequencies, double sigma, RandomStream& rng,
                  DType dtype = DType::f32);
  explicit FourierFeatures(Tensor b);  // a given B [d_in, m]
  Tensor forward(const Tensor& x) const;

  const Tensor& b() const { return b_; }
  std::int64_t in_features() const { return b_.size(0); }
  std::int64_t out_features() const { return 2 * b_.size(1); }

 private:
  Tensor b_;
};

}  // namespace anneal::nn
