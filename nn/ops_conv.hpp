#pragma once
// Convolutions, pooling and upsampling on channel-first grids (DESIGN.md §2): NCHW for 2-D, NCDHW
// for 3-D; convolution weights [C_out, C_in, k...], transposed-convolution weights [C_in, C_out, k...]
// (PyTorch's layouts). Every op is differentiable with respect to every tensor argument. Each
// backward is written with recorded ops of the same family (the backward of a convolution is a
// transposed convolution and a weight-gradient op, whose own backwards are convolutions again), so
// backward passes stay differentiable should autograd ever record them; today's tape runs them
// under NoGrad.
//
// Kernels: im2col over tiles of output rows + Eigen GEMM, tiles in parallel with oneTBB. The column
// buffer of one tile is a few MiB whatever the grid, so memory stays bounded on 256³ grids. The
// input gradient is gathered per input depth slab (no two tasks write the same element), the weight
// gradient summed over a fixed partition of tiles in a fixed order: results do not depend on the
// number of threads.
#include <cstdint>
#include <string>
#include <string_view>

#include "nn/autograd.hpp"
#include "nn/tensor.hpp"

namespace anneal::nn {

// How a convolution sees the grid beyond its edges.
//   zeros:     0 outside.
//   replicate: the nearest edge value (index clamped).
//   periodic:  the grid repeats (index modulo the extent; PyTorch's 'circular'). Any padding works,
//              also one wider than the grid.
enum class Padding { zeros, replicate, periodic };
std::string to_string(Padding padding);
Padding parse_padding(std::string_view name);  // "zeros", "replicate", "periodic" (or "circular")

// ---- convolution (cross-correlation, as in every deep-learning library)
// y[n, o, i...] = b[o] + Σ_{c, j...} w[o, c, j...] · x̃[n, c, s·i + j - p ...], x̃ being x extended by
// `padding` cells on each side per `mode`. Output extent (L + 2p - k) / s + 1 (rounded down).
// `bias` may be undefined (no bias); otherwise [C_out].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, std::int64_t stride = 1,
              std::int64_t padding = 0, Padding mode = Padding::zeros);
Tensor conv3d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, std::int64_t stride = 1,
              std::int64_t padding = 0, Padding mode = Padding::zeros);

// ---- transposed convolution: the adjoint of conv{2,3}d with the same weight, stride, padding and
// mode (so ⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩), plus bias. x: [N, C_in, ...], weight
// [C_in, C_out, k...] as in PyTorch, bias [C_out] or undefined. Output extent
// (L - 1)·s - 2p + k + output_padding, output_padding < s picking among the extents that the
// strided convolution maps to L. With mode = zeros this is PyTorch's ConvTranspose; replicate and
// periodic give the adjoints of those paddings (no PyTorch counterpart).
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, std::int64_t stride = 1,
                        std::int64_t padding = 0, std::int64_t output_padding = 0, Padding mode = Padding::zeros);
Tensor conv_transpose3d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, std::int64_t stride = 1,
                        std::int64_t padding = 0, std::int64_t output_padding = 0, Padding mode = Padding::zeros);

// ---- pooling: mean over non-overlapping kernel^d blocks (stride = kernel, no padding); cells of a
// trailing partial block are dropped (output extent L / kernel rounded down), as in PyTorch.
Tensor avg_pool2d(const Tensor& x, std::int64_t kernel);
Tensor avg_pool3d(const Tensor& x, std::int64_t kernel);

// ---- upsampling by an integer factor on every spatial axis
// Nearest: y[i] = x[i / scale].
Tensor upsample_nearest2d(const Tensor& x, std::int64_t scale);
Tensor upsample_nearest3d(const Tensor& x, std::int64_t scale);
// Trilinear with PyTorch's align_corners=false: output cell i samples the input at
// (i + 1/2)/scale - 1/2, clamped below at 0 and at the last cell above (edge cells replicate), so a
// field linear in the cell index is reproduced away from the outermost scale/2 cells.
Tensor upsample_trilinear3d(const Tensor& x, std::int64_t scale);

}  // namespace anneal::nn
