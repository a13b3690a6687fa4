#pragma once
// The DCDM network (Kaneda et al., ICML 2023): a fully convolutional 3-D net that maps a residual
// grid to a search direction. As in the authors' 64³ model: a linear 3×3×3 convolution lifts the
// input to C channels; residual units relu(conv(relu(conv(h)))) + h (ReLU before each addition) at
// full resolution; one 2× average-pooling level with more units; nearest 2× upsampling added to
// the full-resolution branch (an additive skip); more units; a linear 1×1×1 convolution to one
// channel. Zero padding everywhere, no normalisation: the net is translation-equivariant and runs
// on any grid whose extents are even, whatever it was trained on.
//
// Input channels: 1 (the residual, the paper) or 2 (the residual and the cell-type image, fluid 0 /
// solid 1, as proposed by Lan et al., ICML 2024).
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "nn/conv.hpp"
#include "nn/module.hpp"

namespace anneal::physics::poisson {

struct DcdmArchitecture {
  int in_channels = 1;
  int channels = 16;
  int full_units = 1;    // residual units before pooling (paper: 1)
  int coarse_units = 3;  // at half resolution (paper: 3)
  int post_units = 2;    // after upsampling (paper: 2)

  // Cells beyond which a change of the input cannot change an output cell: the halo a rank needs
  // to compute its block of the direction exactly (DESIGN.md §3). Counted per 3×3×3 convolution
  // (1 cell at full resolution, 2 at half) plus one cell for the pooling alignment.
  int receptive_radius() const;
  std::string to_json() const;
  static DcdmArchitecture from_json(const std::string& json);
  void validate() const;  // clear errors for nonsense sizes
};

// The network sees a residual scaled to unit RMS, r/‖r‖·√n for n cells, not the paper's unit 2-norm
// (entries ~ n^(−1/2)): its activations at initialisation are then O(1) whatever the grid, and a net
// trained on 32³ sees inputs of the same size on 128³. The direction's scale is irrelevant (DCDM's
// line search), so this is a reparametrisation of the input, nothing more.
inline double dcdm_input_scale(long cells) { return std::sqrt(static_cast<double>(cells)); }

class DcdmNetwork : public nn::Module {
 public:
  DcdmNetwork(const DcdmArchitecture& architecture, RandomStream& rng, nn::DType dtype = nn::DType::f32);

  // x: [N, in_channels, nz, ny, nx] with even extents → [N, 1, nz, ny, nx].
  nn::Tensor forward(const nn::Tensor& x) const;
  const DcdmArchitecture& architecture() const { return architecture_; }
  nn::DType dtype() const { return dtype_; }

 private:
  struct Unit {
    std::shared_ptr<nn::Conv3d> first, second;
  };
  nn::Tensor apply(const Unit& unit, const nn::Tensor& h) const;
  Unit make_unit(const std::string& name, RandomStream& rng);

  DcdmArchitecture architecture_;
  nn::DType dtype_;
  std::shared_ptr<nn::Conv3d> lift_, enter_, leave_, output_;
  std::vector<Unit> full_, coarse_, post_;
};

}  // namespace anneal::physics::poisson
