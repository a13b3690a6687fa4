// matmul of nn/ops_linalg.cpp: forward against naive triple loops, gradients of both operands against
// finite differences, shape errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;

namespace {

// [..., M, K] x [..., K, N] (equal batch axes) or [..., M, K] x [K, N], by triple loops.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const std::int64_t batches = a.numel() / (m * k);
  const bool shared = b.dim() == 2;
  const double* pa = a.data<double>();
  const double* pb = b.data<double>();
  std::vector<double> c(static_cast<std::size_t>(batches * m * n), 0.0);
  for (std::int64_t s = 0; s < batches; ++s)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t l = 0; l < k; ++l)
          acc += pa[(s * m + i) * k + l] * pb[(shared ? 0 : s * k * n) + l * n + j];
        c[static_cast<std::size_t>((s * m + i) * n + j)] = acc;
      }
  return c;
}

// Σ_l |a_il| |b_lj| per output element: the scale of the rounding error of a dot product.
std::vector<double> abs_matmul(const Tensor& a, const Tensor& b) {
  Tensor aa = Tensor::from_vector(a.to_vector(), a.shape(), DType::f64);
  Tensor bb = Tensor::from_vector(b.to_vector(), b.shape(), DType::f64);
  for (std::int64_t i = 0; i < aa.numel(); ++i) aa.data<double>()[i] = std::abs(aa.data<double>()[i]);
  for (std::int64_t i = 0; i < bb.numel(); ++i) bb.data<double>()[i] = std::abs(bb.data<double>()[i]);
  return naive_matmul(aa, bb);
}

// max |c_i - want_i| / scale_i.
double max_scaled_error(const std::vector<double>& c, const std::vector<double>& want,
                        const std::vector<double>& scale) {
  REQUIRE(c.size() == want.size());
  double worst = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    double e = std::abs(c[i] - want[i]) / std::max(scale[i], 1e-300);
    if (std::isnan(e)) e = 1e300;
    worst = std::max(worst, e);
  }
  return worst;
}

struct MatmulCase {
  std::string name;
  Shape a, b, out;
};

}  // namespace

TEST_CASE("matmul: 2-D, batched and shared right operand, forward and gradients of both operands",
          "[nn][ops][linalg]") {
  const std::vector<MatmulCase> cases = {
      {"2-D [3,4]x[4,5]", {3, 4}, {4, 5}, {3, 5}},
      {"2-D [1,4]x[4,1]", {1, 4}, {4, 1}, {1, 1}},
      {"batched [2,3,4]x[2,4,5]", {2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
      {"batch of 1 [1,3,4]x[1,4,2]", {1, 3, 4}, {1, 4, 2}, {1, 3, 2}},
      {"shared right [2,3,4]x[4,5]", {2, 3, 4}, {4, 5}, {2, 3, 5}},
      {"batched 4-D [2,2,3,4]x[2,2,4,2]", {2, 2, 3, 4}, {2, 2, 4, 2}, {2, 2, 3, 2}},
      {"shared right 4-D [2,2,3,4]x[4,3]", {2, 2, 3, 4}, {4, 3}, {2, 2, 3, 3}},
  };
  std::uint64_t stream = 500;
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const Tensor a = randn64(c.a, stream), b = randn64(c.b, stream + 1);
      const Tensor y = matmul(a, b);
      REQUIRE(y.shape() == c.out);
      CHECK(max_scaled_error(y.to_vector(), naive_matmul(a, b), abs_matmul(a, b)) <= 1e-14);
      require_gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[1]); },
                        {a.detach().clone(), b.detach().clone()});
    }
    stream += 2;
  }
}

TEST_CASE("matmul of a large product splits rows over threads", "[nn][ops][linalg]") {
  // batches = 1 with M = 2000 > rows per task: the row-split path of gemm_batched.
  const Tensor a = randn64({2000, 64}, 600), b = randn64({64, 48}, 601);
  const Tensor y = matmul(a, b);
  REQUIRE(y.shape() == Shape{2000, 48});
  CHECK(max_scaled_error(y.to_vector(), naive_matmul(a, b), abs_matmul(a, b)) <= 1e-13);
  // Shared right operand with many rows: the batch is flattened into one product.
  const Tensor a3 = randn64({5, 400, 64}, 602);
  const Tensor y3 = matmul(a3, b);
  REQUIRE(y3.shape() == Shape{5, 400, 48});
  CHECK(max_scaled_error(y3.to_vector(), naive_matmul(a3, b), abs_matmul(a3, b)) <= 1e-13);
}

TEST_CASE("matmul with an inner extent of 0 gives zeros", "[nn][ops][linalg]") {
  const Tensor a = Tensor::zeros({3, 0}, DType::f64), b = Tensor::zeros({0, 4}, DType::f64);
  const Tensor y = matmul(a, b);
  REQUIRE(y.shape() == Shape{3, 4});
  CHECK(y.to_vector() == std::vector<double>(12, 0.0));
  CHECK(matmul(Tensor::zeros({0, 3}, DType::f64), Tensor::zeros({3, 2}, DType::f64)).shape() == Shape{0, 2});
}

TEST_CASE("matmul rejects mismatched shapes with anneal::Error", "[nn][ops][linalg]") {
  auto z = [](const Shape& s) { return Tensor::zeros(s, DType::f64); };
  CHECK_THROWS_AS(matmul(z({3, 4}), z({5, 6})), anneal::Error);           // inner extents
  CHECK_THROWS_AS(matmul(z({3}), z({3, 4})), anneal::Error);              // a vector
  CHECK_THROWS_AS(matmul(z({3, 4}), z({4})), anneal::Error);              // a vector
  CHECK_THROWS_AS(matmul(z({2, 3, 4}), z({3, 4, 5})), anneal::Error);     // batch axes
  CHECK_THROWS_AS(matmul(z({2, 3, 4}), z({2, 5, 6})), anneal::Error);     // inner extents, batched
  CHECK_THROWS_AS(matmul(z({3, 4}), z({2, 4, 5})), anneal::Error);        // no batch on the left
  CHECK_THROWS_AS(matmul(z({2, 2, 3, 4}), z({2, 4, 5})), anneal::Error);  // batch ranks differ
  CHECK_THROWS_WITH(matmul(z({3, 4}), z({5, 6})), Catch::Contains("[3, 4]") && Catch::Contains("[5, 6]"));
}

TEST_CASE("matmul_bias_leading_rows: a·w plus the bias on the leading rows, and its gradients", "[nn][linalg]") {
  const Tensor a = randn64({3, 5, 4}, 11), w = randn64({4, 6}, 12), b = randn64({6}, 13);
  const Tensor out = matmul_bias_leading_rows(a, w, b, 5);
  REQUIRE(out.shape() == Shape{3, 5, 6});
  // Against the plain product with the bias added to rows [0, 5) of the 15 × 6 result.
  std::vector<double> want = naive_matmul(a, w);
  for (std::size_t i = 0; i < 5; ++i)
    for (std::size_t j = 0; j < 6; ++j) want[i * 6 + j] += b.data<double>()[j];
  const std::vector<double> got = out.to_vector();
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-12));
  for (const std::int64_t rows : {std::int64_t{0}, std::int64_t{7}, std::int64_t{15}})
    require_gradcheck([rows](const std::vector<Tensor>& x) { return sum(square(matmul_bias_leading_rows(x[0], x[1], x[2], rows))); },
                      {a, w, b});
  CHECK_THROWS_AS(matmul_bias_leading_rows(a, w, b, 16), anneal::Error);
  CHECK_THROWS_AS(matmul_bias_leading_rows(a, w, randn64({5}, 1), 5), anneal::Error);
}
