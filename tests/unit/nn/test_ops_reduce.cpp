// Reductions of nn/ops_reduce.cpp: sum, mean, max, norm, sum_to, broadcast_to. Forward values against
// explicit loops over multi-indices, gradients against finite differences.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::ravel;
using anneal::test::require_gradcheck;
using anneal::test::unravel;

namespace {

// Output shape of reducing `shape` over `axes` (already in [0, rank)).
Shape reduced_shape(const Shape& shape, const std::vector<std::int64_t>& axes, bool keepdim) {
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), static_cast<std::int64_t>(d)) != axes.end();
    if (!reduced) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Σ over `axes` by visiting every input element once.
std::vector<double> ref_sum(const Tensor& x, const std::vector<std::int64_t>& axes) {
  const Shape kept = reduced_shape(x.shape(), axes, true);
  std::vector<double> out(static_cast<std::size_t>(numel(kept)), 0.0);
  const double* p = x.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    auto index = unravel(i, x.shape());
    for (auto a : axes) index[static_cast<std::size_t>(a)] = 0;
    out[static_cast<std::size_t>(ravel(index, kept))] += p[i];
  }
  return out;
}

std::int64_t count_over(const Shape& shape, const std::vector<std::int64_t>& axes) {
  std::int64_t n = 1;
  for (auto a : axes) n *= shape[static_cast<std::size_t>(a)];
  return n;
}

struct AxesCase {
  std::string name;
  std::vector<std::int64_t> axes;        // as passed to the op
  std::vector<std::int64_t> normalized;  // the same, in [0, 3)
};

std::vector<AxesCase> axes_cases() {
  return {
      {"axis 0", {0}, {0}},
      {"axis 1", {1}, {1}},
      {"axis 2", {2}, {2}},
      {"axis -1", {-1}, {2}},
      {"axis -3", {-3}, {0}},
      {"axes 0,2", {0, 2}, {0, 2}},
      {"axes 2,0 (unsorted)", {2, 0}, {0, 2}},
      {"axes -1,1", {-1, 1}, {1, 2}},
      {"axes -3,-2", {-3, -2}, {0, 1}},
      {"all axes listed", {0, 1, 2}, {0, 1, 2}},
      {"all axes (empty list)", {}, {0, 1, 2}},
  };
}

}  // namespace

TEST_CASE("sum and mean over single, several, negative and all axes, with and without keepdim",
          "[nn][ops][reduce]") {
  const Shape shape{2, 3, 4};
  for (const auto& c : axes_cases()) {
    for (bool keepdim : {false, true}) {
      DYNAMIC_SECTION(c.name << (keepdim ? ", keepdim" : "")) {
        const Tensor x = randn64(shape, 200);
        const Shape want_shape = reduced_shape(shape, c.normalized, keepdim);
        const std::vector<double> want = ref_sum(x, c.normalized);
        const double n = static_cast<double>(count_over(shape, c.normalized));

        const Tensor s = sum(x, c.axes, keepdim);
        CHECK(s.shape() == want_shape);
        CHECK(max_rel_diff(s.to_vector(), want, 1e-12) <= 1e-14);

        const Tensor m = mean(x, c.axes, keepdim);
        CHECK(m.shape() == want_shape);
        std::vector<double> want_mean = want;
        for (auto& v : want_mean) v /= n;
        CHECK(max_rel_diff(m.to_vector(), want_mean, 1e-12) <= 1e-14);

        require_gradcheck([&](const std::vector<Tensor>& in) { return sum(in[0], c.axes, keepdim); },
                          {x.detach().clone()});
        require_gradcheck([&](const std::vector<Tensor>& in) { return mean(in[0], c.axes, keepdim); },
                          {x.detach().clone()});
      }
    }
  }
}

TEST_CASE("sum of a scalar tensor, of a vector, and over an axis of extent 0", "[nn][ops][reduce]") {
  const Tensor s = Tensor::scalar(2.5, DType::f64);
  CHECK(sum(s).shape() == Shape{});
  CHECK(sum(s).item() == 2.5);
  CHECK(mean(s).item() == 2.5);
  require_gradcheck([](const std::vector<Tensor>& in) { return sum(in[0]); }, {Tensor::scalar(-1.5, DType::f64)});

  const Tensor v = Tensor::from_vector({1, 2, 3, 4}, {4}, DType::f64);
  CHECK(sum(v).item() == 10.0);
  CHECK(mean(v).item() == 2.5);
  CHECK(sum(v, {0}, true).shape() == Shape{1});

  const Tensor e = Tensor::zeros({2, 0, 3}, DType::f64);
  const Tensor se = sum(e, {1});
  CHECK(se.shape() == Shape{2, 3});
  CHECK(se.to_vector() == std::vector<double>(6, 0.0));
  CHECK(sum(e, {0}).shape() == Shape{0, 3});
  CHECK(sum(e).item() == 0.0);
}

TEST_CASE("sum and mean reject repeated and out-of-range axes", "[nn][ops][reduce]") {
  const Tensor x = randn64({2, 3}, 5);
  CHECK_THROWS_AS(sum(x, {0, 0}), anneal::Error);
  CHECK_THROWS_AS(sum(x, {1, -1}), anneal::Error);
  CHECK_THROWS_AS(sum(x, {2}), anneal::Error);
  CHECK_THROWS_AS(mean(x, {-3}), anneal::Error);
}

TEST_CASE("max over one axis: values, shape, and gradient to the maximum", "[nn][ops][reduce]") {
  // Distinct values at least 0.05 apart (no ties, and the arg-max is stable within the stencil).
  const Shape shape{3, 4, 5};
  std::vector<double> values(60);
  std::iota(values.begin(), values.end(), 0.0);
  anneal::RandomStream rng(77, 0);
  std::shuffle(values.begin(), values.end(), rng);
  for (auto& v : values) v = 0.05 * v - 1.5;
  const Tensor x = Tensor::from_vector(values, shape, DType::f64);

  for (std::int64_t axis : {0, 1, 2, -1, -2}) {
    for (bool keepdim : {false, true}) {
      DYNAMIC_SECTION("axis " << axis << (keepdim ? ", keepdim" : "")) {
        const auto a = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
        const Shape want_shape = reduced_shape(shape, {static_cast<std::int64_t>(a)}, keepdim);
        const Shape kept = reduced_shape(shape, {static_cast<std::int64_t>(a)}, true);
        std::vector<double> want(static_cast<std::size_t>(numel(kept)), -1e300);
        for (std::int64_t i = 0; i < x.numel(); ++i) {
          auto index = unravel(i, shape);
          index[a] = 0;
          auto& w = want[static_cast<std::size_t>(ravel(index, kept))];
          w = std::max(w, values[static_cast<std::size_t>(i)]);
        }
        const Tensor m = max(x, axis, keepdim);
        CHECK(m.shape() == want_shape);
        CHECK(m.to_vector() == want);
        require_gradcheck([&](const std::vector<Tensor>& in) { return max(in[0], axis, keepdim); },
                          {x.detach().clone()});
      }
    }
  }
}

TEST_CASE("max rejects an empty or out-of-range axis", "[nn][ops][reduce]") {
  CHECK_THROWS_AS(max(Tensor::zeros({2, 0}, DType::f64), 1), anneal::Error);
  CHECK_THROWS_AS(max(Tensor::zeros({2, 3}, DType::f64), 2), anneal::Error);
}

TEST_CASE("max sends the gradient of a tie to the first maximum", "[nn][ops][reduce]") {
  const Tensor x = Tensor::from_vector({1, 3, 3, 2}, {4}, DType::f64).set_requires_grad(true);
  const Tensor m = max(x, 0);
  CHECK(m.item() == 3.0);
  CHECK(grad(m, {x})[0].to_vector() == std::vector<double>{0, 1, 0, 0});
}

TEST_CASE("norm is the Euclidean norm of all elements", "[nn][ops][reduce]") {
  const Tensor x = randn64({3, 2, 4}, 300);
  double ss = 0;
  for (double v : x.to_vector()) ss += v * v;
  const Tensor n = norm(x);
  CHECK(n.shape() == Shape{});
  CHECK(n.item() == Approx(std::sqrt(ss)).epsilon(1e-14));
  require_gradcheck([](const std::vector<Tensor>& in) { return norm(in[0]); }, {x.detach().clone()});
  CHECK(norm(Tensor::from_vector({3, 4}, {2}, DType::f64)).item() == 5.0);
}

TEST_CASE("broadcast_to and sum_to: values, round trips and gradients", "[nn][ops][reduce]") {
  struct Case {
    Shape small, big;
  };
  const std::vector<Case> cases = {
      {{3, 1}, {2, 3, 4}}, {{4}, {2, 3, 4}}, {{}, {2, 3}}, {{1, 1}, {3, 5}}, {{2, 1, 3}, {2, 4, 3}}, {{2, 3}, {2, 3}},
      {{1}, {5}},
  };
  std::uint64_t stream = 400;
  for (const auto& c : cases) {
    DYNAMIC_SECTION(to_string(c.small) << " <-> " << to_string(c.big)) {
      const Tensor x = randn64(c.small, stream);
      const Tensor b = broadcast_to(x, c.big);
      REQUIRE(b.shape() == c.big);
      // Every element of b is the element of x it broadcasts from.
      const auto bv = b.to_vector();
      const std::size_t lead = c.big.size() - c.small.size();
      for (std::int64_t i = 0; i < b.numel(); ++i) {
        const auto index = unravel(i, c.big);
        std::vector<std::int64_t> own(c.small.size());
        for (std::size_t d = 0; d < own.size(); ++d) own[d] = c.small[d] == 1 ? 0 : index[lead + d];
        CHECK(bv[static_cast<std::size_t>(i)] == x.data<double>()[ravel(own, c.small)]);
      }
      // sum_to(broadcast_to(x)) = (number of copies) x.
      const double copies = static_cast<double>(numel(c.big) / std::max<std::int64_t>(1, numel(c.small)));
      const Tensor back = sum_to(b, c.small);
      REQUIRE(back.shape() == c.small);
      std::vector<double> want = x.to_vector();
      for (auto& v : want) v *= copies;
      CHECK(max_rel_diff(back.to_vector(), want, 1e-12) <= 1e-14);

      // sum_to of arbitrary data against explicit loops.
      const Tensor y = randn64(c.big, stream + 1);
      std::vector<double> want_sum(static_cast<std::size_t>(numel(c.small)), 0.0);
      const auto yv = y.to_vector();
      for (std::int64_t i = 0; i < y.numel(); ++i) {
        const auto index = unravel(i, c.big);
        std::vector<std::int64_t> own(c.small.size());
        for (std::size_t d = 0; d < own.size(); ++d) own[d] = c.small[d] == 1 ? 0 : index[lead + d];
        want_sum[static_cast<std::size_t>(ravel(own, c.small))] += yv[static_cast<std::size_t>(i)];
      }
      CHECK(max_rel_diff(sum_to(y, c.small).to_vector(), want_sum, 1e-12) <= 1e-14);

      const Shape small = c.small, big = c.big;
      require_gradcheck([&](const std::vector<Tensor>& in) { return broadcast_to(in[0], big); }, {x.detach().clone()});
      require_gradcheck([&](const std::vector<Tensor>& in) { return sum_to(in[0], small); }, {y.detach().clone()});
    }
    stream += 2;
  }
}

TEST_CASE("broadcast_to and sum_to reject incompatible shapes", "[nn][ops][reduce]") {
  CHECK_THROWS_AS(broadcast_to(Tensor::zeros({3, 1}, DType::f64), {1, 4}), anneal::Error);
  CHECK_THROWS_AS(broadcast_to(Tensor::zeros({3}, DType::f64), {4}), anneal::Error);
  CHECK_THROWS_AS(broadcast_to(Tensor::zeros({2, 3}, DType::f64), {3}), anneal::Error);
  CHECK_THROWS_AS(sum_to(Tensor::zeros({2, 3}, DType::f64), {4}), anneal::Error);
  CHECK_THROWS_AS(sum_to(Tensor::zeros({3}, DType::f64), {2, 3}), anneal::Error);
}
