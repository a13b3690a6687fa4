#pragma once
// Vorticity ω = ∇×u of a 3-D velocity field on a rectilinear grid, by finite differences:
// 4th-order central differences along periodic axes (which must be evenly spaced), 2nd-order
// three-point Lagrange differences along the others (one-sided at their ends). Works on a z-slab
// so that MPI ranks each compute their own planes from the slab plus ghost planes.
#include <array>
#include <cstddef>
#include <span>

#include "io/grid_file.hpp"

namespace anneal::physics::flow {

struct Periodicity {
  bool x = false, y = false, z = false;
};

// Ghost planes needed on each side of a slab.
inline constexpr std::size_t kVorticityHalo = 2;

// The planes a rank must hold to compute planes [z_begin, z_end): [first, first + count), where
// `first` may be negative or `first + count` past nz on a periodic axis (those planes wrap).
struct PlaneWindow {
  long first = 0;
  std::size_t count = 0;
};
PlaneWindow vorticity_input_window(std::size_t nz, bool periodic_z, std::size_t z_begin, std::size_t z_end);

// `velocity` holds planes [window.first, window.first + window.count) as [count][ny][nx][3];
// `vorticity` receives planes [z_begin, z_end) as [z_end - z_begin][ny][nx][3].
// Throws if a periodic axis is not evenly spaced or an axis is too short for its stencil.
void compute_vorticity(const io::RectilinearGrid& grid, const Periodicity& periodic, const PlaneWindow& window,
                       std::span<const double> velocity, std::size_t z_begin, std::size_t z_end,
                       std::span<double> vorticity);

}  // namespace anneal::physics::flow
