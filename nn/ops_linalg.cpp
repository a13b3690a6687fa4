// Matrix products through Eigen's GEMM on row-major maps; batches in parallel with oneTBB.
#include <Eigen/Core>
#include <tbb/parallel_for.h>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

template <class T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// c[b] = a[b] · b[b or 0] for `batches` products of (m x k)(k x n).
template <class T>
void gemm_batched(const T* a, const T* b, T* c, std::int64_t batches, std::int64_t m, std::int64_t k, std::int64_t n,
                  bool shared_b) {
  auto one = [&](std::int64_t i) {
    Eigen::Map<const RowMajor<T>> A(a + i * m * k, m, k);
    Eigen::Map<const RowMajor<T>> B(b + (shared_b ? 0 : i * k * n), k, n);
    Eigen::Map<RowMajor<T>> C(c + i * m * n, m, n);
    C.noalias() = A * B;
  };
  if (batches == 1) {
    // One large product: split its rows over threads (Eigen itself runs single-threaded here).
    const std::int64_t rows_per_task = std::max<std::int64_t>(16, (1 << 16) / std::max<std::int64_t>(1, k + n));
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, m, rows_per_task), [&](const auto& r) {
      const std::int64_t rows = r.end() - r.begin();
      Eigen::Map<const RowMajor<T>> A(a + r.begin() * k, rows, k);
      Eigen::Map<const RowMajor<T>> B(b, k, n);
      Eigen::Map<RowMajor<T>> C(c + r.begin() * n, rows, n);
      C.noalias() = A * B;
    });
  } else {
    tbb::parallel_for(std::int64_t{0}, batches, one);
  }
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  ANNEAL_CHECK(a.dtype() == b.dtype(), "matmul: operands are {} and {}", to_string(a.dtype()), to_string(b.dtype()));
  ANNEAL_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul needs matrices, got shapes {} and {}", to_string(a.shape()),
               to_string(b.shape()));
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  ANNEAL_CHECK(b.size(-2) == k, "matmul: inner extents differ in {} x {}", to_string(a.shape()), to_string(b.shape()));
  const bool shared_b = b.dim() == 2;
  Shape batch(a.shape().begin(), a.shape().end() - 2);
  if (!shared_b)
    ANNEAL_CHECK(Shape(b.shape().begin(), b.shape().end() - 2) == batch,
                 "matmul: batch axes differ in {} x {}", to_string(a.shape()), to_string(b.shape()));
  const std::int64_t batches = numel(batch);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    if (shared_b) {
      // [..., M, K] x [K, N] is one (batches·M x K)(K x N) product.
      gemm_batched<T>(a.data<T>(), b.data<T>(), out.data<T>(), 1, batches * m, k, n, true);
    } else {
      gemm_batched<T>(a.data<T>(), b.data<T>(), out.data<T>(), batches, m, k, n, false);
    }
  });
  return record(out, {a, b}, [a, b, shared_b](const Tensor& g) {
    Tensor ga, gb;
    if (a.requires_grad()) ga = matmul(g, transpose(b));
    if (b.requires_grad()) {
      if (shared_b) {
        // Σ over the batch of aᵀ g: one product of the flattened rows.
        const Tensor a2 = a.detach().reshape({-1, a.size(-1)}), g2 = g.reshape({-1, g.size(-1)});
        gb = matmul(transpose(a2), g2);
      } else {
        gb = matmul(transpose(a), g);
      }
    }
    return std::vector<Tensor>{ga, gb};
  }, "matmul");
}

}  // namespace anneal::nn
