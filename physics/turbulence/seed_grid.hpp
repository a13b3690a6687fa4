#pragma once
// Where particles start: the nodes of a rectilinear seed grid (the data grid, a sub-sampled copy of
// it, or an even grid over a box), given in the analysis frame. A frame translating with velocity U
// sees the lab point x at time t as x − U (t − t_frame); seeds at t0 sit at lab x' + U (t0 − t_frame).
// FTLE, ∇F and Δv are unchanged by such a uniform translation, so only where the seeds sit moves.
//
// MPI ranks own whole planes of the seed grid (y rows in 2-D, z planes in 3-D), the same block
// partition the output is written with.
#include <array>
#include <cstddef>
#include <vector>

#include "core/partition.hpp"
#include "physics/turbulence/flow_data.hpp"
#include "physics/turbulence/velocity_field.hpp"

namespace anneal::physics::turbulence {

struct SeedSpec {
  std::vector<std::size_t> counts;  // nodes per axis; empty: the data grid
  std::vector<double> box;          // [x0, x1, y0, y1(, z0, z1)]; empty: the data domain
  std::size_t stride = 1;           // with the data grid: every stride-th node
};

struct SeedGrid {
  io::RectilinearGrid grid;
  std::array<bool, 3> periodic{};
  std::size_t planes() const { return grid.is_3d() ? grid.z.size() : grid.y.size(); }
  std::size_t plane_size() const { return grid.x.size() * (grid.is_3d() ? grid.y.size() : 1); }
  std::size_t size() const { return planes() * plane_size(); }
};

// Checks the spec against the data (counts ≥ 2 per axis, box inside the domain, stride ≥ 1).
SeedGrid make_seed_grid(const FlowFileInfo& info, const SeedSpec& spec);

// This rank's planes.
BlockRange local_planes(const SeedGrid& seeds);

// The lab positions at time t0 of this rank's seeds, x fastest; `frame_velocity` empty or D values.
template <int D>
std::vector<Vec<D>> local_seed_positions(const SeedGrid& seeds, const BlockRange& planes,
                                         const std::vector<double>& frame_velocity, double shift_time);

}  // namespace anneal::physics::turbulence
