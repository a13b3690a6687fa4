// Shape ops: reshape, permute, concat, stack, slice, squeeze; and the Tensor members that copy.
#include <numeric>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// Copies the block x[..., begin:end, ...] (along `axis`) into out[..., at:at+(end-begin), ...].
void copy_block(const Tensor& x, std::int64_t axis, std::int64_t begin, std::int64_t end, Tensor& out, std::int64_t at) {
  std::int64_t outer = 1, inner = 1;
  for (std::int64_t i = 0; i < axis; ++i) outer *= x.shape()[static_cast<std::size_t>(i)];
  for (std::int64_t i = axis + 1; i < x.dim(); ++i) inner *= x.shape()[static_cast<std::size_t>(i)];
  const std::int64_t x_extent = x.size(axis), o_extent = out.size(axis), count = end - begin;
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (std::int64_t o = 0; o < outer; ++o)
      std::copy(px + (o * x_extent + begin) * inner, px + (o * x_extent + begin + count) * inner,
                po + (o * o_extent + at) * inner);
  });
}

}  // namespace

Tensor Tensor::reshape(const Shape& shape) const {
  Shape target = shape;
  std::int64_t known = 1, unknown = -1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      ANNEAL_CHECK(unknown < 0, "reshape: more than one -1 in {}", nn::to_string(shape));
      unknown = static_cast<std::int64_t>(i);
    } else {
      known *= target[i];
    }
  }
  if (unknown >= 0) target[static_cast<std::size_t>(unknown)] = known == 0 ? 0 : numel() / known;
  ANNEAL_CHECK(nn::numel(target) == numel(), "reshape: {} elements cannot take shape {}", numel(),
               nn::to_string(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->shape = target;
  impl->dtype = impl_->dtype;
  const Shape from = this->shape();
  return record(Tensor(impl), {*this}, [from](const Tensor& g) { return std::vector<Tensor>{g.reshape(from)}; },
                "reshape");
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype());
  out.copy_(*this);
  return record(out, {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; }, "clone");
}

Tensor Tensor::to(DType target) const {
  Tensor out = Tensor::empty(shape(), target);
  out.copy_(*this);
  const DType from = dtype();
  return record(out, {*this}, [from](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; }, "to");
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& order) {
  const auto rank = static_cast<std::size_t>(x.dim());
  ANNEAL_CHECK(order.size() == rank, "permute: {} axes given for a tensor of rank {}", order.size(), rank);
  std::vector<std::int64_t> axes(rank);
  for (std::size_t i = 0; i < rank; ++i) axes[i] = normalize_axis(order[i], x.dim(), "permute");
  std::vector<std::int64_t> check = axes;
  std::sort(check.begin(), check.end());
  for (std::size_t i = 0; i < rank; ++i) ANNEAL_CHECK(check[i] == static_cast<std::int64_t>(i), "permute: not a permutation");

  Shape out_shape(rank);
  for (std::size_t i = 0; i < rank; ++i) out_shape[i] = x.shape()[static_cast<std::size_t>(axes[i])];
  const Shape in_strides = contiguous_strides(x.shape());
  // Source stride of each output axis; the copy walks the output in order with an odometer.
  std::vector<std::int64_t> stride(rank), index(rank, 0);
  for (std::size_t i = 0; i < rank; ++i) stride[i] = in_strides[static_cast<std::size_t>(axes[i])];
  Tensor out = Tensor::empty(out_shape, x.dtype());
  const std::int64_t total = out.numel();
  dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* po = out.data<T>();
    std::int64_t src = 0;
    for (std::int64_t flat = 0; flat < total; ++flat) {
      po[flat] = px[src];
      for (std::size_t i = rank; i-- > 0;) {
        src += stride[i];
        if (++index[i] < out_shape[i]) break;
        src -= stride[i] * out_shape[i];
        index[i] = 0;
      }
    }
  });
  std::vector<std::int64_t> inverse(rank);
  for (std::size_t i = 0; i < rank; ++i) inverse[static_cast<std::size_t>(axes[i])] = static_cast<std::int64_t>(i);
  return record(out, {x}, [inverse](const Tensor& g) { return std::vector<Tensor>{permute(g, inverse)}; }, "permute");
}

Tensor transpose(const Tensor& x, std::int64_t axis0, std::int64_t axis1) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(x.dim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[static_cast<std::size_t>(normalize_axis(axis0, x.dim(), "transpose"))],
            order[static_cast<std::size_t>(normalize_axis(axis1, x.dim(), "transpose"))]);
  return permute(x, order);
}

Tensor concat(const std::vector<Tensor>& parts, std::int64_t axis) {
  ANNEAL_CHECK(!parts.empty(), "concat of no tensors");
  axis = normalize_axis(axis, parts.front().dim(), "concat");
  Shape shape = parts.front().shape();
  std::int64_t total = 0;
  for (const auto& p : parts) {
    Shape s = p.shape();
    ANNEAL_CHECK(s.size() == shape.size() && p.dtype() == parts.front().dtype(), "concat: parts differ in rank or dtype");
    s[static_cast<std::size_t>(axis)] = shape[static_cast<std::size_t>(axis)];
    ANNEAL_CHECK(s == shape, "concat: shapes {} and {} differ off axis {}", to_string(p.shape()),
                 to_string(parts.front().shape()), axis);
    total += p.size(axis);
  }
  shape[static_cast<std::size_t>(axis)] = total;
  Tensor out = Tensor::empty(shape, parts.front().dtype());
  std::vector<std::int64_t> starts;
  std::int64_t at = 0;
  for (const auto& p : parts) {
    starts.push_back(at);
    copy_block(p, axis, 0, p.size(axis), out, at);
    at += p.size(axis);
  }
  std::vector<std::int64_t> extents;
  for (const auto& p : parts) extents.push_back(p.size(axis));
  return record(out, parts, [axis, starts, extents](const Tensor& g) {
    std::vector<Tensor> grads;
    for (std::size_t i = 0; i < starts.size(); ++i) grads.push_back(slice(g, axis, starts[i], starts[i] + extents[i]));
    return grads;
  }, "concat");
}

Tensor stack(const std::vector<Tensor>& parts, std::int64_t axis) {
  ANNEAL_CHECK(!parts.empty(), "stack of no tensors");
  std::vector<Tensor> expanded;
  for (const auto& p : parts) expanded.push_back(unsqueeze(p, axis));
  return concat(expanded, axis);
}

Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t begin, std::int64_t end) {
  axis = normalize_axis(axis, x.dim(), "slice");
  const std::int64_t extent = x.size(axis);
  ANNEAL_CHECK(0 <= begin && begin <= end && end <= extent, "slice [{}, {}) is out of range for extent {}", begin, end,
               extent);
  Shape shape = x.shape();
  shape[static_cast<std::size_t>(axis)] = end - begin;
  Tensor out = Tensor::empty(shape, x.dtype());
  copy_block(x, axis, begin, end, out, 0);
  const Shape in_shape = x.shape();
  return record(out, {x}, [in_shape, axis, begin, end](const Tensor& g) {
    Tensor full = Tensor::zeros(in_shape, g.dtype());
    copy_block(g, axis, 0, end - begin, full, begin);
    return std::vector<Tensor>{full};
  }, "slice");
}

Tensor unsqueeze(const Tensor& x, std::int64_t axis) {
  axis = normalize_axis(axis, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  shape.insert(shape.begin() + axis, 1);
  return x.reshape(shape);
}

Tensor squeeze(const Tensor& x, std::int64_t axis) {
  axis = normalize_axis(axis, x.dim(), "squeeze");
  ANNEAL_CHECK(x.size(axis) == 1, "squeeze: axis {} has extent {}, not 1", axis, x.size(axis));
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis);
  return x.reshape(shape);
}

}  // namespace anneal::nn
