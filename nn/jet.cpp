#include "nn/jet.hpp"

#include <Eigen/Core>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/autograd.hpp"
#include "nn/fast_tanh.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

// σ', σ'' and σ''' at one point, from v = σ(z) and c = cos z (for sin only). The expensive
// transcendental, σ itself, is computed beforehand by Eigen's vectorised kernels.
template <class T>
struct Derivatives {
  T d1, d2, d3;
};

template <class T>
Derivatives<T> derivatives(Activation activation, T v, T c) {
  switch (activation) {
    case Activation::tanh: {
      const T s = 1 - v * v;
      return {s, -2 * v * s, s * (6 * v * v - 2)};
    }
    case Activation::sin: return {c, -v, -c};
    case Activation::sigmoid: {
      const T d = v * (1 - v), b = 1 - 2 * v;
      return {d, d * b, d * b * b - 2 * d * d};
    }
    default: return {1, 0, 0};
  }
}

// σ', σ'' (and σ''' when d3 is given) for a block, from v = σ(z): the switch stays outside the
// loops so that each loop is a plain vectorisable one.
template <class T>
void block_derivatives(Activation activation, const T* v, const T* c, T* d1, T* d2, T* d3, std::int64_t n) {
  switch (activation) {
    case Activation::tanh:
      for (std::int64_t e = 0; e < n; ++e) {
        const T s = 1 - v[e] * v[e];
        d1[e] = s, d2[e] = -2 * v[e] * s;
        if (d3) d3[e] = s * (6 * v[e] * v[e] - 2);
      }
      return;
    default:
      for (std::int64_t e = 0; e < n; ++e) {
        const auto d = derivatives<T>(activation, v[e], c[e]);
        d1[e] = d.d1, d2[e] = d.d2;
        if (d3) d3[e] = d.d3;
      }
  }
}

bool has_fused_kernel(Activation a) {
  return a == Activation::tanh || a == Activation::sin || a == Activation::sigmoid;
}

// σ(z) into v and, for sin, cos(z) into c, over one contiguous chunk.
template <class T>
void activate_chunk(Activation activation, const T* z, T* v, T* c, std::int64_t n) {
  using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const Array> in(z, n);
  Eigen::Map<Array> out(v, n);
  switch (activation) {
    case Activation::tanh: tanh_block(z, v, n); break;
    case Activation::sigmoid: out = in.logistic(); break;
    case Activation::sin:
      out = in.sin();
      Eigen::Map<Array>(c, n) = in.cos();
      break;
    default: out = in; break;
  }
}

constexpr std::int64_t kChunk = 2048;

// The fused activation on a packed jet [1 + k + q, N·w]: out_0 = σ(z), out_{1+i} = σ' f_i,
// out_{1+k+j} = σ'' f_{a(j)}² + σ' s_j, with a(j) = second_of[j]. Its backward, for gradients G:
//   ∂L/∂z   = G_0 σ' + Σ_i G_{1+i} σ'' f_i + Σ_j G_{1+k+j} (σ''' f_{a(j)}² + σ'' s_j)
//   ∂L/∂f_i = G_{1+i} σ' + Σ_{j: a(j)=i} 2 G_{1+k+j} σ'' f_i
//   ∂L/∂s_j = G_{1+k+j} σ'
Tensor fused_activation(const Tensor& packed, Activation activation, std::int64_t k,
                        const std::vector<std::int64_t>& second_of) {
  const auto q = static_cast<std::int64_t>(second_of.size());
  const std::int64_t m = packed.numel() / (1 + k + q);  // N · width
  Tensor out = Tensor::empty(packed.shape(), packed.dtype());
  dispatch(packed.dtype(), [&]<class T>() {
    const T* in = packed.data<T>();
    T* o = out.data<T>();
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, m, kChunk), [&](const auto& r) {
      const std::int64_t lo = r.begin(), n = r.end() - r.begin();
      std::vector<T> cosine(static_cast<std::size_t>(n)), d1(static_cast<std::size_t>(n)), d2(static_cast<std::size_t>(n));
      activate_chunk<T>(activation, in + lo, o + lo, cosine.data(), n);
      block_derivatives<T>(activation, o + lo, cosine.data(), d1.data(), d2.data(), nullptr, n);
      for (std::int64_t i = 0; i < k; ++i) {
        const T* f = in + (1 + i) * m + lo;
        T* of = o + (1 + i) * m + lo;
        for (std::int64_t e = 0; e < n; ++e) of[e] = d1[static_cast<std::size_t>(e)] * f[e];
      }
      for (std::int64_t j = 0; j < q; ++j) {
        const T* f = in + (1 + second_of[static_cast<std::size_t>(j)]) * m + lo;
        const T* s = in + (1 + k + j) * m + lo;
        T* os = o + (1 + k + j) * m + lo;
        for (std::int64_t e = 0; e < n; ++e) {
          const auto u = static_cast<std::size_t>(e);
          os[e] = d2[u] * f[e] * f[e] + d1[u] * s[e];
        }
      }
    });
  });
  const Tensor saved = out.detach();  // σ(z) in row 0: the backward's derivatives come from it
  return record(out, {packed}, [packed, saved, activation, k, q, m, second_of](const Tensor& g) {
    Tensor grad = Tensor::empty(packed.shape(), packed.dtype());
    dispatch(packed.dtype(), [&]<class T>() {
      const T* in = packed.data<T>();
      const T* v = saved.data<T>();
      const T* gp = g.data<T>();
      T* o = grad.data<T>();
      tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, m, kChunk), [&](const auto& r) {
        const std::int64_t lo = r.begin(), n = r.end() - r.begin();
        std::vector<T> cosine(static_cast<std::size_t>(n)), d1(static_cast<std::size_t>(n)),
            d2(static_cast<std::size_t>(n)), d3(static_cast<std::size_t>(n));
        if (activation == Activation::sin) {
          using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
          Eigen::Map<Array>(cosine.data(), n) = Eigen::Map<const Array>(in + lo, n).cos();
        }
        block_derivatives<T>(activation, v + lo, cosine.data(), d1.data(), d2.data(), q > 0 ? d3.data() : nullptr, n);
        for (std::int64_t e = 0; e < n; ++e) o[lo + e] = gp[lo + e] * d1[static_cast<std::size_t>(e)];
        for (std::int64_t i = 0; i < k; ++i) {
          const T* f = in + (1 + i) * m + lo;
          const T* g1 = gp + (1 + i) * m + lo;
          T* of = o + (1 + i) * m + lo;
          for (std::int64_t e = 0; e < n; ++e) {
            const auto u = static_cast<std::size_t>(e);
            o[lo + e] += g1[e] * d2[u] * f[e];
            of[e] = g1[e] * d1[u];
          }
        }
        for (std::int64_t j = 0; j < q; ++j) {
          const std::int64_t a = second_of[static_cast<std::size_t>(j)];
          const T* f = in + (1 + a) * m + lo;
          const T* s = in + (1 + k + j) * m + lo;
          const T* g2 = gp + (1 + k + j) * m + lo;
          T* of = o + (1 + a) * m + lo;
          T* os = o + (1 + k + j) * m + lo;
          for (std::int64_t e = 0; e < n; ++e) {
            const auto u = static_cast<std::size_t>(e);
            o[lo + e] += g2[e] * (d3[u] * f[e] * f[e] + d2[u] * s[e]);
            of[e] += 2 * g2[e] * d2[u] * f[e];
            os[e] = g2[e] * d1[u];
          }
        }
      });
    });
    return std::vector<Tensor>{grad};
  }, "activation_jet");
}

}  // namespace

Tensor Jet::value() const { return squeeze(slice(packed_, 0, 0, 1), 0); }
Tensor Jet::first(std::int64_t i) const {
  ANNEAL_CHECK(i >= 0 && i < k_, "jet: direction {} of {}", i, k_);
  return squeeze(slice(packed_, 0, 1 + i, 2 + i), 0);
}
Tensor Jet::second(std::int64_t i) const {
  const auto it = std::find(second_of_.begin(), second_of_.end(), i);
  ANNEAL_CHECK(it != second_of_.end(), "jet: no second derivative was propagated for direction {}", i);
  const std::int64_t j = it - second_of_.begin();
  return squeeze(slice(packed_, 0, 1 + k_ + j, 2 + k_ + j), 0);
}

Jet seed_jet(const Tensor& x, const std::vector<std::int64_t>& dims, const std::vector<std::int64_t>& curved) {
  ANNEAL_CHECK(x.dim() == 2, "jet: inputs must be [N, d], got {}", to_string(x.shape()));
  ANNEAL_CHECK(!dims.empty(), "jet: no input directions chosen");
  const std::int64_t n = x.size(0), d = x.size(1), k = static_cast<std::int64_t>(dims.size());
  std::vector<double> one_hot(static_cast<std::size_t>(k * d), 0.0);
  for (std::int64_t i = 0; i < k; ++i) {
    const std::int64_t dim = dims[static_cast<std::size_t>(i)];
    ANNEAL_CHECK(dim >= 0 && dim < d, "jet: direction {} is not one of the {} input columns", dim, d);
    one_hot[static_cast<std::size_t>(i * d + dim)] = 1.0;
  }
  std::vector<std::int64_t> second_of;
  for (std::int64_t c : curved.empty() ? dims : curved) {
    const auto it = std::find(dims.begin(), dims.end(), c);
    ANNEAL_CHECK(it != dims.end(), "jet: second derivative along column {}, which is not among the directions", c);
    second_of.push_back(it - dims.begin());
  }
  const auto q = static_cast<std::int64_t>(second_of.size());
  const Tensor first = broadcast_to(Tensor::from_vector(one_hot, {k, 1, d}, x.dtype()), {k, n, d});
  return Jet(concat({unsqueeze(x, 0), first, Tensor::zeros({q, n, d}, x.dtype())}, 0), k, second_of);
}

Jet linear_jet(const Jet& in, const Tensor& weight, const Tensor& bias) {
  // Every stream is multiplied by W in one GEMM; the bias enters the value stream only.
  const Tensor& packed = in.packed();  // [S, N, w]: stream 0's N rows come first
  Tensor out = bias.defined() ? matmul_bias_leading_rows(packed, weight, bias, packed.size(1)) : matmul(packed, weight);
  return Jet(out, in.directions(), in.second_of());
}

Jet activation_jet(const Jet& in, Activation activation) {
  const std::int64_t k = in.directions();
  if (has_fused_kernel(activation))
    return Jet(fused_activation(in.packed(), activation, k, in.second_of()), k, in.second_of());
  // Other activations: the same formulas with ordinary differentiable ops.
  const ActivationDerivatives s = activate_with_derivatives(activation, in.value());
  std::vector<Tensor> streams{s.value};
  for (std::int64_t i = 0; i < k; ++i) streams.push_back(mul(s.first, in.first(i)));
  for (std::int64_t a : in.second_of())
    streams.push_back(add(mul(s.second, square(in.first(a))), mul(s.first, in.second(a))));
  return Jet(stack(streams, 0), k, in.second_of());
}

}  // namespace anneal::nn
