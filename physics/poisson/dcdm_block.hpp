#pragma once
// The DCDM network applied to one block of a decomposed grid: the rank's owned box of cells plus a
// halo around it (its ghosted box), so that each rank computes its share of the search direction
// locally (DESIGN.md §3). No PETSc here: the distributed proposer (petsc_poisson.hpp) hands it the
// ghosted residual a DMDA exchanged; tests hand it boxes cut from a serial residual.
//
// Why the owned cells come out exactly as the serial DcdmProposer computes them:
// - The image covers the ghosted box. Where that box stops at the grid's edge, the network's zero
//   padding sees what the serial one sees. Where it stops inside the grid (an interior face), the
//   padding replaces data the serial network sees; the error this makes travels inwards one cell
//   per 3×3×3 convolution (two per coarse one), i.e. at most the receptive radius
//   (DcdmArchitecture::receptive_radius) from the box face. With a halo at least that wide, no
//   owned cell is reached.
// - The 2× pooling pairs cells (2c, 2c+1) in the serial image. The box must therefore start at an
//   even global index on every axis, so that it pairs the same cells. An odd extent is padded with
//   one zero cell at its high end, as the serial proposer pads the grid; that is the same cell only
//   if the box ends at the grid's high end, so an odd extent anywhere else is refused.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "physics/poisson/dcdm_network.hpp"

namespace anneal::physics::poisson {

// Cells [lo, hi) per axis, x first, in global grid indices.
struct CellBox {
  std::array<long, 3> lo{0, 0, 0}, hi{0, 0, 0};
  long extent(int axis) const { return hi[static_cast<std::size_t>(axis)] - lo[static_cast<std::size_t>(axis)]; }
  long count() const { return extent(0) * extent(1) * extent(2); }
  bool contains(const CellBox& inner) const;
};

// The smallest distance, over the axes and both sides, between `owned` and a face of `ghosted`
// that lies inside the grid (a face on the grid's edge does not count): the halo that decides
// whether the owned cells are exact. A large number when every face is on the grid's edge.
long interior_halo(std::array<long, 3> grid, const CellBox& owned, const CellBox& ghosted);

class DcdmBlockProposer {
 public:
  // grid: the whole grid's extents nx, ny, nz; owned ⊆ ghosted ⊆ the grid; cell_type: the whole
  // grid's cell types ([nz][ny][nx], 0 fluid, 1 solid) or empty (all fluid); only the ghosted
  // box's share is kept. The halo is not checked here (tests cut short ones on purpose); the
  // alignment is.
  DcdmBlockProposer(std::shared_ptr<const DcdmNetwork> network, std::array<long, 3> grid, CellBox owned,
                    CellBox ghosted, std::span<const std::uint8_t> cell_type);

  // ghosted_residual: the unit-norm residual on the ghosted box, x fastest (a DMDA local vector);
  // owned_direction: the direction on the owned box, x fastest (a DMDA global vector's block).
  void operator()(std::span<const double> ghosted_residual, std::span<double> owned_direction) const;

  const CellBox& owned() const { return owned_; }
  const CellBox& ghosted() const { return ghosted_; }

 private:
  std::shared_ptr<const DcdmNetwork> network_;
  CellBox owned_, ghosted_;
  std::array<long, 3> padded_{0, 0, 0};  // the image's extents: ghosted, odd ones + 1
  double scale_ = 1;                     // dcdm_input_scale of the whole grid's cell count
  std::vector<std::uint8_t> cell_type_;  // on the ghosted box, x fastest; empty if all fluid
};

}  // namespace anneal::physics::poisson
