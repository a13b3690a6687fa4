// Boundary conditions of the flow solver: ghost layers beyond the domain's faces (mirror images that
// make the interior stencils see no-slip, free-slip, inflow or outflow), and the normal velocity on
// boundary faces (inflow profiles, convective outflow with a global mass balance).
#include <cmath>
#include <numbers>

#include "core/mpi_env.hpp"
#include "core/rng.hpp"
#include "physics/flow/flow_state_petsc.hpp"

namespace anneal::physics::flow {
namespace {

const Boundary& side_of(const Scene& scene, int axis, bool high) {
  return scene.boundary[static_cast<std::size_t>(2 * axis + (high ? 1 : 0))];
}

// The part of a field's ghost box that lies beyond boundary (axis, high): index `first` to `last`
// inclusive along `axis`, the whole ghost range along the others. Empty if this rank does not touch it.
template <class F>
void for_each_beyond(const GhostedField& field, int axis, long first, long last, const F& f) {
  IndexBox box = field.ghosted();
  const auto ua = static_cast<std::size_t>(axis);
  box.lo[ua] = std::max(box.lo[ua], std::min(first, last));
  box.hi[ua] = std::min(box.hi[ua], std::max(first, last) + 1);
  if (box.lo[ua] >= box.hi[ua]) return;
  for (long k = box.lo[2]; k < box.hi[2]; ++k)
    for (long j = box.lo[1]; j < box.hi[1]; ++j)
      for (long i = box.lo[0]; i < box.hi[0]; ++i) f(std::array<long, 3>{i, j, k});
}

double& at(GhostedField& f, const std::array<long, 3>& p) { return f(p[0], p[1], p[2]); }

// Ghosts of a cell-like index along `axis` (cell centres): ghost −m mirrors cell m − 1 (low side),
// ghost n − 1 + m mirrors cell n − m (high side). `value(ghost point, mirror value, inner value)`.
template <class F>
void fill_cell_like(GhostedField& field, int axis, long n, bool high, const F& value) {
  const auto ua = static_cast<std::size_t>(axis);
  const long first = high ? n : -1, last = high ? n + 1 : -2;
  for_each_beyond(field, axis, first, last, [&](std::array<long, 3> p) {
    const long m = high ? p[ua] - (n - 1) : -p[ua];
    std::array<long, 3> mirror = p, inner = p;
    mirror[ua] = high ? n - m : m - 1;
    inner[ua] = high ? n - 1 : 0;
    at(field, p) = value(p, at(field, mirror), at(field, inner));
  });
}

// The coordinates of a point of a field stored at cell centres along every axis but `face_axis`
// (where it sits on faces); face_axis = −1 for cell-centred fields.
std::array<double, 3> position(const MacGrid& grid, const std::array<long, 3>& p, int face_axis) {
  std::array<double, 3> x{};
  for (int a = 0; a < 3; ++a) {
    const auto ua = static_cast<std::size_t>(a);
    x[ua] = (static_cast<double>(p[ua]) + (a == face_axis ? 0.0 : 0.5)) * grid.h(a);
  }
  return x;
}

}  // namespace

double inflow_shape(const Scene& scene, int side, const std::array<double, 3>& x) {
  const Boundary& b = scene.boundary[static_cast<std::size_t>(side)];
  const int normal = side / 2;
  std::array<int, 2> tangential{};
  int t = 0;
  for (int a = 0; a < scene.dim; ++a)
    if (a != normal) tangential[static_cast<std::size_t>(t++)] = a;
  switch (b.profile) {
    case InflowProfile::uniform: return 1.0;
    case InflowProfile::parabolic: {
      // Poiseuille-like: zero on the walls, mean 1 across each non-periodic tangential axis.
      double s = 1.0;
      for (int i = 0; i < t; ++i) {
        const int a = tangential[static_cast<std::size_t>(i)];
        if (scene.periodic(a)) continue;
        const double xi = x[static_cast<std::size_t>(a)] / scene.size[static_cast<std::size_t>(a)];
        s *= 6.0 * xi * (1.0 - xi);
      }
      return s;
    }
    case InflowProfile::jet: {
      // A round (3-D) or planar (2-D) jet: a top hat of diameter D with tanh shear layers of
      // momentum thickness `edge` (Michalke's profile), 1 on the axis.
      double r2 = 0;
      for (int i = 0; i < t; ++i) {
        const double d = x[static_cast<std::size_t>(tangential[static_cast<std::size_t>(i)])] - b.center[static_cast<std::size_t>(i)];
        r2 += d * d;
      }
      const double r = std::sqrt(r2), radius = 0.5 * b.diameter;
      if (b.edge <= 0) return r < radius ? 1.0 : 0.0;
      return 0.5 * (1.0 + std::tanh((radius - r) / (2.0 * b.edge)));
    }
  }
  return 0.0;
}

double inflow_perturbation(const Scene& scene, int side, const std::array<double, 3>& x, double t, long step,
                           std::uint64_t face) {
  const Boundary& b = scene.boundary[static_cast<std::size_t>(side)];
  // The nozzle's frame: angle around its centre in the face's tangential plane (2-D: the side of
  // the slot, ±1), and the time scale D / U of its shear layers.
  const int normal = side / 2;
  std::array<double, 2> r{0, 0};
  int t_axis = 0;
  for (int a = 0; a < scene.dim; ++a)
    if (a != normal) {
      r[static_cast<std::size_t>(t_axis)] = x[static_cast<std::size_t>(a)] - b.center[static_cast<std::size_t>(t_axis)];
      ++t_axis;
    }
  const double theta = std::atan2(r[1], r[0]);
  const double scale = b.diameter > 0 ? b.diameter : scene.size[static_cast<std::size_t>(normal == 0 ? 1 : 0)];
  RandomStream modes(RandomStream::State{scene.seed, 0xF10Bull << 8 | static_cast<std::uint64_t>(side), 0});
  double coherent = 0;
  for (int m = 0; m < 4; ++m) {
    const double strouhal = 0.3 + 0.3 * modes.uniform(), phase = 2 * std::numbers::pi * modes.uniform();
    const double spin = 2 * std::numbers::pi * modes.uniform();
    const double angular = scene.dim == 3 ? std::cos(m * theta + spin) : (m % 2 == 0 ? 1.0 : (r[0] >= 0 ? 1.0 : -1.0));
    coherent += 0.5 * angular * std::sin(2 * std::numbers::pi * strouhal * b.speed / scale * t + phase);
  }
  // White noise: a counter-based stream per face, one draw per step, the same on any number of ranks.
  RandomStream white(RandomStream::State{scene.seed, static_cast<std::uint64_t>(side) << 56 | face, 2 * static_cast<std::uint64_t>(step)});
  return b.noise * (coherent + 0.5 * (2.0 * white.uniform() - 1.0));
}

void fill_velocity_ghosts(const Scene& scene, const MacGrid& grid, FlowFields& f) {
  for (int a = 0; a < grid.dim(); ++a) {
    GhostedField& u = f.u[static_cast<std::size_t>(a)];
    u.exchange();
    for (int d = 0; d < grid.dim(); ++d) {
      if (grid.periodic(d)) continue;
      const long n = grid.cells(d);
      for (bool high : {false, true}) {
        const Boundary& b = side_of(scene, d, high);
        if (d != a) {
          const double w = b.wall_velocity[static_cast<std::size_t>(a)];
          fill_cell_like(u, d, n, high, [&](const std::array<long, 3>&, double mirror, double inner) {
            switch (b.kind) {
              case BoundaryKind::wall: return 2.0 * w - mirror;  // no-slip: the wall's velocity halfway
              case BoundaryKind::slip: return mirror;            // no shear
              case BoundaryKind::inflow: return -mirror;         // no tangential velocity
              default: return inner;                             // outflow: zero gradient
            }
          });
          continue;
        }
        // The normal component: faces 0..n are real; ghosts −1, −2 and n + 1, n + 2 continue it
        // antisymmetrically about the boundary value (zero gradient at an outflow).
        const auto ua = static_cast<std::size_t>(a);
        const long first = high ? n + 1 : -1, last = high ? n + 2 : -2;
        for_each_beyond(u, a, first, last, [&](std::array<long, 3> p) {
          const long m = high ? p[ua] - n : -p[ua];
          std::array<long, 3> boundary = p, mirror = p;
          boundary[ua] = high ? n : 0;
          mirror[ua] = high ? n - m : m;
          at(u, p) = b.kind == BoundaryKind::outflow ? at(u, boundary) : 2.0 * at(u, boundary) - at(u, mirror);
        });
      }
    }
  }
}

void fill_scalar_ghosts(const Scene& scene, const MacGrid& grid, FlowFields& f) {
  GhostedField& c = f.scalar;
  c.exchange();
  for (int d = 0; d < grid.dim(); ++d) {
    if (grid.periodic(d)) continue;
    const long n = grid.cells(d);
    for (bool high : {false, true}) {
      const Boundary& b = side_of(scene, d, high);
      const int side = 2 * d + (high ? 1 : 0);
      fill_cell_like(c, d, n, high, [&](const std::array<long, 3>& p, double mirror, double inner) {
        switch (b.kind) {
          case BoundaryKind::inflow: {  // Dirichlet: the inflowing fluid's scalar on the face
            std::array<double, 3> x = position(grid, p, -1);
            x[static_cast<std::size_t>(d)] = high ? scene.size[static_cast<std::size_t>(d)] : 0.0;
            return 2.0 * b.scalar * inflow_shape(scene, side, x) - mirror;
          }
          case BoundaryKind::outflow: return inner;
          default: return mirror;  // walls: no flux
        }
      });
    }
  }
}

void set_boundary_faces(const Scene& scene, const MacGrid& grid, FlowFields& f, long step, double t, double dt) {
  double inflow_flux = 0, outflow_flux = 0, outflow_area = 0;
  const auto each_boundary_face = [&](int a, bool high, const auto& visit) {
    const auto ua = static_cast<std::size_t>(a);
    IndexBox box = grid.owned_faces(a);
    const long face = high ? grid.cells(a) : 0;
    if (face < box.lo[ua] || face >= box.hi[ua]) return;
    box.lo[ua] = face;
    box.hi[ua] = face + 1;
    const double area = grid.cell_volume() / grid.h(a);
    for (long k = box.lo[2]; k < box.hi[2]; ++k)
      for (long j = box.lo[1]; j < box.hi[1]; ++j)
        for (long i = box.lo[0]; i < box.hi[0]; ++i) {
          std::array<long, 3> inner{i, j, k};
          inner[ua] += high ? -1 : 1;
          std::array<long, 3> cell{i, j, k};
          if (high) cell[ua] -= 1;
          const bool blocked = f.solid(cell[0], cell[1], cell[2]) > 0.5;
          visit(std::array<long, 3>{i, j, k}, inner, area, blocked);
        }
  };
  // Inflow profiles, walls; the convective outflow advanced by dt with the bulk speed.
  std::array<bool, 6> is_outflow{};
  for (int a = 0; a < grid.dim(); ++a) {
    if (grid.periodic(a)) continue;
    GhostedField& u = f.u[static_cast<std::size_t>(a)];
    for (bool high : {false, true}) {
      const int side = 2 * a + (high ? 1 : 0);
      const Boundary& b = side_of(scene, a, high);
      const double inward = high ? -1.0 : 1.0;
      is_outflow[static_cast<std::size_t>(side)] = b.kind == BoundaryKind::outflow;
      each_boundary_face(a, high, [&](const std::array<long, 3>& p, const std::array<long, 3>&, double area, bool blocked) {
        double& value = at(u, p);
        if (b.kind == BoundaryKind::outflow) {
          if (!blocked) outflow_area += area;
          return;
        }
        value = 0;
        if (b.kind != BoundaryKind::inflow || blocked) return;
        const std::array<double, 3> x = position(grid, p, a);
        double speed = b.speed * (b.coflow + (1.0 - b.coflow) * inflow_shape(scene, side, x));
        if (b.noise > 0) {
          const auto face = static_cast<std::uint64_t>((p[2] * grid.cells(1) + p[1]) * (grid.cells(0) + 1) + p[0]);
          speed *= 1.0 + inflow_perturbation(scene, side, x, t + dt, step, face);
        }
        value = inward * speed;
        inflow_flux += speed * area;
      });
    }
  }
  inflow_flux = mpi::sum_over_ranks(inflow_flux);
  outflow_area = mpi::sum_over_ranks(outflow_area);
  if (outflow_area == 0) return;
  double bulk = inflow_flux / outflow_area;
  if (bulk <= 0) {  // nothing flows in: advect with the mean outward speed at the outflow
    double outward = 0;
    for (int a = 0; a < grid.dim(); ++a)
      for (bool high : {false, true})
        if (is_outflow[static_cast<std::size_t>(2 * a + (high ? 1 : 0))])
          each_boundary_face(a, high, [&](const std::array<long, 3>& p, const std::array<long, 3>&, double area, bool blocked) {
            if (!blocked) outward += (high ? 1.0 : -1.0) * at(f.u[static_cast<std::size_t>(a)], p) * area;
          });
    bulk = std::max(mpi::sum_over_ranks(outward) / outflow_area, 0.0);
  }
  for (int a = 0; a < grid.dim(); ++a)
    for (bool high : {false, true}) {
      if (!is_outflow[static_cast<std::size_t>(2 * a + (high ? 1 : 0))]) continue;
      GhostedField& u = f.u[static_cast<std::size_t>(a)];
      each_boundary_face(a, high, [&](const std::array<long, 3>& p, const std::array<long, 3>& inner, double area, bool blocked) {
        double& value = at(u, p);
        if (blocked) {
          value = 0;
          return;
        }
        value -= dt * bulk * (value - at(u, inner)) / grid.h(a);
        outflow_flux += (high ? 1.0 : -1.0) * value * area;
      });
    }
  // Shift the outflow so that it carries exactly what comes in: without this the Poisson problem
  // with Neumann conditions has no solution.
  const double shift = (inflow_flux - mpi::sum_over_ranks(outflow_flux)) / outflow_area;
  for (int a = 0; a < grid.dim(); ++a)
    for (bool high : {false, true}) {
      if (!is_outflow[static_cast<std::size_t>(2 * a + (high ? 1 : 0))]) continue;
      each_boundary_face(a, high, [&](const std::array<long, 3>& p, const std::array<long, 3>&, double, bool blocked) {
        if (!blocked) at(f.u[static_cast<std::size_t>(a)], p) += (high ? 1.0 : -1.0) * shift;
      });
    }
}

}  // namespace anneal::physics::flow
