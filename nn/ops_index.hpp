#pragma once
// Index ops for graphs (DESIGN.md §2): gather rows, scatter-add them back, and reduce the rows of
// each segment (the edges into one node, the atoms of one crystal). Differentiable with respect to
// the float tensor, f32 and f64; the indices are constants.
//
// Indices are a plain `Index` (std::vector<std::int64_t>): edge lists are 1-D, read straight from
// the ragged HDF5 arrays of §4, and never need gradients, so a tensor type would add nothing. An
// edge_index [E][2] becomes two of them, src and dst (see nn/message_passing.hpp).
//
// Segment ids need not be sorted and need not cover every segment. A segment with no entries gives
// 0 in segment_sum, segment_mean and segment_max (a node without incoming edges receives the zero
// message), with zero gradient.
//
// Results do not depend on the thread count: every output element is reduced by one thread, over
// its entries in their original order (so training resumes bit-for-bit, §2).
#include <cstdint>
#include <vector>

#include "nn/tensor.hpp"

namespace anneal::nn {

using Index = std::vector<std::int64_t>;

// out[..., k, ...] = x[..., indices[k], ...] along `axis` (negative counts from the end); the
// result has extent indices.size() there. Indices may repeat; each must lie in [0, x.size(axis)).
// Backward: scatter_add of the gradient.
Tensor index_select(const Tensor& x, std::int64_t axis, const Index& indices);

// out[s, ...] = Σ_{e : indices[e] = s} src[e, ...] -> [num_segments, ...]; src is [E, ...] with
// E = indices.size(), and each index lies in [0, num_segments). Backward: index_select.
Tensor scatter_add(const Tensor& src, const Index& indices, std::int64_t num_segments);

// Reductions of the rows of src [E, F...] sharing a segment id, -> [num_segments, F...].
Tensor segment_sum(const Tensor& src, const Index& segment_ids, std::int64_t num_segments);
Tensor segment_mean(const Tensor& src, const Index& segment_ids, std::int64_t num_segments);
// Per column; the gradient goes to the first entry (in index order) attaining the maximum.
Tensor segment_max(const Tensor& src, const Index& segment_ids, std::int64_t num_segments);

// Softmax over the entries of each segment, separately per column -> [E, F...] (attention weights
// over a node's neighbours: each segment's column sums to 1). The segment maximum is subtracted
// before exponentiating, so large logits do not overflow.
Tensor segment_softmax(const Tensor& src, const Index& segment_ids, std::int64_t num_segments);

}  // namespace anneal::nn
