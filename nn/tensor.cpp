#include "nn/tensor.hpp"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/autograd.hpp"

namespace anneal::nn {

std::size_t dtype_size(DType dtype) { return dtype == DType::f32 ? 4 : 8; }
std::string to_string(DType dtype) { return dtype == DType::f32 ? "f32" : "f64"; }

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (auto e : shape) n *= e;
  return n;
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void detail::dtype_mismatch(DType have, DType want) {
  ANNEAL_THROW("tensor holds {} data, accessed as {}", to_string(have), to_string(want));
}

namespace {
// Training allocates and frees the same large buffers every step. glibc serves blocks above its
// mmap threshold with fresh mappings, so each step would page-fault all its memory in again;
// keeping freed blocks in the heap turns that into reuse.
const bool heap_reuse = [] {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();
}  // namespace

Storage::Storage(std::size_t bytes, Device device) : bytes_(bytes), device_(device) {
  (void)heap_reuse;
  ANNEAL_CHECK(device.kind == DeviceKind::cpu, "tensors on {} are not supported by this build", device.name());
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64;
  data_ = std::aligned_alloc(64, rounded);
  ANNEAL_CHECK(data_ != nullptr, "out of memory allocating {} bytes for a tensor", bytes);
}

Storage::~Storage() { std::free(data_); }

namespace {
std::shared_ptr<TensorImpl> make_impl(const Shape& shape, DType dtype) {
  for (auto e : shape) ANNEAL_CHECK(e >= 0, "tensor shape {} has a negative extent", to_string(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = dtype;
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(nn::numel(shape)) * dtype_size(dtype), Device{});
  return impl;
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) { return Tensor(make_impl(shape, dtype)); }

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.impl_->storage->data(), 0, static_cast<std::size_t>(t.numel()) * dtype_size(dtype));
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    std::fill(p, p + t.numel(), static_cast<T>(value));
  });
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, DType dtype) {
  ANNEAL_CHECK(static_cast<std::int64_t>(values.size()) == nn::numel(shape), "{} values do not fill shape {}",
               values.size(), to_string(shape));
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

Tensor Tensor::randn(const Shape& shape, RandomStream& rng, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(rng.normal());
  });
  return t;
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, RandomStream& rng, DType dtype) {
  Tensor t = empty(shape, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(lo + (hi - lo) * rng.uniform());
  });
  return t;
}

const Shape& Tensor::shape() const {
  ANNEAL_ASSERT(defined());
  return impl_->shape;
}

std::int64_t Tensor::size(std::int64_t axis) const {
  const std::int64_t d = dim();
  const std::int64_t a = axis < 0 ? axis + d : axis;
  ANNEAL_CHECK(a >= 0 && a < d, "axis {} is out of range for a tensor of shape {}", axis, to_string(shape()));
  return impl_->shape[static_cast<std::size_t>(a)];
}

std::int64_t Tensor::numel() const { return nn::numel(shape()); }
DType Tensor::dtype() const { return impl_->dtype; }
const Device& Tensor::device() const { return impl_->storage->device(); }

double Tensor::item() const {
  ANNEAL_CHECK(numel() == 1, "item() needs a one-element tensor, this one has shape {}", to_string(shape()));
  return dispatch(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[0]); });
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out(static_cast<std::size_t>(numel()));
  dispatch(dtype(), [&]<class T>() {
    const T* p = data<T>();
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
  });
  return out;
}

Tensor& Tensor::set_requires_grad(bool on) {
  ANNEAL_CHECK(is_leaf() || on, "only leaf tensors can stop requiring gradients; use detach()");
  impl_->requires_grad = on;
  return *this;
}

bool Tensor::requires_grad() const { return impl_ && (impl_->requires_grad || impl_->grad_fn != nullptr); }
Tensor Tensor::grad() const { return impl_->grad; }
void Tensor::zero_grad() { impl_->grad = Tensor(); }
void Tensor::set_grad(const Tensor& grad) { impl_->grad = grad; }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_->grad_fn; }

void Tensor::backward() const {
  ANNEAL_CHECK(numel() == 1, "backward() without a gradient needs a scalar, this tensor has shape {}",
               to_string(shape()));
  backward(Tensor::ones(shape(), dtype()));
}

void Tensor::backward(const Tensor& output_grad) const { run_backward(*this, output_grad); }

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = impl_->shape;
  impl->dtype = impl_->dtype;
  return Tensor(impl);
}

void Tensor::copy_(const Tensor& source) {
  ANNEAL_CHECK(source.shape() == shape(), "copy_: shape {} into {}", to_string(source.shape()), to_string(shape()));
  dispatch(dtype(), [&]<class T>() {
    T* dst = data<T>();
    dispatch(source.dtype(), [&]<class S>() {
      const S* src = source.data<S>();
      const std::int64_t n = numel();
      if constexpr (std::is_same_v<S, T>) {
        std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(T));
      } else {
        for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(src[i]);
      }
    });
  });
}

}  // namespace anneal::nn
