#pragma once
// Differentiable tensor operations on the CPU. Every op records its backward on the tape when an
// input requires gradients (nn/autograd.hpp). Binary element-wise ops broadcast as NumPy does;
// both operands must have the same dtype.
#include <cstdint>
#include <vector>

#include "nn/autograd.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

// ---- element-wise, broadcasting
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);  // a > 0 where b is not an integer
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor pow(const Tensor& a, double exponent);

// ---- element-wise, one operand
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x);      // exact: x Φ(x)
Tensor softplus(const Tensor& x);  // log(1 + e^x), stable for large |x|
Tensor normal_cdf(const Tensor& x);  // Φ(x), the standard normal distribution function
Tensor step(const Tensor& x);        // 1 where x > 0, else 0; constant (no gradient)

// ---- reductions; `axes` may be negative; empty axes = all
Tensor sum(const Tensor& x, std::vector<std::int64_t> axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, std::vector<std::int64_t> axes = {}, bool keepdim = false);
Tensor max(const Tensor& x, std::int64_t axis, bool keepdim = false);  // gradient to the first maximum
Tensor norm(const Tensor& x);  // Euclidean norm of all elements
// Sums `x` over the axes that broadcasting added, to `shape` (the backward of broadcasting).
Tensor sum_to(const Tensor& x, const Shape& shape);
Tensor broadcast_to(const Tensor& x, const Shape& shape);

// ---- linear algebra
// [..., M, K] x [..., K, N] with equal batch axes, or [..., M, K] x [K, N].
Tensor matmul(const Tensor& a, const Tensor& b);
// a · w ([..., M, K] x [K, N]) with `bias` [N] added to the first `rows` rows of the product taken as
// one [(...·M), N] matrix: a jet's linear layer, whose bias enters the value stream only. The bias is
// the product's starting value, so no pass over the output is spent adding it.
Tensor matmul_bias_leading_rows(const Tensor& a, const Tensor& w, const Tensor& bias, std::int64_t rows);

// ---- shape
Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order);
Tensor transpose(const Tensor& x, std::int64_t axis0 = -2, std::int64_t axis1 = -1);
Tensor concat(const std::vector<Tensor>& parts, std::int64_t axis);
Tensor stack(const std::vector<Tensor>& parts, std::int64_t axis);
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t begin, std::int64_t end);
Tensor unsqueeze(const Tensor& x, std::int64_t axis);
Tensor squeeze(const Tensor& x, std::int64_t axis);

// Operators, for readable formulas.
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator-(double a, const Tensor& b) { return add(neg(b), a); }

// An axis in [0, rank), from one that may count from the end; throws naming `what` otherwise.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t rank, const char* what);

}  // namespace anneal::nn
