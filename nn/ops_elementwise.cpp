// Element-wise ops: broadcasting binary kernels and unary maps, each with its backward.
#include <Eigen/Core>
#include <tbb/parallel_for.h>

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "nn/fast_tanh.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

constexpr std::int64_t kGrain = 1 << 14;  // elements per task: below this threads cost more than they give

// Runs body(begin, end) over [0, n), in parallel when n is large.
template <class Body>
void parallel_range(std::int64_t n, Body&& body) {
  if (n < 2 * kGrain) {
    body(std::int64_t{0}, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, kGrain),
                    [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    ANNEAL_CHECK(ea == eb || ea == 1 || eb == 1, "{}: shapes {} and {} do not broadcast", op, to_string(a),
                 to_string(b));
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

// Element strides of `shape` seen from an output of rank `rank` (0 along broadcast axes).
std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
  std::vector<std::int64_t> strides(out.size(), 0);
  std::int64_t stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    const std::size_t o = i + out.size() - shape.size();
    strides[o] = shape[i] == 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

// out[i] = f(a[ia], b[ib]) over the broadcast shape. The inner loop runs along the last axis.
template <class T, class F>
Tensor binary_kernel(const Tensor& a, const Tensor& b, const char* op, F f) {
  const Shape shape = broadcast_shape(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape, a.dtype());
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  const std::int64_t n = numel(shape);
  if (n == 0) return out;
  if (a.shape() == b.shape()) {
    parallel_range(n, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) po[i] = f(pa[i], pb[i]);
    });
    return out;
  }
  const auto sa = broadcast_strides(a.shape(), shape), sb = broadcast_strides(b.shape(), shape);
  const std::int64_t inner = shape.empty() ? 1 : shape.back();
  const std::int64_t ia = shape.empty() ? 0 : sa.back(), ib = shape.empty() ? 0 : sb.back();
  const std::int64_t rows = n / inner;
  auto run_rows = [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t row = lo; row < hi; ++row) {
      std::int64_t rem = row, oa = 0, ob = 0;
      for (std::size_t d = shape.size() - 1; d-- > 0;) {
        const std::int64_t idx = rem % shape[d];
        rem /= shape[d];
        oa += idx * sa[d];
        ob += idx * sb[d];
      }
      T* o = po + row * inner;
      for (std::int64_t j = 0; j < inner; ++j) o[j] = f(pa[oa + j * ia], pb[ob + j * ib]);
    }
  };
  if (n < 2 * kGrain) {
    run_rows(0, rows);
  } else {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, std::max<std::int64_t>(1, kGrain / inner)),
                      [&](const tbb::blocked_range<std::int64_t>& r) { run_rows(r.begin(), r.end()); });
  }
  return out;
}

template <class F>
Tensor binary(const Tensor& a, const Tensor& b, const char* op, F f) {
  ANNEAL_CHECK(a.dtype() == b.dtype(), "{}: operands are {} and {}; convert one with .to()", op, to_string(a.dtype()),
               to_string(b.dtype()));
  return dispatch(a.dtype(), [&]<class T>() { return binary_kernel<T>(a, b, op, [&](T x, T y) { return f(x, y); }); });
}

template <class F>
Tensor unary(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    parallel_range(x.numel(), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) po[i] = static_cast<T>(f(px[i]));
    });
  });
  return out;
}

// Like unary(), for maps Eigen vectorises (tanh, exp, log, ...): f takes and returns an Eigen array
// expression over a contiguous chunk, so AVX/AVX-512 polynomial kernels replace scalar libm calls.
template <class F>
Tensor unary_vectorised(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    using Array = Eigen::Array<T, Eigen::Dynamic, 1>;
    const T* px = x.data<T>();
    T* po = out.data<T>();
    parallel_range(x.numel(), [&](std::int64_t lo, std::int64_t hi) {
      Eigen::Map<const Array> in(px + lo, hi - lo);
      Eigen::Map<Array>(po + lo, hi - lo) = f(in);
    });
  });
  return out;
}

Tensor scalar_like(const Tensor& x, double value) { return Tensor::scalar(value, x.dtype()); }

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary(a, b, "add", [](auto x, auto y) { return x + y; });
  const Shape sa = a.shape(), sb = b.shape();
  return record(out, {a, b}, [sa, sb](const Tensor& g) { return std::vector<Tensor>{sum_to(g, sa), sum_to(g, sb)}; },
                "add");
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary(a, b, "sub", [](auto x, auto y) { return x - y; });
  const Shape sa = a.shape(), sb = b.shape();
  return record(out, {a, b},
                [sa, sb](const Tensor& g) { return std::vector<Tensor>{sum_to(g, sa), sum_to(neg(g), sb)}; }, "sub");
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary(a, b, "mul", [](auto x, auto y) { return x * y; });
  return record(out, {a, b}, [a, b](const Tensor& g) {
    return std::vector<Tensor>{a.requires_grad() ? sum_to(mul(g, b), a.shape()) : Tensor(),
                               b.requires_grad() ? sum_to(mul(g, a), b.shape()) : Tensor()};
  }, "mul");
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary(a, b, "div", [](auto x, auto y) { return x / y; });
  // Backward functions keep a detached view of their output: the output itself would hold this
  // node and the node the output, a cycle that never frees.
  const Tensor saved = out.detach();
  return record(out, {a, b}, [a, b, saved](const Tensor& g) {
    const Tensor gb = div(g, b);
    return std::vector<Tensor>{a.requires_grad() ? sum_to(gb, a.shape()) : Tensor(),
                               b.requires_grad() ? sum_to(neg(mul(gb, saved)), b.shape()) : Tensor()};
  }, "div");
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary(a, b, "pow", [](auto x, auto y) { return std::pow(x, y); });
  const Tensor saved = out.detach();
  return record(out, {a, b}, [a, b, saved](const Tensor& g) {
    Tensor ga, gb;
    if (a.requires_grad()) ga = sum_to(mul(g, mul(b, pow(a, sub(b, scalar_like(b, 1.0))))), a.shape());
    if (b.requires_grad()) gb = sum_to(mul(g, mul(saved, log(a))), b.shape());
    return std::vector<Tensor>{ga, gb};
  }, "pow");
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = binary(a, b, "maximum", [](auto x, auto y) { return x >= y ? x : y; });
  return record(out, {a, b}, [a, b](const Tensor& g) {
    // Ties send the gradient to a, as the forward picked a.
    const Tensor a_wins = binary(a, b, "maximum", [](auto x, auto y) { return x >= y ? decltype(x)(1) : decltype(x)(0); });
    const Tensor b_wins = sub(Tensor::ones({}, a.dtype()), a_wins);
    return std::vector<Tensor>{sum_to(mul(g, a_wins), a.shape()), sum_to(mul(g, b_wins), b.shape())};
  }, "maximum");
}

Tensor add(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }

Tensor pow(const Tensor& a, double exponent) {
  Tensor out = unary(a, [exponent](auto x) { return std::pow(x, static_cast<decltype(x)>(exponent)); });
  return record(out, {a}, [a, exponent](const Tensor& g) {
    return std::vector<Tensor>{mul(g, mul(pow(a, exponent - 1.0), exponent))};
  }, "pow");
}

Tensor neg(const Tensor& x) {
  return record(unary(x, [](auto v) { return -v; }), {x}, [](const Tensor& g) { return std::vector<Tensor>{neg(g)}; },
                "neg");
}

Tensor exp(const Tensor& x) {
  Tensor out = unary_vectorised(x, [](const auto& a) { return a.exp(); });
  const Tensor saved = out.detach();
  return record(out, {x}, [saved](const Tensor& g) { return std::vector<Tensor>{mul(g, saved)}; }, "exp");
}

Tensor log(const Tensor& x) {
  return record(unary_vectorised(x, [](const auto& a) { return a.log(); }), {x},
                [x](const Tensor& g) { return std::vector<Tensor>{div(g, x)}; }, "log");
}

Tensor sqrt(const Tensor& x) {
  Tensor out = unary_vectorised(x, [](const auto& a) { return a.sqrt(); });
  const Tensor saved = out.detach();
  return record(out, {x}, [saved](const Tensor& g) { return std::vector<Tensor>{div(mul(g, 0.5), saved)}; }, "sqrt");
}

Tensor square(const Tensor& x) {
  return record(unary(x, [](auto v) { return v * v; }), {x},
                [x](const Tensor& g) { return std::vector<Tensor>{mul(mul(g, x), 2.0)}; }, "square");
}

Tensor abs(const Tensor& x) {
  return record(unary(x, [](auto v) { return std::abs(v); }), {x}, [x](const Tensor& g) {
    const Tensor sign = unary(x, [](auto v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); });
    return std::vector<Tensor>{mul(g, sign)};
  }, "abs");
}

Tensor sin(const Tensor& x) {
  return record(unary_vectorised(x, [](const auto& a) { return a.sin(); }), {x},
                [x](const Tensor& g) { return std::vector<Tensor>{mul(g, cos(x))}; }, "sin");
}

Tensor cos(const Tensor& x) {
  return record(unary_vectorised(x, [](const auto& a) { return a.cos(); }), {x},
                [x](const Tensor& g) { return std::vector<Tensor>{neg(mul(g, sin(x)))}; }, "cos");
}

Tensor tanh(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    parallel_range(x.numel(), [&](std::int64_t lo, std::int64_t hi) { tanh_block(px + lo, po + lo, hi - lo); });
  });
  const Tensor t = out.detach();
  return record(out, {x}, [t](const Tensor& g) {
    return std::vector<Tensor>{mul(g, sub(Tensor::ones({}, t.dtype()), mul(t, t)))};
  }, "tanh");
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = unary_vectorised(x, [](const auto& a) { return a.logistic(); });
  const Tensor s = out.detach();
  return record(out, {x}, [s](const Tensor& g) {
    return std::vector<Tensor>{mul(g, mul(s, sub(Tensor::ones({}, s.dtype()), s)))};
  }, "sigmoid");
}

Tensor relu(const Tensor& x) {
  return record(unary(x, [](auto v) { return v > 0 ? v : decltype(v)(0); }), {x}, [x](const Tensor& g) {
    return std::vector<Tensor>{mul(g, unary(x, [](auto v) { return v > 0 ? 1.0 : 0.0; }))};
  }, "relu");
}

Tensor silu(const Tensor& x) {
  return record(unary(x, [](auto v) { return v / (1 + std::exp(-v)); }), {x}, [x](const Tensor& g) {
    // d/dx x σ(x) = σ(x) (1 + x (1 − σ(x)))
    return std::vector<Tensor>{mul(g, unary(x, [](auto v) {
                                 const auto s = 1 / (1 + std::exp(-v));
                                 return s * (1 + v * (1 - s));
                               }))};
  }, "silu");
}

Tensor gelu(const Tensor& x) {
  return record(unary(x, [](auto v) { return 0.5 * v * (1 + std::erf(v / std::numbers::sqrt2)); }), {x},
                [x](const Tensor& g) {
                  // Φ(x) + x φ(x)
                  return std::vector<Tensor>{mul(g, unary(x, [](auto v) {
                                               const double d = static_cast<double>(v);
                                               return 0.5 * (1 + std::erf(d / std::numbers::sqrt2)) +
                                                      d * std::exp(-0.5 * d * d) / std::sqrt(2 * std::numbers::pi);
                                             }))};
                }, "gelu");
}

Tensor softplus(const Tensor& x) {
  return record(unary(x, [](auto v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }), {x},
                [x](const Tensor& g) { return std::vector<Tensor>{mul(g, sigmoid(x))}; }, "softplus");
}

Tensor normal_cdf(const Tensor& x) {
  return record(unary(x, [](auto v) { return 0.5 * std::erfc(-static_cast<double>(v) / std::numbers::sqrt2); }),
                {x}, [x](const Tensor& g) {
                  return std::vector<Tensor>{mul(g, mul(exp(mul(square(x), -0.5)), 1.0 / std::sqrt(2 * std::numbers::pi)))};
                }, "normal_cdf");
}

Tensor step(const Tensor& x) { return unary(x, [](auto v) { return v > 0 ? 1.0 : 0.0; }); }

}  // namespace anneal::nn
