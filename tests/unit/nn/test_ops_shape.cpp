// Shape ops of nn/ops_shape.cpp: reshape, permute, transpose, concat, stack, slice, unsqueeze,
// squeeze. Forward values by index, gradients against finite differences.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::randn64;
using anneal::test::ravel;
using anneal::test::require_gradcheck;
using anneal::test::unravel;

namespace {
double at(const Tensor& x, const std::vector<std::int64_t>& index) { return x.data<double>()[ravel(index, x.shape())]; }
}  // namespace

TEST_CASE("reshape keeps the elements in row-major order, infers -1, and shares data", "[nn][ops][shape]") {
  Tensor x = randn64({2, 3, 4}, 700);
  const Tensor r = x.reshape({-1, 4});
  CHECK(r.shape() == Shape{6, 4});
  CHECK(r.to_vector() == x.to_vector());
  CHECK(x.reshape({4, -1}).shape() == Shape{4, 6});
  CHECK(x.reshape({-1}).shape() == Shape{24});
  CHECK(x.reshape({2, -1, 2}).shape() == Shape{2, 6, 2});
  CHECK(x.reshape({1, 24, 1}).shape() == Shape{1, 24, 1});
  CHECK(Tensor::scalar(3.0, DType::f64).reshape({1, 1}).shape() == Shape{1, 1});
  CHECK(Tensor::zeros({1}, DType::f64).reshape({}).shape() == Shape{});
  // Shared storage: a write through x shows in r.
  x.data<double>()[5] = 42.0;
  CHECK(r.data<double>()[5] == 42.0);

  CHECK_THROWS_AS(x.reshape({-1, -1}), anneal::Error);
  CHECK_THROWS_AS(x.reshape({5, -1}), anneal::Error);
  CHECK_THROWS_AS(x.reshape({25}), anneal::Error);

  require_gradcheck([](const std::vector<Tensor>& in) { return in[0].reshape({-1, 4}); }, {x.detach().clone()});
  // The gradient must go through the reshape to where the data is used.
  require_gradcheck([](const std::vector<Tensor>& in) { return square(in[0].reshape({3, 8})); }, {x.detach().clone()});
}

TEST_CASE("permute of a 3-D tensor moves every element to its permuted index", "[nn][ops][shape]") {
  const Tensor x = randn64({2, 3, 4}, 710);
  const std::vector<std::vector<std::int64_t>> orders = {{0, 1, 2}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}, {0, 2, 1}, {-1, 0, -2}};
  for (const auto& order : orders) {
    DYNAMIC_SECTION("order " << order[0] << "," << order[1] << "," << order[2]) {
      std::vector<std::size_t> axes;
      for (auto o : order) axes.push_back(static_cast<std::size_t>(o < 0 ? o + 3 : o));
      const Tensor y = permute(x, order);
      const Shape want_shape{x.shape()[axes[0]], x.shape()[axes[1]], x.shape()[axes[2]]};
      REQUIRE(y.shape() == want_shape);
      // y[i0, i1, i2] = x[j] with j[axes[d]] = i_d.
      for (std::int64_t f = 0; f < y.numel(); ++f) {
        const auto i = unravel(f, y.shape());
        std::vector<std::int64_t> j(3);
        for (std::size_t d = 0; d < 3; ++d) j[axes[d]] = i[d];
        CHECK(y.data<double>()[f] == at(x, j));
      }
      require_gradcheck([&](const std::vector<Tensor>& in) { return permute(in[0], order); }, {x.detach().clone()});
    }
  }
  CHECK_THROWS_AS(permute(x, {0, 1}), anneal::Error);
  CHECK_THROWS_AS(permute(x, {0, 1, 1}), anneal::Error);
  CHECK_THROWS_AS(permute(x, {0, 1, 3}), anneal::Error);
}

TEST_CASE("transpose swaps two axes, the last two by default", "[nn][ops][shape]") {
  const Tensor x = randn64({2, 3, 4}, 720);
  const Tensor t = transpose(x);
  REQUIRE(t.shape() == Shape{2, 4, 3});
  for (std::int64_t a = 0; a < 2; ++a)
    for (std::int64_t b = 0; b < 3; ++b)
      for (std::int64_t c = 0; c < 4; ++c) CHECK(at(t, {a, c, b}) == at(x, {a, b, c}));
  const Tensor t02 = transpose(x, 0, 2);
  REQUIRE(t02.shape() == Shape{4, 3, 2});
  for (std::int64_t a = 0; a < 2; ++a)
    for (std::int64_t b = 0; b < 3; ++b)
      for (std::int64_t c = 0; c < 4; ++c) CHECK(at(t02, {c, b, a}) == at(x, {a, b, c}));
  CHECK(transpose(x, -3, 1).shape() == Shape{3, 2, 4});
  CHECK(transpose(x, 1, 1).to_vector() == x.to_vector());
  require_gradcheck([](const std::vector<Tensor>& in) { return transpose(in[0]); }, {x.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return transpose(in[0], 0, -1); }, {x.detach().clone()});
  CHECK_THROWS_AS(transpose(x, 0, 3), anneal::Error);
}

TEST_CASE("concat of 3 parts along a middle axis", "[nn][ops][shape]") {
  const Tensor p0 = randn64({2, 1, 4}, 730), p1 = randn64({2, 3, 4}, 731), p2 = randn64({2, 2, 4}, 732);
  for (std::int64_t axis : {1, -2}) {
    const Tensor y = concat({p0, p1, p2}, axis);
    REQUIRE(y.shape() == Shape{2, 6, 4});
    for (std::int64_t a = 0; a < 2; ++a)
      for (std::int64_t b = 0; b < 6; ++b)
        for (std::int64_t c = 0; c < 4; ++c) {
          const double want = b < 1 ? at(p0, {a, b, c}) : b < 4 ? at(p1, {a, b - 1, c}) : at(p2, {a, b - 4, c});
          CHECK(at(y, {a, b, c}) == want);
        }
  }
  require_gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[1], in[2]}, 1); },
                    {p0.detach().clone(), p1.detach().clone(), p2.detach().clone()});
  // First and last axes too.
  require_gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[1]}, 0); },
                    {randn64({1, 3}, 733), randn64({2, 3}, 734)});
  require_gradcheck([](const std::vector<Tensor>& in) { return concat({in[0], in[1]}, -1); },
                    {randn64({3, 1}, 735), randn64({3, 2}, 736)});
  // A part of extent 0 along the axis contributes nothing.
  const Tensor empty = Tensor::zeros({2, 0, 4}, DType::f64);
  CHECK(concat({p0, empty, p2}, 1).shape() == Shape{2, 3, 4});
  // Only some parts require gradients.
  require_gradcheck([&](const std::vector<Tensor>& in) { return concat({p0, in[0], p2}, 1); }, {p1.detach().clone()});

  CHECK_THROWS_AS(concat({p0, randn64({3, 1, 4}, 737)}, 1), anneal::Error);
  CHECK_THROWS_AS(concat({p0, randn64({2, 4}, 738)}, 1), anneal::Error);
  CHECK_THROWS_AS(concat({}, 0), anneal::Error);
  CHECK_THROWS_AS(concat({p0, p1}, 3), anneal::Error);
}

TEST_CASE("stack along a new axis 0 and -1", "[nn][ops][shape]") {
  const Tensor p0 = randn64({2, 3}, 740), p1 = randn64({2, 3}, 741), p2 = randn64({2, 3}, 742);
  const std::vector<Tensor> parts{p0, p1, p2};
  const Tensor s0 = stack(parts, 0);
  REQUIRE(s0.shape() == Shape{3, 2, 3});
  const Tensor s1 = stack(parts, 1);
  REQUIRE(s1.shape() == Shape{2, 3, 3});
  const Tensor sl = stack(parts, -1);
  REQUIRE(sl.shape() == Shape{2, 3, 3});
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t i = 0; i < 2; ++i)
      for (std::int64_t j = 0; j < 3; ++j) {
        const double want = at(parts[static_cast<std::size_t>(k)], {i, j});
        CHECK(at(s0, {k, i, j}) == want);
        CHECK(at(s1, {i, k, j}) == want);
        CHECK(at(sl, {i, j, k}) == want);
      }
  for (std::int64_t axis : {0, 1, -1}) {
    require_gradcheck([axis](const std::vector<Tensor>& in) { return stack({in[0], in[1], in[2]}, axis); },
                      {p0.detach().clone(), p1.detach().clone(), p2.detach().clone()});
  }
  // Scalars stack into a vector.
  const Tensor v = stack({Tensor::scalar(1, DType::f64), Tensor::scalar(2, DType::f64)}, 0);
  CHECK(v.shape() == Shape{2});
  CHECK(v.to_vector() == std::vector<double>{1, 2});
  CHECK_THROWS_AS(stack({p0, randn64({3, 2}, 743)}, 0), anneal::Error);
  CHECK_THROWS_AS(stack(parts, 3), anneal::Error);
}

TEST_CASE("slice along an axis", "[nn][ops][shape]") {
  const Tensor x = randn64({4, 5, 3}, 750);
  const Tensor y = slice(x, 1, 1, 4);
  REQUIRE(y.shape() == Shape{4, 3, 3});
  for (std::int64_t a = 0; a < 4; ++a)
    for (std::int64_t b = 0; b < 3; ++b)
      for (std::int64_t c = 0; c < 3; ++c) CHECK(at(y, {a, b, c}) == at(x, {a, b + 1, c}));
  const Tensor last = slice(x, -1, 2, 3);
  REQUIRE(last.shape() == Shape{4, 5, 1});
  for (std::int64_t a = 0; a < 4; ++a)
    for (std::int64_t b = 0; b < 5; ++b) CHECK(at(last, {a, b, 0}) == at(x, {a, b, 2}));
  CHECK(slice(x, 0, 2, 2).shape() == Shape{0, 5, 3});
  CHECK(slice(x, 0, 0, 4).to_vector() == x.to_vector());

  require_gradcheck([](const std::vector<Tensor>& in) { return slice(in[0], 1, 1, 4); }, {x.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return slice(in[0], 0, 3, 4); }, {x.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return slice(in[0], -1, 0, 2); }, {x.detach().clone()});
  // Two slices of the same tensor: their gradients add.
  require_gradcheck(
      [](const std::vector<Tensor>& in) { return mul(slice(in[0], 1, 0, 3), slice(in[0], 1, 2, 5)); },
      {x.detach().clone()});

  CHECK_THROWS_AS(slice(x, 1, 3, 2), anneal::Error);
  CHECK_THROWS_AS(slice(x, 1, 0, 6), anneal::Error);
  CHECK_THROWS_AS(slice(x, 1, -1, 2), anneal::Error);
  CHECK_THROWS_AS(slice(x, 3, 0, 1), anneal::Error);
}

TEST_CASE("unsqueeze and squeeze insert and remove axes of extent 1", "[nn][ops][shape]") {
  const Tensor x = randn64({2, 3}, 760);
  CHECK(unsqueeze(x, 0).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(x, 1).shape() == Shape{2, 1, 3});
  CHECK(unsqueeze(x, 2).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(x, -1).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(x, -3).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(x, 1).to_vector() == x.to_vector());
  CHECK(unsqueeze(Tensor::scalar(1, DType::f64), 0).shape() == Shape{1});
  CHECK_THROWS_AS(unsqueeze(x, 3), anneal::Error);
  CHECK_THROWS_AS(unsqueeze(x, -4), anneal::Error);

  const Tensor y = randn64({2, 1, 3, 1}, 761);
  CHECK(squeeze(y, 1).shape() == Shape{2, 3, 1});
  CHECK(squeeze(y, -1).shape() == Shape{2, 1, 3});
  CHECK(squeeze(y, 1).to_vector() == y.to_vector());
  CHECK(squeeze(Tensor::zeros({1}, DType::f64), 0).shape() == Shape{});
  CHECK_THROWS_AS(squeeze(y, 0), anneal::Error);
  CHECK_THROWS_AS(squeeze(y, 4), anneal::Error);

  require_gradcheck([](const std::vector<Tensor>& in) { return unsqueeze(in[0], 1); }, {x.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return squeeze(in[0], -1); }, {y.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return mul(squeeze(unsqueeze(in[0], 0), 0), in[0]); },
                    {x.detach().clone()});
}

TEST_CASE("clone copies data and passes gradients", "[nn][ops][shape]") {
  Tensor x = randn64({3, 2}, 770);
  const Tensor c = x.clone();
  CHECK(c.to_vector() == x.to_vector());
  x.data<double>()[0] += 1.0;
  CHECK(c.data<double>()[0] != x.data<double>()[0]);
  require_gradcheck([](const std::vector<Tensor>& in) { return mul(in[0].clone(), in[0]); }, {x.detach().clone()});
}
