#include "physics/poisson/dcdm_loss.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::physics::poisson {
namespace {

template <class T>
void multiply_rows(const solvers::CsrMatrix& a, const T* q, T* y, std::int64_t batch) {
  const long n = a.rows;
  tbb::parallel_for(tbb::blocked_range<long>(0, batch * n, 8192), [&](const tbb::blocked_range<long>& range) {
    for (long flat = range.begin(); flat < range.end(); ++flat) {
      const long sample = flat / n, row = flat % n;
      const T* qs = q + sample * n;
      double s = 0;
      for (auto e = a.indptr[static_cast<std::size_t>(row)]; e < a.indptr[static_cast<std::size_t>(row) + 1]; ++e)
        s += a.data[static_cast<std::size_t>(e)] * static_cast<double>(qs[a.indices[static_cast<std::size_t>(e)]]);
      y[flat] = static_cast<T>(s);
    }
  });
}

}  // namespace

nn::Tensor apply_symmetric_operator(const solvers::CsrMatrix& a, const nn::Tensor& q) {
  ANNEAL_CHECK(q.dim() >= 1 && q.numel() % a.rows == 0 && q.numel() > 0,
               "A·q: q has {} entries, not a multiple of the matrix's {} rows", q.numel(), a.rows);
  const auto batch = q.numel() / a.rows;
  const auto input = q.detach();  // tensors are contiguous
  auto y = nn::Tensor::empty(q.shape(), q.dtype());
  nn::dispatch(q.dtype(), [&]<class T>() { multiply_rows<T>(a, input.data<T>(), y.data<T>(), batch); });
  const solvers::CsrMatrix* matrix = &a;
  return nn::record(
      y, {q}, [matrix](const nn::Tensor& g) { return std::vector<nn::Tensor>{apply_symmetric_operator(*matrix, g)}; },
      "apply_symmetric_operator");
}

nn::Tensor dcdm_loss(const solvers::CsrMatrix& a, const nn::Tensor& q, const nn::Tensor& b) {
  ANNEAL_CHECK(q.numel() == b.numel() && q.dim() >= 1 && q.size(0) == b.size(0),
               "DCDM loss: q and b need the same batch and size");
  const auto batch = q.size(0);
  const auto rows_q = q.reshape({batch, -1}), rows_b = b.reshape({batch, -1});
  const auto aq = apply_symmetric_operator(a, rows_q);
  const auto qb = nn::sum(rows_q * rows_b, {1}, true);
  const auto qaq = nn::sum(rows_q * aq, {1}, true);
  const auto residual = rows_b - (qb / qaq) * aq;
  return nn::mean(nn::sum(nn::square(residual), {1}));
}

}  // namespace anneal::physics::poisson
