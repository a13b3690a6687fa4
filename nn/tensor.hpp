#pragma once
// The tensor of anneal's neural backend (DESIGN.md §2): n-d, row-major, contiguous, f32 or f64
// chosen at run time, on a device (cpu now), with shared storage: copies of a Tensor share data,
// reshape shares data, everything else makes new data. Gradients are tracked by nn/autograd.hpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/device.hpp"

namespace anneal {
class RandomStream;
}

namespace anneal::nn {

enum class DType { f32, f64 };
std::size_t dtype_size(DType dtype);
std::string to_string(DType dtype);
template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}

using Shape = std::vector<std::int64_t>;
std::int64_t numel(const Shape& shape);
std::string to_string(const Shape& shape);

// Raw memory of one or more tensors, 64-byte aligned for vector loads.
class Storage {
 public:
  Storage(std::size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  const Device& device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_;
};

struct Node;
struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  // undefined: no data
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Factories.
  static Tensor empty(const Shape& shape, DType dtype = DType::f32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32);
  static Tensor scalar(double value, DType dtype = DType::f32);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f32);
  // Standard normal / uniform [lo, hi) values from `rng` (reproducible for a given stream).
  static Tensor randn(const Shape& shape, RandomStream& rng, DType dtype = DType::f32);
  static Tensor uniform(const Shape& shape, double lo, double hi, RandomStream& rng, DType dtype = DType::f32);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  std::int64_t dim() const { return static_cast<std::int64_t>(shape().size()); }
  std::int64_t size(std::int64_t axis) const;  // negative counts from the end
  std::int64_t numel() const;
  DType dtype() const;
  const Device& device() const;

  // Typed access to the elements; T must match dtype() (checked).
  template <class T>
  T* data();
  template <class T>
  const T* data() const;
  double item() const;                  // a one-element tensor's value
  std::vector<double> to_vector() const;  // every element, as double

  // Autograd (nn/autograd.hpp). The setter has its own name: an overload would make
  // `t.requires_grad()` on a non-const tensor switch tracking on instead of asking.
  Tensor& set_requires_grad(bool on = true);
  bool requires_grad() const;
  Tensor grad() const;  // the accumulated gradient, undefined if none yet
  void zero_grad();
  void set_grad(const Tensor& grad);
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  // Reverse mode from this scalar (or with an explicit output gradient of this shape).
  void backward() const;
  void backward(const Tensor& output_grad) const;

  Tensor detach() const;           // same data, no history
  Tensor clone() const;            // new data, history kept
  Tensor to(DType dtype) const;    // converted copy (differentiable)
  Tensor reshape(const Shape& shape) const;  // shares data; one extent may be -1

  // Element-wise copy of `source` (same shape) into this tensor's memory, outside autograd:
  // optimizers update parameters in place.
  void copy_(const Tensor& source);

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::f32;
  bool requires_grad = false;
  Tensor grad;                    // accumulated by backward() on leaves
  std::shared_ptr<Node> grad_fn;  // the op that made this tensor; null for leaves
};

namespace detail {
[[noreturn]] void dtype_mismatch(DType have, DType want);
}

template <class T>
T* Tensor::data() {
  if (impl_->dtype != dtype_of<T>()) detail::dtype_mismatch(impl_->dtype, dtype_of<T>());
  return static_cast<T*>(impl_->storage->data());
}

template <class T>
const T* Tensor::data() const {
  if (impl_->dtype != dtype_of<T>()) detail::dtype_mismatch(impl_->dtype, dtype_of<T>());
  return static_cast<const T*>(impl_->storage->data());
}

// Calls f.template operator()<T>() with T = float or double by `dtype`.
template <class F>
decltype(auto) dispatch(DType dtype, F&& f) {
  if (dtype == DType::f32) return f.template operator()<float>();
  return f.template operator()<double>();
}

}  // namespace anneal::nn
