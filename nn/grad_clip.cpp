#include "nn/grad_clip.hpp"

#include <cmath>
#include <unordered_set>

#include "core/error.hpp"

namespace anneal::nn {

namespace {
// Gradients of distinct storage: one shared by two parameters must be counted and scaled once.
std::vector<Tensor> distinct_grads(const std::vector<Tensor>& parameters) {
  std::vector<Tensor> out;
  std::unordered_set<const void*> seen;
  for (const auto& p : parameters) {
    Tensor g = p.defined() ? p.grad() : Tensor();
    if (!g.defined()) continue;
    if (seen.insert(g.impl()->storage.get()).second) out.push_back(g);
  }
  return out;
}

double norm_of(const std::vector<Tensor>& grads) {
  // Sum of squares in double whatever the dtype, serially, so the result does not depend on threads.
  double sum = 0;
  for (const auto& g : grads) {
    dispatch(g.dtype(), [&]<class T>() {
      const T* d = g.data<T>();
      for (std::int64_t k = 0; k < g.numel(); ++k) sum += static_cast<double>(d[k]) * static_cast<double>(d[k]);
    });
  }
  return std::sqrt(sum);
}
}  // namespace

double grad_norm(const std::vector<Tensor>& parameters) { return norm_of(distinct_grads(parameters)); }

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm) {
  ANNEAL_CHECK(std::isfinite(max_norm) && max_norm > 0, "clip_grad_norm: max_norm must be finite and > 0, got {}",
               max_norm);
  const std::vector<Tensor> grads = distinct_grads(parameters);
  const double norm = norm_of(grads);
  ANNEAL_CHECK(std::isfinite(norm),
               "clip_grad_norm: the gradient norm is {}; the loss has diverged or the inputs "
               "hold NaN/Inf (lower the learning rate or check the data)",
               norm);
  if (norm <= max_norm) return norm;
  const double scale = max_norm / norm;
  for (Tensor g : grads) {
    dispatch(g.dtype(), [&]<class T>() {
      T* d = g.data<T>();
      for (std::int64_t k = 0; k < g.numel(); ++k) d[k] = static_cast<T>(static_cast<double>(d[k]) * scale);
    });
  }
  return norm;
}

}  // namespace anneal::nn
