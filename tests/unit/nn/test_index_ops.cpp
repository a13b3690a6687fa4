// Index ops of nn/ops_index.hpp: forward values against explicit loops (unsorted ids, empty and
// one-entry segments, repeated indices), gradients against finite differences in f64, and results
// that do not depend on the thread count.
#include <tbb/task_arena.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/ops.hpp"
#include "nn/ops_index.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::ravel;
using anneal::test::require_gradcheck;
using anneal::test::unravel;

namespace {

// Segments 0..4 of 8 entries, in no order: 0 = {1, 4, 6}, 1 = {} (empty), 2 = {3} (one entry),
// 3 = {0, 2, 5}, 4 = {7} (one entry).
const Index kIds{3, 0, 3, 2, 0, 3, 0, 4};
constexpr std::int64_t kSegments = 5;

// Entries of src [E, F] per segment, by a scan of the ids (independent of the op's grouping).
std::vector<std::vector<std::int64_t>> members(const Index& ids, std::int64_t segments) {
  std::vector<std::vector<std::int64_t>> m(static_cast<std::size_t>(segments));
  for (std::size_t e = 0; e < ids.size(); ++e)
    m[static_cast<std::size_t>(ids[e])].push_back(static_cast<std::int64_t>(e));
  return m;
}

enum class Reduce { sum, mean, max };

// Reference segment reduction of src [E, F] (f64): empty segments give 0.
std::vector<double> ref_segment(const Tensor& src, const Index& ids, std::int64_t segments, Reduce how) {
  const std::int64_t f = src.size(1);
  const std::vector<double> x = src.to_vector();
  std::vector<double> out(static_cast<std::size_t>(segments * f), 0.0);
  const auto m = members(ids, segments);
  for (std::int64_t s = 0; s < segments; ++s) {
    const auto& entries = m[static_cast<std::size_t>(s)];
    if (entries.empty()) continue;
    for (std::int64_t j = 0; j < f; ++j) {
      double acc = how == Reduce::max ? -INFINITY : 0.0;
      for (auto e : entries) {
        const double v = x[static_cast<std::size_t>(e * f + j)];
        acc = how == Reduce::max ? std::max(acc, v) : acc + v;
      }
      if (how == Reduce::mean) acc /= static_cast<double>(entries.size());
      out[static_cast<std::size_t>(s * f + j)] = acc;
    }
  }
  return out;
}

// Reference softmax within segments, per column, straight from the definition exp(x) / Σ exp(x)
// with no shift, in long double: its range (to ~1e4932 on x86-64 and aarch64 Linux) holds
// exp(±1100), so the large-logit case needs no trick the op might share.
static_assert(std::numeric_limits<long double>::max_exponent10 > 1000,
              "the reference softmax needs a wide long double");
std::vector<double> ref_softmax(const Tensor& src, const Index& ids, std::int64_t segments) {
  const std::int64_t f = src.size(1);
  const std::vector<double> x = src.to_vector();
  std::vector<double> out(x.size(), 0.0);
  for (const auto& entries : members(ids, segments)) {
    for (std::int64_t j = 0; j < f; ++j) {
      long double total = 0.0L;
      for (auto e : entries) total += std::exp(static_cast<long double>(x[static_cast<std::size_t>(e * f + j)]));
      for (auto e : entries) {
        const auto i = static_cast<std::size_t>(e * f + j);
        out[i] = static_cast<double>(std::exp(static_cast<long double>(x[i])) / total);
      }
    }
  }
  return out;
}

// Distinct values 0.05 apart in random order: no ties, and a finite-difference stencil of
// h = 1e-3 never changes which entry is the maximum.
Tensor separated(const Shape& shape, std::uint64_t seed) {
  std::vector<double> v(static_cast<std::size_t>(numel(shape)));
  std::iota(v.begin(), v.end(), 0.0);
  anneal::RandomStream rng(seed, 0);
  std::shuffle(v.begin(), v.end(), rng);
  for (auto& x : v) x = 0.05 * x - 1.0;
  return Tensor::from_vector(v, shape, DType::f64);
}

}  // namespace

TEST_CASE("graph: index_select gathers along any axis, with repeated indices", "[nn][graph]") {
  const Shape shape{4, 5, 3};
  const Tensor x = randn64(shape, 1);
  const std::vector<double> xv = x.to_vector();
  const Index idx{4, 0, 0, 2};  // for axis 1 (extent 5)
  struct Case {
    std::int64_t axis, normalized;
    Index indices;
  };
  for (const Case& c : {Case{0, 0, {3, 0, 0, 2, 3}}, Case{1, 1, idx}, Case{-1, 2, {2, 2, 0}}, Case{-3, 0, {1}}}) {
    DYNAMIC_SECTION("axis " << c.axis) {
      const Tensor y = index_select(x, c.axis, c.indices);
      Shape want_shape = shape;
      want_shape[static_cast<std::size_t>(c.normalized)] = static_cast<std::int64_t>(c.indices.size());
      REQUIRE(y.shape() == want_shape);
      std::vector<double> want(static_cast<std::size_t>(numel(want_shape)));
      for (std::int64_t i = 0; i < numel(want_shape); ++i) {
        auto index = unravel(i, want_shape);
        auto& k = index[static_cast<std::size_t>(c.normalized)];
        k = c.indices[static_cast<std::size_t>(k)];
        want[static_cast<std::size_t>(i)] = xv[static_cast<std::size_t>(ravel(index, shape))];
      }
      CHECK(y.to_vector() == want);  // a copy: exact
      require_gradcheck([&](const std::vector<Tensor>& in) { return index_select(in[0], c.axis, c.indices); },
                        {x.detach().clone()});
    }
  }
  SECTION("f32 and no indices") {
    const Tensor x32 = x.to(DType::f32);
    const Tensor y = index_select(x32, 1, idx);
    CHECK(y.dtype() == DType::f32);
    CHECK(max_rel_diff(y.to_vector(), index_select(x, 1, idx).to_vector(), 1e-3) <= 1e-6);
    CHECK(index_select(x, 0, {}).shape() == Shape{0, 5, 3});
  }
}

TEST_CASE("graph: scatter_add sums repeated indices and leaves untouched segments zero", "[nn][graph]") {
  const Index idx{2, 0, 2, 2, 4, 0};  // segment 2 three times, 1 and 3 never
  const Tensor src = randn64({6, 2, 3}, 2);
  const std::vector<double> sv = src.to_vector();
  const Tensor out = scatter_add(src, idx, 5);
  REQUIRE(out.shape() == Shape{5, 2, 3});
  std::vector<double> want(30, 0.0);
  for (std::size_t e = 0; e < idx.size(); ++e)
    for (std::size_t j = 0; j < 6; ++j) want[static_cast<std::size_t>(idx[e]) * 6 + j] += sv[e * 6 + j];
  CHECK(max_rel_diff(out.to_vector(), want, 1e-12) <= 1e-15);
  require_gradcheck([&](const std::vector<Tensor>& in) { return scatter_add(in[0], idx, 5); }, {src.detach().clone()});

  // The gradient of a scatter is a gather: each source row receives its segment's output gradient.
  const Tensor s = src.detach().clone().set_requires_grad(true);
  const Tensor g = randn64({5, 2, 3}, 3);
  const Tensor gs = grad(sum(mul(scatter_add(s, idx, 5), g)), {s})[0];
  CHECK(gs.to_vector() == index_select(g, 0, idx).to_vector());

  SECTION("f32, no entries, and no segments") {
    CHECK(max_rel_diff(scatter_add(src.to(DType::f32), idx, 5).to_vector(), want, 1.0) <= 1e-6);
    const Tensor none = scatter_add(Tensor::zeros({0, 4}, DType::f64), {}, 3);
    CHECK(none.shape() == Shape{3, 4});
    CHECK(none.to_vector() == std::vector<double>(12, 0.0));
    CHECK(scatter_add(Tensor::zeros({0, 4}, DType::f64), {}, 0).shape() == Shape{0, 4});
  }
}

TEST_CASE("graph: segment_sum, segment_mean and segment_max with unsorted ids, empty and one-entry segments",
          "[nn][graph]") {
  const Tensor src = separated({8, 3}, 4);
  for (DType dtype : {DType::f64, DType::f32}) {
    DYNAMIC_SECTION(to_string(dtype)) {
      const Tensor x = src.to(dtype);
      // f32: absolute error for values below 1, as sums near zero lose relative accuracy.
      const double tol = dtype == DType::f64 ? 1e-14 : 1e-6, lower = dtype == DType::f64 ? 1e-3 : 1.0;
      const Tensor s = segment_sum(x, kIds, kSegments);
      const Tensor m = segment_mean(x, kIds, kSegments);
      const Tensor mx = segment_max(x, kIds, kSegments);
      for (const Tensor& t : {s, m, mx}) {
        CHECK(t.shape() == Shape{kSegments, 3});
        CHECK(t.dtype() == dtype);
      }
      CHECK(max_rel_diff(s.to_vector(), ref_segment(src, kIds, kSegments, Reduce::sum), lower) <= tol);
      CHECK(max_rel_diff(m.to_vector(), ref_segment(src, kIds, kSegments, Reduce::mean), lower) <= tol);
      CHECK(max_rel_diff(mx.to_vector(), ref_segment(src, kIds, kSegments, Reduce::max), lower) <= tol);
      // The empty segment 1 is 0 in all three (documented), not -inf or NaN.
      for (const Tensor& t : {s, m, mx})
        for (std::size_t j = 0; j < 3; ++j) CHECK(t.to_vector()[3 + j] == 0.0);
    }
  }
  require_gradcheck([](const std::vector<Tensor>& in) { return segment_sum(in[0], kIds, kSegments); },
                    {src.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return segment_mean(in[0], kIds, kSegments); },
                    {src.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return segment_max(in[0], kIds, kSegments); },
                    {src.detach().clone()});
  // Trailing axes beyond F are features too.
  const Tensor wide = separated({8, 2, 2}, 5);
  CHECK(segment_max(wide, kIds, kSegments).shape() == Shape{kSegments, 2, 2});
  require_gradcheck([](const std::vector<Tensor>& in) { return segment_max(in[0], kIds, kSegments); },
                    {wide.detach().clone()});
  require_gradcheck([](const std::vector<Tensor>& in) { return segment_mean(in[0], kIds, kSegments); },
                    {wide.detach().clone()});
}

TEST_CASE("graph: segment_max sends the gradient of a tie to the first arg-max", "[nn][graph]") {
  // Segment 0 = entries {0, 2, 3}: column 0 ties between entries 2 and 3; column 1 between 0 and 3.
  const Index ids{0, 1, 0, 0};
  const Tensor x = Tensor::from_vector({5, 7, /**/ 9, 1, /**/ 6, 2, /**/ 6, 7}, {4, 2}, DType::f64).set_requires_grad(true);
  const Tensor m = segment_max(x, ids, 2);
  CHECK(m.to_vector() == std::vector<double>{6, 7, 9, 1});
  const Tensor g = grad(sum(mul(m, Tensor::from_vector({10, 20, 30, 40}, {2, 2}, DType::f64))), {x})[0];
  CHECK(g.to_vector() == std::vector<double>{0, 20, 30, 40, 10, 0, 0, 0});
}

TEST_CASE("graph: segment_softmax normalises each segment per column and survives large logits", "[nn][graph]") {
  const Tensor src = randn64({8, 3}, 6);
  for (DType dtype : {DType::f64, DType::f32}) {
    DYNAMIC_SECTION(to_string(dtype)) {
      const Tensor y = segment_softmax(src.to(dtype), kIds, kSegments);
      REQUIRE(y.shape() == Shape{8, 3});
      const std::vector<double> yv = y.to_vector();
      CHECK(max_rel_diff(yv, ref_softmax(src, kIds, kSegments), 1e-3) <= (dtype == DType::f64 ? 1e-14 : 1e-6));
      // One-entry segments give exactly 1.
      for (std::size_t j = 0; j < 3; ++j) {
        CHECK(yv[3 * 3 + j] == 1.0);
        CHECK(yv[7 * 3 + j] == 1.0);
      }
    }
  }
  require_gradcheck([](const std::vector<Tensor>& in) { return segment_softmax(in[0], kIds, kSegments); },
                    {src.detach().clone()});

  // Logits near ±1000 overflow exp() unless the segment maximum is subtracted first.
  std::vector<double> big = src.to_vector();
  for (std::size_t i = 0; i < big.size(); ++i) big[i] += (i % 2 ? 1000.0 : -1000.0);
  const Tensor xb = Tensor::from_vector(big, {8, 3}, DType::f64);
  for (DType dtype : {DType::f64, DType::f32}) {
    const std::vector<double> yb = segment_softmax(xb.to(dtype), kIds, kSegments).to_vector();
    for (double v : yb) CHECK(std::isfinite(v));
    CHECK(max_rel_diff(yb, ref_softmax(xb, kIds, kSegments), 1e-3) <= (dtype == DType::f64 ? 1e-12 : 1e-3));
  }
}

TEST_CASE("graph: parallel index kernels give the serial result bit for bit", "[nn][graph]") {
  // Large enough to take the parallel paths; the ids are random, so segments are unsorted and
  // some are empty.
  const std::int64_t e = 40000, f = 4, segments = 3000;
  Index ids(static_cast<std::size_t>(e));
  anneal::RandomStream rng(8, 0);
  for (auto& id : ids) id = static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(segments)));
  const Tensor x = randn64({e, f}, 7);
  auto run_all = [&] {
    std::vector<std::vector<double>> r;
    r.push_back(segment_sum(x, ids, segments).to_vector());
    r.push_back(segment_mean(x, ids, segments).to_vector());
    r.push_back(segment_max(x, ids, segments).to_vector());
    r.push_back(segment_softmax(x, ids, segments).to_vector());
    r.push_back(index_select(x, 0, ids).to_vector());
    const Tensor xs = x.detach().clone().set_requires_grad(true);
    const Tensor w = randn64({segments, f}, 9);
    r.push_back(grad(sum(mul(segment_max(xs, ids, segments), w)), {xs})[0].to_vector());
    return r;
  };
  std::vector<std::vector<double>> serial, parallel;
  tbb::task_arena(1).execute([&] { serial = run_all(); });
  // At least two threads, without asking for more workers than the machine allows.
  tbb::task_arena(std::max(2, tbb::this_task_arena::max_concurrency())).execute([&] { parallel = run_all(); });
  for (std::size_t i = 0; i < serial.size(); ++i) {
    INFO("result " << i);
    CHECK(serial[i] == parallel[i]);
  }
  CHECK(max_rel_diff(serial[0], ref_segment(x, ids, segments, Reduce::sum), 1e-9) <= 1e-12);
  CHECK(serial[2] == ref_segment(x, ids, segments, Reduce::max));
}

TEST_CASE("graph: index ops reject bad indices and shapes", "[nn][graph]") {
  const Tensor x = randn64({4, 2}, 10);
  CHECK_THROWS_AS(index_select(x, 0, {0, 4}), anneal::Error);
  CHECK_THROWS_AS(index_select(x, 0, {-1}), anneal::Error);
  CHECK_THROWS_AS(index_select(x, 2, {0}), anneal::Error);
  CHECK_THROWS_AS(scatter_add(x, {0, 1, 2}, 3), anneal::Error);      // 4 rows, 3 indices
  CHECK_THROWS_AS(scatter_add(x, {0, 1, 2, 3}, 3), anneal::Error);   // 3 is not < 3
  CHECK_THROWS_AS(segment_sum(x, {0, 0, 0, 0}, -1), anneal::Error);  // negative count
  CHECK_THROWS_AS(segment_max(x, {0, 1, 5, 0}, 2), anneal::Error);
  CHECK_THROWS_AS(segment_softmax(x, {0, 1}, 2), anneal::Error);
  CHECK_THROWS_AS(segment_mean(Tensor::scalar(1.0, DType::f64), {0}, 1), anneal::Error);
  try {
    segment_sum(x, {0, 1, 7, 0}, 3);
    FAIL("no error");
  } catch (const anneal::Error& err) {
    // The message names the op, the bad id, its position and the valid range.
    const std::string what = err.what();
    CHECK(what.find("segment_sum") != std::string::npos);
    CHECK(what.find("index 7 at position 2") != std::string::npos);
    CHECK(what.find("[0, 3)") != std::string::npos);
  }
}
