#pragma once
// A trained DCDM network as a search-direction proposer for a system on a grid: the residual
// vector (natural order (k·ny + j)·nx + i) becomes a [1, C, nz, ny, nx] image, the network runs in
// its own dtype without recording a tape, and the direction comes back as doubles.
//
// Grids with an odd extent are padded with zero cells at the high end (the network's pooling needs
// even extents) and the output cropped, which is what its zero padding would see anyway. Solid
// cells (decoupled identity rows) get a zero direction, so the iteration never moves them.
#include <array>
#include <memory>
#include <span>
#include <vector>

#include "physics/poisson/dcdm_network.hpp"
#include "solvers/krylov/conjugate_directions.hpp"

namespace anneal::physics::poisson {

class DcdmProposer {
 public:
  // grid: nx, ny, nz; cell_type: [nz][ny][nx] (0 fluid, 1 solid) or empty (all fluid). A network
  // with two input channels needs the cell types.
  DcdmProposer(std::shared_ptr<const DcdmNetwork> network, std::array<long, 3> grid, std::vector<std::uint8_t> cell_type);

  void operator()(std::span<const double> residual, std::span<double> direction) const;
  solvers::DirectionProposer function() const;  // shares this proposer's state

  // The network's input for a residual: [1, C, nz', ny', nx'] (padded extents), in its dtype.
  nn::Tensor input(std::span<const double> residual) const;
  long cells() const { return grid_[0] * grid_[1] * grid_[2]; }

 private:
  std::shared_ptr<const DcdmNetwork> network_;
  std::array<long, 3> grid_, padded_;
  std::vector<std::uint8_t> cell_type_;
};

}  // namespace anneal::physics::poisson
