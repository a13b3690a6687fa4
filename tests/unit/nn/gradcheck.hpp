#pragma once
// Finite-difference gradient checking for the neural backend (DESIGN.md §2: every op has a
// finite-difference gradient check in f64).
//
// For f : inputs -> output (any shape) the checker forms the scalar loss
//     L(inputs) = Σ_i f(inputs)_i · W_i
// with a fixed random weight tensor W of f's output shape, so that every output element enters the
// loss with its own weight (a plain sum would be blind to, e.g., a gradient that swaps two
// outputs). The analytic gradient comes from anneal::nn::grad(L, inputs); the numerical one from
// the fourth-order central difference
//     dL/dx ≈ [L(x-2h) - 8 L(x-h) + 8 L(x+h) - L(x+2h)] / (12 h),
// whose truncation error is h⁴/30 · L⁽⁵⁾ (≈ 3e-14 · L⁽⁵⁾ at h = 1e-3) and whose rounding error is
// about 1.5 ε |L| / h (≈ 3e-13 |L|). L is accumulated in double from the f64 output, so both stay
// far below the 1e-6 relative tolerance for smooth f with moderate values.
//
// The error of one element is |a - n| / max(|a|, |n|, 1e-3): relative where the gradient is of
// order one or more, absolute (scaled by 1e3) where it is tiny, since a relative error of a
// gradient that is zero up to rounding means nothing. The checker reports the worst element.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/autograd.hpp"
#include "nn/ops.hpp"
#include "nn/tensor.hpp"

namespace anneal::test {

using GradFn = std::function<nn::Tensor(const std::vector<nn::Tensor>&)>;

struct GradcheckResult {
  double max_error = 0.0;    // worst element error (see above)
  std::size_t input = 0;     // which input held the worst element
  std::int64_t element = 0;  // its flat index
  double analytic = 0.0;     // the two derivatives there
  double numeric = 0.0;
  std::string describe() const {
    std::ostringstream s;
    s.precision(17);
    s << "worst error " << max_error << " at input " << input << ", element " << element << ": analytic " << analytic
      << ", numeric " << numeric;
    return s.str();
  }
};

struct GradcheckOptions {
  double h = 1e-3;            // step, scaled by max(1, |x|) and rounded down to a power of two
  double denominator_floor = 1e-3;       // denominator floor of the element error
  std::uint64_t seed = 9173;  // of the weights W
};

namespace detail {

// Σ f(inputs) · W in double, without recording the tape.
inline double weighted_loss(const GradFn& f, const std::vector<nn::Tensor>& inputs, const std::vector<double>& w) {
  nn::NoGrad no_grad;
  const nn::Tensor out = f(inputs);
  REQUIRE(out.dtype() == nn::DType::f64);
  REQUIRE(static_cast<std::size_t>(out.numel()) == w.size());
  const double* p = out.data<double>();
  double total = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) total += p[i] * w[i];
  return total;
}

}  // namespace detail

// Compares analytic with numerical gradients of Σ f(inputs)·W for every element of every input.
// The inputs must be distinct f64 leaves; they are marked set_requires_grad(true) and perturbed in
// place (and restored) while the numerical derivatives are taken, so f must read them afresh on
// every call (tensors it captures from outside are constants).
inline GradcheckResult gradcheck(const GradFn& f, std::vector<nn::Tensor> inputs, const GradcheckOptions& options = {}) {
  for (auto& x : inputs) {
    REQUIRE(x.defined());
    REQUIRE(x.dtype() == nn::DType::f64);
    REQUIRE(x.is_leaf());
    x.set_requires_grad(true);
  }
  // The weights, with the output's shape.
  nn::Shape out_shape;
  {
    nn::NoGrad no_grad;
    out_shape = f(inputs).shape();
  }
  anneal::RandomStream rng(options.seed, 0);
  const nn::Tensor weights = nn::Tensor::randn(out_shape, rng, nn::DType::f64);
  const std::vector<double> w = weights.to_vector();

  // Analytic gradients.
  const nn::Tensor out = f(inputs);
  REQUIRE(out.shape() == out_shape);
  REQUIRE(out.requires_grad());
  const nn::Tensor loss = nn::sum(nn::mul(out, weights));
  const std::vector<nn::Tensor> analytic = nn::grad(loss, inputs);
  REQUIRE(analytic.size() == inputs.size());

  GradcheckResult result;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    REQUIRE(analytic[k].defined());
    REQUIRE(analytic[k].shape() == inputs[k].shape());
    const std::vector<double> a = analytic[k].to_vector();
    double* x = inputs[k].data<double>();
    for (std::int64_t i = 0; i < inputs[k].numel(); ++i) {
      const double x0 = x[i];
      // A power of two near h·max(1, |x|): x ± h and x ± 2h are then (nearly always) exact.
      const double h = std::ldexp(1.0, std::ilogb(options.h * std::max(1.0, std::abs(x0))));
      auto at = [&](double offset) {
        x[i] = x0 + offset;
        return detail::weighted_loss(f, inputs, w);
      };
      const double lm2 = at(-2 * h), lm1 = at(-h), lp1 = at(h), lp2 = at(2 * h);
      x[i] = x0;
      const double numeric = (lm2 - 8 * lm1 + 8 * lp1 - lp2) / (12 * h);
      const double analytic_i = a[static_cast<std::size_t>(i)];
      const double denom = std::max({std::abs(analytic_i), std::abs(numeric), options.denominator_floor});
      double err = std::abs(analytic_i - numeric) / denom;
      if (std::isnan(err)) err = std::numeric_limits<double>::infinity();  // NaN is the worst
      if (err > result.max_error) result = {err, k, i, analytic_i, numeric};
    }
  }
  return result;
}

// REQUIREs that every element's error is at most `tolerance`, naming the worst on failure.
inline void require_gradcheck(const GradFn& f, const std::vector<nn::Tensor>& inputs, double tolerance = 1e-6,
                              const GradcheckOptions& options = {}) {
  const GradcheckResult r = gradcheck(f, inputs, options);
  INFO(r.describe());
  REQUIRE(r.max_error <= tolerance);
}

// Same as require_gradcheck, CHECK only (the test goes on).
inline void check_gradcheck(const GradFn& f, const std::vector<nn::Tensor>& inputs, double tolerance = 1e-6,
                            const GradcheckOptions& options = {}) {
  const GradcheckResult r = gradcheck(f, inputs, options);
  INFO(r.describe());
  CHECK(r.max_error <= tolerance);
}

// f64 standard-normal data of `shape` from stream `stream`.
inline nn::Tensor randn64(const nn::Shape& shape, std::uint64_t stream, std::uint64_t seed = 20240611) {
  anneal::RandomStream rng(seed, stream);
  return nn::Tensor::randn(shape, rng, nn::DType::f64);
}

// f64 uniform [lo, hi) data of `shape`.
inline nn::Tensor uniform64(const nn::Shape& shape, double lo, double hi, std::uint64_t stream,
                            std::uint64_t seed = 20240611) {
  anneal::RandomStream rng(seed, stream);
  return nn::Tensor::uniform(shape, lo, hi, rng, nn::DType::f64);
}

// Row-major multi-index helpers for the reference loops of the tests.
inline std::vector<std::int64_t> unravel(std::int64_t flat, const nn::Shape& shape) {
  std::vector<std::int64_t> index(shape.size(), 0);
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

inline std::int64_t ravel(const std::vector<std::int64_t>& index, const nn::Shape& shape) {
  REQUIRE(index.size() == shape.size());
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) flat = flat * shape[d] + index[d];
  return flat;
}

// The largest |a_i - b_i| / max(lower, |b_i|) (both the same length; NaN counts as infinite).
inline double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b, double lower = 1e-300) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    double d = std::abs(a[i] - b[i]) / std::max(lower, std::abs(b[i]));
    if (std::isnan(d)) d = std::numeric_limits<double>::infinity();
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace anneal::test
