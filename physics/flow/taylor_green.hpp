#pragma once
// The Taylor–Green vortex (Taylor & Green 1937) on the periodic box [0, 2π)³, the classic
// incompressible test flow: u = U (sin x cos y cos z, −cos x sin y cos z, 0).
#include <array>
#include <cstddef>
#include <span>

#include "io/grid_file.hpp"

namespace anneal::physics::flow {

std::array<double, 3> taylor_green_velocity(double x, double y, double z, double amplitude = 1.0);
// Its exact vorticity ∇×u = U (−cos x sin y sin z, −sin x cos y sin z, 2 sin x sin y cos z).
std::array<double, 3> taylor_green_vorticity(double x, double y, double z, double amplitude = 1.0);

// Velocity on the planes k in [first_plane, first_plane + planes) of `grid`, [planes][ny][nx][3].
// Plane indices may run past either end of the periodic z axis (ghost planes); they wrap.
void sample_taylor_green(const io::RectilinearGrid& grid, long first_plane, std::size_t planes,
                         std::span<double> velocity, double amplitude = 1.0);

}  // namespace anneal::physics::flow
