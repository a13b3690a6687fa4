// Matrix products through Eigen's GEMM on row-major maps; batches in parallel with oneTBB.
#include <Eigen/Core>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>

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
    // One large product: split its rows into a few blocks per thread (Eigen itself runs
    // single-threaded here). Few, tall blocks keep Eigen's packing of B amortised.
    const std::int64_t threads = std::max(1, tbb::this_task_arena::max_concurrency());
    const std::int64_t rows_per_task = std::max<std::int64_t>(64, (m + 2 * threads - 1) / (2 * threads));
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

// C = op(A) · op(B) for row-major a [ra, ca] and b [rb, cb], op transposing when asked: the
// backward products g·Wᵀ and Jᵀ·g without materialising a transpose. A single product is spread
// over threads: tall outputs by row blocks; short, wide reductions (Jᵀ·g: 50 x 50 from 10⁵ rows)
// by a fixed number of slices of the inner dimension, summed in order, so the result does not
// depend on the thread count.
template <class T>
void gemm_transposed(const T* a, std::int64_t ra, std::int64_t ca, bool ta, const T* b, std::int64_t rb,
                     std::int64_t cb, bool tb, T* c, bool parallel) {
  Eigen::Map<const RowMajor<T>> A(a, ra, ca);
  Eigen::Map<const RowMajor<T>> B(b, rb, cb);
  const std::int64_t m = ta ? ca : ra, n = tb ? rb : cb, k = ta ? ra : ca;
  Eigen::Map<RowMajor<T>> C(c, m, n);
  // dst = op(A) rows [r0, r0 + rows) and inner slice [k0, k0 + len) times op(B) inner slice, evaluated
  // straight into dst (no temporary to copy from).
  auto product_into = [&](auto&& dst, std::int64_t r0, std::int64_t rows, std::int64_t k0, std::int64_t len) {
    if (ta && tb)
      dst.noalias() = A.transpose().block(r0, k0, rows, len) * B.transpose().middleRows(k0, len);
    else if (ta)
      dst.noalias() = A.transpose().block(r0, k0, rows, len) * B.middleRows(k0, len);
    else if (tb)
      dst.noalias() = A.block(r0, k0, rows, len) * B.transpose().middleRows(k0, len);
    else
      dst.noalias() = A.block(r0, k0, rows, len) * B.middleRows(k0, len);
  };
  constexpr std::int64_t kSlices = 8;
  if (parallel && m >= 512) {
    const std::int64_t rows_per_task = std::max<std::int64_t>(64, (m + 7) / 8);
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, m, rows_per_task), [&](const auto& r) {
      product_into(C.middleRows(r.begin(), r.size()), r.begin(), r.size(), 0, k);
    });
  } else if (parallel && k >= 4096 && m * n <= (1 << 16)) {
    std::vector<RowMajor<T>> partial(kSlices, RowMajor<T>(m, n));
    tbb::parallel_for(std::int64_t{0}, kSlices, [&](std::int64_t s) {
      const std::int64_t k0 = k * s / kSlices, k1 = k * (s + 1) / kSlices;
      product_into(partial[static_cast<std::size_t>(s)], 0, m, k0, k1 - k0);
    });
    C = partial[0];
    for (std::int64_t s = 1; s < kSlices; ++s) C += partial[static_cast<std::size_t>(s)];
  } else {
    product_into(C, 0, m, 0, k);
  }
}

// Batched op(a[i]) · op(b[i]) (b shared when `shared_b`), outside the tape: backward functions only.
Tensor product(const Tensor& a, bool ta, const Tensor& b, bool tb, bool shared_b) {
  const std::int64_t ra = a.size(-2), ca = a.size(-1), rb = b.size(-2), cb = b.size(-1);
  const std::int64_t batches = a.numel() / std::max<std::int64_t>(1, ra * ca);
  const std::int64_t m = ta ? ca : ra, n = tb ? rb : cb;
  Shape shape(a.shape().begin(), a.shape().end() - 2);
  shape.push_back(m);
  shape.push_back(n);
  Tensor out = Tensor::empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = out.data<T>();
    tbb::parallel_for(std::int64_t{0}, batches, [&](std::int64_t i) {
      gemm_transposed<T>(pa + i * ra * ca, ra, ca, ta, pb + (shared_b ? 0 : i * rb * cb), rb, cb, tb, pc + i * m * n,
                         /*parallel=*/batches == 1);
    });
  });
  return out;
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
  // Backward is first-order (run under NoGrad), so it uses the transposed products directly.
  return record(out, {a, b}, [a, b, shared_b](const Tensor& g) {
    Tensor ga, gb;
    if (a.requires_grad()) {
      // g bᵀ; with a shared b the whole batch is one (batches·M x N)(N x K) product.
      ga = shared_b ? product(g.reshape({-1, g.size(-1)}), false, b, true, true).reshape(a.shape())
                    : product(g, false, b, true, false);
    }
    if (b.requires_grad()) {
      // Σ over the batch of aᵀ g: with a shared b, one product of the flattened rows.
      gb = shared_b ? product(a.detach().reshape({-1, a.size(-1)}), true, g.reshape({-1, g.size(-1)}), false, true)
                    : product(a, true, g, false, false);
    }
    return std::vector<Tensor>{ga, gb};
  }, "matmul");
}

Tensor matmul_bias_leading_rows(const Tensor& a, const Tensor& w, const Tensor& bias, std::int64_t rows) {
  ANNEAL_CHECK(a.dtype() == w.dtype() && bias.dtype() == w.dtype(), "matmul_bias_leading_rows: mixed dtypes");
  ANNEAL_CHECK(a.dim() >= 2 && w.dim() == 2, "matmul_bias_leading_rows: [..., M, K] x [K, N], got {} x {}",
               to_string(a.shape()), to_string(w.shape()));
  const std::int64_t k = a.size(-1), n = w.size(1), total = a.numel() / std::max<std::int64_t>(1, k);
  ANNEAL_CHECK(w.size(0) == k && bias.numel() == n, "matmul_bias_leading_rows: {} x {} + bias {}",
               to_string(a.shape()), to_string(w.shape()), to_string(bias.shape()));
  ANNEAL_CHECK(rows >= 0 && rows <= total, "matmul_bias_leading_rows: {} bias rows of {}", rows, total);
  Shape out_shape(a.shape().begin(), a.shape().end() - 1);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pw = w.data<T>();
    const T* pb = bias.data<T>();
    T* pc = out.data<T>();
    const std::int64_t threads = std::max(1, tbb::this_task_arena::max_concurrency());
    const std::int64_t rows_per_task = std::max<std::int64_t>(64, (total + 2 * threads - 1) / (2 * threads));
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, total, rows_per_task), [&](const auto& r) {
      for (std::int64_t i = r.begin(); i < r.end(); ++i) {
        T* c = pc + i * n;
        if (i < rows)
          std::copy(pb, pb + n, c);
        else
          std::fill(c, c + n, T{0});
      }
      const std::int64_t block = r.end() - r.begin();
      Eigen::Map<const RowMajor<T>> A(pa + r.begin() * k, block, k);
      Eigen::Map<const RowMajor<T>> W(pw, k, n);
      Eigen::Map<RowMajor<T>> C(pc + r.begin() * n, block, n);
      C.noalias() += A * W;  // accumulates onto the bias (Eigen's "=" would zero C first)
    });
  });
  return record(out, {a, w, bias}, [a, w, rows, n, bias_shape = bias.shape()](const Tensor& g) {
    const Tensor g2 = g.reshape({-1, n});
    Tensor ga, gw, gb;
    if (a.requires_grad()) ga = product(g2, false, w, true, true).reshape(a.shape());
    if (w.requires_grad()) gw = product(a.detach().reshape({-1, a.size(-1)}), true, g2, false, true);
    gb = Tensor::zeros(bias_shape, g.dtype());
    dispatch(g.dtype(), [&]<class T>() {
      const T* gp = g2.data<T>();
      T* o = gb.data<T>();
      for (std::int64_t i = 0; i < rows; ++i)  // in order: the same sum for any thread count
        for (std::int64_t j = 0; j < n; ++j) o[j] += gp[i * n + j];
    });
    return std::vector<Tensor>{ga, gw, gb};
  }, "matmul_bias_leading_rows");
}

}  // namespace anneal::nn
