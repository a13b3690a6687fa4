// Element-wise ops of nn/ops_elementwise.cpp: forward values against std:: functions and hand-written
// broadcasting loops, gradients against fourth-order finite differences (tests/unit/nn/gradcheck.hpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;
using anneal::test::uniform64;

namespace {

// Uniform data in [lo, hi) pushed away from 0 by `gap` (for kinks at 0: relu, abs).
Tensor away_from_zero(const Shape& shape, double lo, double hi, double gap, std::uint64_t stream) {
  Tensor x = uniform64(shape, lo, hi, stream);
  double* p = x.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) p[i] = p[i] >= 0 ? p[i] + gap : p[i] - gap;
  return x;
}

double ref_sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }
double ref_softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
double ref_gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::numbers::sqrt2)); }

struct UnaryCase {
  std::string name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  double lo, hi;  // input range
  bool kink_at_zero = false;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double x) { return -x; }, -2, 2},
      {"operator-", [](const Tensor& x) { return -x; }, [](double x) { return -x; }, -2, 2},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }, -2, 2},
      {"log", [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); }, 0.3, 3},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }, 0.3, 3},
      {"square", [](const Tensor& x) { return square(x); }, [](double x) { return x * x; }, -2, 2},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double x) { return std::abs(x); }, -2, 2, true},
      {"sin", [](const Tensor& x) { return sin(x); }, [](double x) { return std::sin(x); }, -3, 3},
      {"cos", [](const Tensor& x) { return cos(x); }, [](double x) { return std::cos(x); }, -3, 3},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); }, -2, 2},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, ref_sigmoid, -4, 4},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; }, -2, 2, true},
      {"silu", [](const Tensor& x) { return silu(x); }, [](double x) { return x * ref_sigmoid(x); }, -4, 4},
      {"gelu", [](const Tensor& x) { return gelu(x); }, ref_gelu, -4, 4},
      {"softplus", [](const Tensor& x) { return softplus(x); }, ref_softplus, -4, 4},
      {"normal_cdf", [](const Tensor& x) { return normal_cdf(x); },
       [](double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }, -3, 3},
      {"pow 2.5", [](const Tensor& x) { return pow(x, 2.5); }, [](double x) { return std::pow(x, 2.5); }, 0.3, 2},
      {"pow -1.5", [](const Tensor& x) { return pow(x, -1.5); }, [](double x) { return std::pow(x, -1.5); }, 0.3, 2},
      {"pow 0.5", [](const Tensor& x) { return pow(x, 0.5); }, [](double x) { return std::sqrt(x); }, 0.3, 2},
      {"pow 3 of negatives", [](const Tensor& x) { return pow(x, 3.0); }, [](double x) { return x * x * x; }, -2, 2},
      {"add double", [](const Tensor& x) { return x + 1.75; }, [](double x) { return x + 1.75; }, -2, 2},
      {"mul double", [](const Tensor& x) { return -2.5 * x; }, [](double x) { return -2.5 * x; }, -2, 2},
      {"double minus tensor", [](const Tensor& x) { return 3.0 - x; }, [](double x) { return 3.0 - x; }, -2, 2},
  };
}

}  // namespace

TEST_CASE("Unary ops: forward matches std:: functions and gradients match finite differences", "[nn][ops][unary]") {
  std::uint64_t stream = 100;
  for (const auto& c : unary_cases()) {
    DYNAMIC_SECTION(c.name) {
      const Tensor x = c.kink_at_zero ? away_from_zero({3, 4}, c.lo, c.hi, 0.1, stream)
                                      : uniform64({3, 4}, c.lo, c.hi, stream);
      const Tensor y = c.op(x);
      REQUIRE(y.shape() == x.shape());
      REQUIRE(y.dtype() == DType::f64);
      std::vector<double> want;
      for (double v : x.to_vector()) want.push_back(c.ref(v));
      CHECK(max_rel_diff(y.to_vector(), want) <= 1e-14);
      require_gradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0]); }, {x.detach().clone()});
    }
    ++stream;
  }
}

TEST_CASE("Unary ops on a scalar tensor and on an empty tensor keep the shape", "[nn][ops][unary]") {
  for (const auto& c : unary_cases()) {
    INFO(c.name);
    const Tensor s = Tensor::scalar(0.75, DType::f64);
    const Tensor ys = c.op(s);
    CHECK(ys.shape() == Shape{});
    CHECK(ys.item() == Approx(c.ref(0.75)).epsilon(1e-14));
    const Tensor e = Tensor::zeros({0, 3}, DType::f64);
    CHECK(c.op(e).shape() == Shape{0, 3});
  }
}

TEST_CASE("softplus, sigmoid, silu and gelu are stable for large arguments", "[nn][ops][unary]") {
  const Tensor x = Tensor::from_vector({-800, -50, -20, 20, 50, 800}, {6}, DType::f64);
  const auto sp = softplus(x).to_vector();
  const auto sg = sigmoid(x).to_vector();
  const auto si = silu(x).to_vector();
  const auto ge = gelu(x).to_vector();
  const auto xs = x.to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    INFO("x = " << xs[i]);
    CHECK(std::isfinite(sp[i]));
    CHECK(std::isfinite(sg[i]));
    CHECK(std::isfinite(si[i]));
    CHECK(std::isfinite(ge[i]));
    CHECK(sp[i] == Approx(ref_softplus(xs[i])).epsilon(1e-14).margin(0));
    CHECK(sg[i] == Approx(ref_sigmoid(xs[i])).epsilon(1e-14).margin(0));
    CHECK(si[i] == Approx(xs[i] * ref_sigmoid(xs[i])).epsilon(1e-14).margin(0));
    CHECK(ge[i] == Approx(ref_gelu(xs[i])).epsilon(1e-14).margin(0));
  }
  CHECK(sp[4] == 50.0);                                         // 50 + log1p(e^-50) rounds to 50
  CHECK(sp[1] == Approx(std::exp(-50.0)).epsilon(1e-14).margin(0));  // log1p(e^-50) = e^-50 (1 - ...)
  CHECK(sp[5] == 800.0);
  CHECK(sp[0] == 0.0);

  // Gradients at ±50: σ(±50).
  require_gradcheck([](const std::vector<Tensor>& in) { return softplus(in[0]); },
                    {Tensor::from_vector({-50, 50}, {2}, DType::f64)});
  const Tensor g = Tensor::from_vector({-50, 50}, {2}, DType::f64).set_requires_grad(true);
  const auto d = grad(sum(softplus(g)), {g})[0].to_vector();
  CHECK(d[0] == Approx(ref_sigmoid(-50)).epsilon(1e-12).margin(0));
  CHECK(d[1] == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("step is 1 for x > 0 and 0 otherwise and passes no gradient", "[nn][ops][unary]") {
  const Tensor x = Tensor::from_vector({-1, 0, 1e-300, 2}, {4}, DType::f64).set_requires_grad(true);
  const Tensor s = step(x);
  CHECK(s.to_vector() == std::vector<double>{0, 0, 1, 1});
  CHECK_FALSE(s.requires_grad());
}

// ---------------------------------------------------------------------------------------------
// Binary ops with broadcasting.

namespace {

// NumPy's broadcast shape, computed independently of the library.
Shape ref_broadcast_shape(const Shape& a, const Shape& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t ia = i + a.size(), ib = i + b.size();  // index + size - rank, kept unsigned
    const std::int64_t ea = ia >= rank ? a[ia - rank] : 1;
    const std::int64_t eb = ib >= rank ? b[ib - rank] : 1;
    REQUIRE((ea == eb || ea == 1 || eb == 1));
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

// The element of `x` that output index `index` reads under broadcasting.
double broadcast_read(const Tensor& x, const std::vector<std::int64_t>& index) {
  const Shape& s = x.shape();
  std::vector<std::int64_t> own(s.size());
  const std::size_t lead = index.size() - s.size();
  for (std::size_t d = 0; d < s.size(); ++d) own[d] = s[d] == 1 ? 0 : index[lead + d];
  return x.data<double>()[anneal::test::ravel(own, s)];
}

std::vector<double> ref_binary(const Tensor& a, const Tensor& b, const std::function<double(double, double)>& f) {
  const Shape out = ref_broadcast_shape(a.shape(), b.shape());
  std::vector<double> values(static_cast<std::size_t>(numel(out)));
  for (std::int64_t i = 0; i < numel(out); ++i) {
    const auto index = anneal::test::unravel(i, out);
    values[static_cast<std::size_t>(i)] = f(broadcast_read(a, index), broadcast_read(b, index));
  }
  return values;
}

struct BinaryCase {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> ref;
  // Input generators: (shape, stream) -> tensor.
  std::function<Tensor(const Shape&, std::uint64_t)> make_a, make_b;
};

Tensor normal_data(const Shape& s, std::uint64_t stream) { return randn64(s, stream); }
Tensor positive_data(const Shape& s, std::uint64_t stream) { return uniform64(s, 0.5, 2.0, stream); }
Tensor exponent_data(const Shape& s, std::uint64_t stream) { return uniform64(s, -2.0, 2.0, stream); }
Tensor divisor_data(const Shape& s, std::uint64_t stream) { return away_from_zero(s, -1.5, 1.5, 0.5, stream); }
// maximum: a on the grid 0.3 k, b on 0.3 k + 0.15, so |a - b| >= 0.15 everywhere (no ties, and
// no switch of the winner within the finite-difference stencil).
Tensor grid_data(const Shape& s, std::uint64_t stream, double offset) {
  Tensor x = uniform64(s, -6.0, 6.0, stream);
  double* p = x.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) p[i] = 0.3 * std::round(p[i]) + offset;
  return x;
}

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }, [](double x, double y) { return x + y; },
       normal_data, normal_data},
      {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }, [](double x, double y) { return x - y; },
       normal_data, normal_data},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }, [](double x, double y) { return x * y; },
       normal_data, normal_data},
      {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }, [](double x, double y) { return x / y; },
       normal_data, divisor_data},
      {"pow", [](const Tensor& a, const Tensor& b) { return pow(a, b); },
       [](double x, double y) { return std::pow(x, y); }, positive_data, exponent_data},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); },
       [](double x, double y) { return std::max(x, y); },
       [](const Shape& s, std::uint64_t stream) { return grid_data(s, stream, 0.0); },
       [](const Shape& s, std::uint64_t stream) { return grid_data(s, stream, 0.15); }},
      {"operator+", [](const Tensor& a, const Tensor& b) { return a + b; }, [](double x, double y) { return x + y; },
       normal_data, normal_data},
      {"operator-", [](const Tensor& a, const Tensor& b) { return a - b; }, [](double x, double y) { return x - y; },
       normal_data, normal_data},
      {"operator*", [](const Tensor& a, const Tensor& b) { return a * b; }, [](double x, double y) { return x * y; },
       normal_data, normal_data},
      {"operator/", [](const Tensor& a, const Tensor& b) { return a / b; }, [](double x, double y) { return x / y; },
       normal_data, divisor_data},
  };
}

struct ShapePair {
  std::string name;
  Shape a, b, out;
};

std::vector<ShapePair> broadcast_pairs() {
  return {
      {"same shape", {3, 4}, {3, 4}, {3, 4}},
      {"[3,4] with [4]", {3, 4}, {4}, {3, 4}},
      {"[4] with [3,4]", {4}, {3, 4}, {3, 4}},
      {"[3,1] with [1,4]", {3, 1}, {1, 4}, {3, 4}},
      {"[2,3,4] with [3,1]", {2, 3, 4}, {3, 1}, {2, 3, 4}},
      {"scalar with [2,3]", {}, {2, 3}, {2, 3}},
      {"[2,3] with scalar", {2, 3}, {}, {2, 3}},
      {"scalar with scalar", {}, {}, {}},
      {"[5,1,3] with [4,1]", {5, 1, 3}, {4, 1}, {5, 4, 3}},
      {"size-1 axis on both sides [2,1,3] with [1,1,3]", {2, 1, 3}, {1, 1, 3}, {2, 1, 3}},
      {"[2,1,3] with [2,1,1]", {2, 1, 3}, {2, 1, 1}, {2, 1, 3}},
      {"[1] with [3,1,2]", {1}, {3, 1, 2}, {3, 1, 2}},
  };
}

}  // namespace

TEST_CASE("Binary ops broadcast as NumPy does: forward against explicit loops, gradients of both operands",
          "[nn][ops][binary]") {
  std::uint64_t stream = 1000;
  for (const auto& c : binary_cases()) {
    for (const auto& p : broadcast_pairs()) {
      DYNAMIC_SECTION(c.name << ": " << p.name) {
        const Tensor a = c.make_a(p.a, stream), b = c.make_b(p.b, stream + 1);
        const Tensor y = c.op(a, b);
        REQUIRE(y.shape() == p.out);
        REQUIRE(ref_broadcast_shape(p.a, p.b) == p.out);
        CHECK(max_rel_diff(y.to_vector(), ref_binary(a, b, c.ref)) <= 1e-15);
        require_gradcheck([&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); },
                          {a.detach().clone(), b.detach().clone()});
      }
      stream += 2;
    }
  }
}

TEST_CASE("Binary ops with one operand that requires no gradient", "[nn][ops][binary]") {
  const Tensor c = randn64({3, 1}, 7);
  const Tensor x = randn64({2, 3, 4}, 8);
  // mul/div/maximum/pow must still give the other operand's gradient.
  require_gradcheck([&](const std::vector<Tensor>& in) { return mul(in[0], c); }, {x.clone().detach()});
  require_gradcheck([&](const std::vector<Tensor>& in) { return div(c, add(square(in[0]), 1.0)); },
                    {x.clone().detach()});
  // pow with a constant integer exponent tensor works for negative bases (no log(a) needed).
  const Tensor three = Tensor::scalar(3.0, DType::f64);
  require_gradcheck([&](const std::vector<Tensor>& in) { return pow(in[0], three); }, {x.clone().detach()});
  const Tensor y = pow(x, three);
  std::vector<double> want;
  for (double v : x.to_vector()) want.push_back(v * v * v);
  CHECK(max_rel_diff(y.to_vector(), want) <= 1e-15);
}

TEST_CASE("Binary ops with an axis of extent 0 give the broadcast shape", "[nn][ops][binary]") {
  struct Case {
    Shape a, b, out;
  };
  const std::vector<Case> cases = {
      {{0, 3}, {3}, {0, 3}},       {{0, 3}, {1, 3}, {0, 3}}, {{2, 0}, {2, 1}, {2, 0}},
      {{0}, {1}, {0}},             {{}, {0}, {0}},           {{3, 1, 0}, {4, 1}, {3, 4, 0}},
      {{0, 1}, {1, 5}, {0, 5}},
  };
  for (const auto& k : cases) {
    INFO(to_string(k.a) << " with " << to_string(k.b));
    const Tensor a = Tensor::ones(k.a, DType::f64), b = Tensor::ones(k.b, DType::f64);
    CHECK(add(a, b).shape() == k.out);
    CHECK(sub(b, a).shape() == k.out);
    CHECK(mul(a, b).shape() == k.out);
    CHECK(div(a, b).shape() == k.out);
    CHECK(pow(a, b).shape() == k.out);
    CHECK(maximum(a, b).shape() == k.out);
  }
  // An extent of 0 broadcasts against 1 only.
  CHECK_THROWS_AS(add(Tensor::ones({0}, DType::f64), Tensor::ones({2}, DType::f64)), anneal::Error);
}

TEST_CASE("Binary ops reject shapes that do not broadcast", "[nn][ops][binary]") {
  const Tensor a = Tensor::ones({2, 3}, DType::f64), b = Tensor::ones({4}, DType::f64);
  CHECK_THROWS_AS(add(a, b), anneal::Error);
  CHECK_THROWS_AS(mul(a, b), anneal::Error);
  CHECK_THROWS_AS(maximum(Tensor::ones({2, 3}, DType::f64), Tensor::ones({3, 3}, DType::f64)), anneal::Error);
  CHECK_THROWS_WITH(add(a, b), Catch::Contains("[2, 3]") && Catch::Contains("[4]"));
}

TEST_CASE("Broadcasting binary ops on tensors large enough to run in parallel", "[nn][ops][binary]") {
  // 2 * 2^14 elements and more take the oneTBB path.
  const Tensor a = randn64({70, 1, 513}, 41), b = randn64({2, 1}, 42), c = randn64({70, 2, 513}, 43);
  const Tensor y = mul(add(a, b), c);
  REQUIRE(y.shape() == Shape{70, 2, 513});
  const auto ab = ref_binary(a, b, [](double x, double z) { return x + z; });
  const Tensor ab_t = Tensor::from_vector(ab, {70, 2, 513}, DType::f64);
  CHECK(max_rel_diff(y.to_vector(), ref_binary(ab_t, c, [](double x, double z) { return x * z; })) <= 1e-15);
  const Tensor e = exp(c);
  std::vector<double> want;
  for (double v : c.to_vector()) want.push_back(std::exp(v));
  CHECK(max_rel_diff(e.to_vector(), want) <= 1e-15);
}

// Regression (accuracy): normal_cdf computed Φ(x) = 0.5 (1 + erf(x/√2)), which cancels for x << 0:
// relative error ~1e-16/Φ(x), and Φ(-10) = 7.6e-24 came out as exactly 0. 0.5 erfc(-x/√2) is
// accurate everywhere.
TEST_CASE("normal_cdf keeps its relative accuracy in the left tail", "[nn][ops][unary]") {
  const std::vector<double> xs{-3, -5, -10, -20};
  const Tensor y = normal_cdf(Tensor::from_vector(xs, {4}, DType::f64));
  const auto got = y.to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    INFO("x = " << xs[i]);
    CHECK(got[i] == Approx(0.5 * std::erfc(-xs[i] / std::numbers::sqrt2)).epsilon(1e-12).margin(0));
  }
}
