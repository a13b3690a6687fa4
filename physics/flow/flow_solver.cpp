#include "physics/flow/flow_solver.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/mpi_env.hpp"
#include "physics/flow/flow_state_petsc.hpp"
#include "physics/flow/projection_petsc.hpp"

namespace anneal::physics::flow {

FlowFields::FlowFields(const MacGrid& grid) : scalar(grid.cell_dm()), solid(grid.cell_dm()) {
  for (int a = 0; a < grid.dim(); ++a) u[static_cast<std::size_t>(a)] = GhostedField(grid.face_dm(a));
}

namespace {

CellBlock to_block(const IndexBox& box) {
  CellBlock b;
  for (std::size_t a = 0; a < 3; ++a) {
    b.offset[a] = box.lo[a];
    b.count[a] = box.hi[a] - box.lo[a];
  }
  return b;
}

// The Taylor–Green vortex fitted to the box: u = A sin(kx x) cos(ky y) cos(kz z),
// v = −A (kx/ky) cos(kx x) sin(ky y) cos(kz z), w = 0, with k = 2π / L (divergence-free).
double taylor_green(const Scene& s, int component, const std::array<double, 3>& x) {
  const double two_pi = 2.0 * std::numbers::pi;
  const double kx = two_pi / s.size[0], ky = two_pi / s.size[1];
  const double z_factor = s.dim == 3 ? std::cos(two_pi / s.size[2] * x[2]) : 1.0;
  if (component == 0) return s.initial_amplitude * std::sin(kx * x[0]) * std::cos(ky * x[1]) * z_factor;
  if (component == 1) return -s.initial_amplitude * kx / ky * std::cos(kx * x[0]) * std::sin(ky * x[1]) * z_factor;
  return 0.0;
}

constexpr std::array<std::array<double, 2>, 3> rk3_stages{{{0.0, 1.0}, {0.75, 0.25}, {1.0 / 3.0, 2.0 / 3.0}}};

}  // namespace

struct FlowSolver::Impl {
  explicit Impl(const Scene& s)
      : scene(s), grid(scene), f(grid), c0(grid.cell_dm()), scalar_rate(grid.cell_dm()) {
    for (int a = 0; a < grid.dim(); ++a) {
      u0[static_cast<std::size_t>(a)] = GhostedField(grid.face_dm(a));
      rate[static_cast<std::size_t>(a)] = GhostedField(grid.face_dm(a));
    }
    mark_solids(scene, grid, f.solid);
    initialise();
    projection = std::make_unique<Projection>(scene, grid, f.solid);
    pressure.assign(static_cast<std::size_t>(grid.owned_cells().count()), 0.0);
    phi = pressure;
    set_boundary_faces(scene, grid, f, 0, 0.0, 0.0);
    projection->project(f, phi);  // makes a sampled initial field discretely divergence-free
    fill_ghosts();
  }

  void initialise() {
    for (int a = 0; a < grid.dim(); ++a) {
      GhostedField& u = f.u[static_cast<std::size_t>(a)];
      for_each_index(grid.owned_faces(a), [&](long i, long j, long k) {
        if (scene.initial_velocity != "taylor_green" || face_fixed(grid, f.solid, a, i, j, k)) return;
        std::array<double, 3> x{(static_cast<double>(i) + 0.5) * grid.h(0), (static_cast<double>(j) + 0.5) * grid.h(1),
                                (static_cast<double>(k) + 0.5) * grid.h(2)};
        x[static_cast<std::size_t>(a)] -= 0.5 * grid.h(a);
        u(i, j, k) = taylor_green(scene, a, x);
      });
    }
    for_each_index(grid.owned_cells(), [&](long i, long j, long k) {
      if (f.solid(i, j, k) > 0.5) return;
      double c = scene.initial_scalar;
      if (scene.scalar_blob) {
        const std::array<double, 3> x{(static_cast<double>(i) + 0.5) * grid.h(0), (static_cast<double>(j) + 0.5) * grid.h(1),
                                      (static_cast<double>(k) + 0.5) * grid.h(2)};
        double r2 = 0;
        for (int a = 0; a < scene.dim; ++a)
          r2 += std::pow(x[static_cast<std::size_t>(a)] - scene.scalar_blob->center[static_cast<std::size_t>(a)], 2);
        if (r2 < scene.scalar_blob->radius * scene.scalar_blob->radius) c = scene.scalar_blob_value;
      }
      f.scalar(i, j, k) = c;
    });
  }

  void fill_ghosts() {
    fill_velocity_ghosts(scene, grid, f);
    fill_scalar_ghosts(scene, grid, f);
  }

  // Largest |u_a| over owned faces, per component (global).
  std::array<double, 3> max_components() const {
    std::array<double, 3> m{0, 0, 0};
    for (int a = 0; a < grid.dim(); ++a) {
      const GhostedField& u = f.u[static_cast<std::size_t>(a)];
      const IndexBox& box = grid.owned_faces(a);
      double local = 0;
      for (long k = box.lo[2]; k < box.hi[2]; ++k)
        for (long j = box.lo[1]; j < box.hi[1]; ++j)
          for (long i = box.lo[0]; i < box.hi[0]; ++i) {
            const double v = std::abs(u(i, j, k));
            local = std::isnan(v) || v > local ? v : local;  // NaN wins: a blow-up must be seen
          }
      m[static_cast<std::size_t>(a)] = mpi::max_over_ranks(local);
    }
    return m;
  }

  double choose_dt(double limit, double& advective_rate) const {
    const auto speeds = max_components();
    advective_rate = 0;
    double inverse_h2 = 0, h_min = 1e300;
    for (int a = 0; a < grid.dim(); ++a) {
      advective_rate += speeds[static_cast<std::size_t>(a)] / grid.h(a);
      inverse_h2 += 1.0 / (grid.h(a) * grid.h(a));
      h_min = std::min(h_min, grid.h(a));
    }
    ANNEAL_CHECK(std::isfinite(advective_rate),
                 "the flow blew up at step {} (t = {:.6g}): the velocity is no longer finite; lower time.cfl or "
                 "time.max_dt, or refine the grid",
                 step_count, time);
    double dt = std::min(scene.max_dt, limit);
    if (advective_rate > 0) dt = std::min(dt, scene.cfl / advective_rate);
    // Explicit diffusion: SSP-RK3 is stable for |λ dt| ≤ 2.5 on the negative real axis; the
    // largest eigenvalue of the 2nd-order Laplacian is 4ν Σ 1/h².
    const double diffusion = std::max(scene.viscosity, scene.diffusivity);
    if (diffusion > 0) dt = std::min(dt, 0.5 / (diffusion * inverse_h2));
    double max_scalar = 0;
    for (int a = 0; a < grid.dim(); ++a)
      if (scene.buoyancy[static_cast<std::size_t>(a)] != 0) {
        if (max_scalar == 0) max_scalar = max_abs_scalar();
        const double accel = std::abs(scene.buoyancy[static_cast<std::size_t>(a)]) * max_scalar;
        if (accel > 0) dt = std::min(dt, scene.cfl * std::sqrt(h_min / accel));
      }
    return dt;
  }

  double max_abs_scalar() const {
    double local = 0;
    for_owned_fluid([&](long i, long j, long k) { local = std::max(local, std::abs(f.scalar(i, j, k))); });
    return mpi::max_over_ranks(local);
  }

  template <class F>
  void for_owned_fluid(const F& visit) const {
    const IndexBox& own = grid.owned_cells();
    for (long k = own.lo[2]; k < own.hi[2]; ++k)
      for (long j = own.lo[1]; j < own.hi[1]; ++j)
        for (long i = own.lo[0]; i < own.hi[0]; ++i)
          if (f.solid(i, j, k) < 0.5) visit(i, j, k);
  }

  StepReport step(double limit) {
    StepReport report;
    double advective_rate = 0;
    const double dt = choose_dt(limit, advective_rate);
    report.dt = dt;
    report.cfl = dt * advective_rate;
    set_boundary_faces(scene, grid, f, step_count + 1, time, dt);
    for (int a = 0; a < grid.dim(); ++a) u0[static_cast<std::size_t>(a)].copy_from(f.u[static_cast<std::size_t>(a)]);
    c0.copy_from(f.scalar);

    for (const auto& [keep, advance] : rk3_stages) {
      fill_ghosts();
      momentum_tendency(scene, grid, f, rate);
      scalar_tendency(scene, grid, f, scalar_rate);
      for (int a = 0; a < grid.dim(); ++a) {
        GhostedField& u = f.u[static_cast<std::size_t>(a)];
        const GhostedField& start = u0[static_cast<std::size_t>(a)];
        const GhostedField& du = rate[static_cast<std::size_t>(a)];
        for_each_index(grid.owned_faces(a), [&](long i, long j, long k) {
          if (!face_fixed(grid, f.solid, a, i, j, k))
            u(i, j, k) = keep * start(i, j, k) + advance * (u(i, j, k) + dt * du(i, j, k));
        });
      }
      for_each_index(grid.owned_cells(), [&](long i, long j, long k) {
        if (f.solid(i, j, k) < 0.5)
          f.scalar(i, j, k) = keep * c0(i, j, k) + advance * (f.scalar(i, j, k) + dt * scalar_rate(i, j, k));
      });
      // φ = p · (advance · dt): the pressure impulse of this stage; the last pressure is its guess.
      const double weight = advance * dt;
      for (std::size_t n = 0; n < phi.size(); ++n) phi[n] = pressure[n] * weight;
      const solvers::KrylovReport solve = projection->project(f, phi);
      for (std::size_t n = 0; n < phi.size(); ++n) pressure[n] = phi[n] / weight;
      report.poisson_iterations += solve.iterations;
      // Checked after every projection, not only the step's last one.
      for (int a = 0; a < grid.dim(); ++a) f.u[static_cast<std::size_t>(a)].exchange();
      report.max_divergence = std::max(report.max_divergence, max_divergence());
    }
    time += dt;
    ++step_count;
    system_step = step_count;
    system_time = time;
    fill_ghosts();

    double change = 0;
    for (int a = 0; a < grid.dim(); ++a) {
      const GhostedField& u = f.u[static_cast<std::size_t>(a)];
      const GhostedField& start = u0[static_cast<std::size_t>(a)];
      const IndexBox& box = grid.owned_faces(a);
      for (long k = box.lo[2]; k < box.hi[2]; ++k)
        for (long j = box.lo[1]; j < box.hi[1]; ++j)
          for (long i = box.lo[0]; i < box.hi[0]; ++i) change = std::max(change, std::abs(u(i, j, k) - start(i, j, k)));
    }
    report.change_rate = mpi::max_over_ranks(change) / dt;
    return report;
  }

  double max_divergence() const {
    const auto speeds = max_components();
    double speed = 0, h = 1e300;
    for (int a = 0; a < grid.dim(); ++a) {
      speed = std::max(speed, speeds[static_cast<std::size_t>(a)]);
      h = std::min(h, grid.h(a));
    }
    const double divergence = mpi::max_over_ranks(local_max_divergence(grid, f));
    return speed > 0 ? divergence * h / speed : divergence;
  }

  Scene scene;
  MacGrid grid;
  FlowFields f;
  std::array<GhostedField, 3> u0, rate;
  GhostedField c0, scalar_rate;
  std::unique_ptr<Projection> projection;
  std::vector<double> pressure, phi;  // owned cells: the pressure, and the last stage's φ
  double time = 0, system_time = 0;
  long step_count = 0, system_step = 0;
};

FlowSolver::FlowSolver(const Scene& scene) : impl_(std::make_unique<Impl>(scene)) {}
FlowSolver::~FlowSolver() = default;

StepReport FlowSolver::step(double max_dt) { return impl_->step(max_dt); }
double FlowSolver::time() const { return impl_->time; }
long FlowSolver::steps() const { return impl_->step_count; }
const Scene& FlowSolver::scene() const { return impl_->scene; }
std::string FlowSolver::pressure_solver() const { return impl_->projection->description(); }
CellBlock FlowSolver::block() const { return to_block(impl_->grid.owned_cells()); }
CellBlock FlowSolver::face_block(int axis) const { return to_block(impl_->grid.owned_faces(axis)); }

std::vector<double> FlowSolver::cell_velocity() const {
  const Impl& m = *impl_;
  const int dim = m.grid.dim();
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(m.grid.owned_cells().count() * dim));
  const IndexBox& own = m.grid.owned_cells();
  for (long k = own.lo[2]; k < own.hi[2]; ++k)
    for (long j = own.lo[1]; j < own.hi[1]; ++j)
      for (long i = own.lo[0]; i < own.hi[0]; ++i)
        for (int a = 0; a < dim; ++a) {
          const GhostedField& u = m.f.u[static_cast<std::size_t>(a)];
          std::array<long, 3> q{i, j, k};
          q[static_cast<std::size_t>(a)] += 1;
          out.push_back(m.f.solid(i, j, k) > 0.5 ? 0.0 : 0.5 * (u(i, j, k) + u(q[0], q[1], q[2])));
        }
  return out;
}

std::vector<double> FlowSolver::pressure() const { return impl_->pressure; }
std::vector<double> FlowSolver::scalar() const { return impl_->f.scalar.owned_values(); }
std::vector<double> FlowSolver::face_velocity(int axis) const {
  return impl_->f.u[static_cast<std::size_t>(axis)].owned_values();
}

std::vector<std::uint8_t> FlowSolver::solid() const {
  std::vector<std::uint8_t> out;
  for (double v : impl_->f.solid.owned_values()) out.push_back(v > 0.5 ? 1 : 0);
  return out;
}

double FlowSolver::kinetic_energy() const {
  const Impl& m = *impl_;
  double energy = 0;
  for (int a = 0; a < m.grid.dim(); ++a) {
    const GhostedField& u = m.f.u[static_cast<std::size_t>(a)];
    const IndexBox& box = m.grid.owned_faces(a);
    const auto ua = static_cast<std::size_t>(a);
    for (long k = box.lo[2]; k < box.hi[2]; ++k)
      for (long j = box.lo[1]; j < box.hi[1]; ++j)
        for (long i = box.lo[0]; i < box.hi[0]; ++i) {
          const std::array<long, 3> p{i, j, k};
          // A face on a wall carries half a control volume.
          const bool edge = !m.grid.periodic(a) && (p[ua] == 0 || p[ua] == m.grid.cells(a));
          energy += (edge ? 0.25 : 0.5) * u(i, j, k) * u(i, j, k);
        }
  }
  return mpi::sum_over_ranks(energy) * m.grid.cell_volume();
}

double FlowSolver::scalar_mass() const {
  double mass = 0;
  impl_->for_owned_fluid([&](long i, long j, long k) { mass += impl_->f.scalar(i, j, k); });
  return mpi::sum_over_ranks(mass) * impl_->grid.cell_volume();
}

double FlowSolver::max_divergence() const { return impl_->max_divergence(); }

double FlowSolver::max_speed() const {
  const auto m = impl_->max_components();
  return std::sqrt(m[0] * m[0] + m[1] * m[1] + m[2] * m[2]);
}

PressureSystem FlowSolver::pressure_system() const {
  const Impl& m = *impl_;
  PressureSystem s;
  s.lattice.dim = m.grid.dim();
  for (int a = 0; a < 3; ++a) {
    const auto ua = static_cast<std::size_t>(a);
    s.lattice.cells[ua] = m.grid.cells(a);
    s.lattice.periodic[ua] = m.grid.periodic(a);
    s.lattice.spacing[ua] = m.grid.h(a);
  }
  const std::vector<double> types = m.grid.gather_cells(m.projection->cell_types());
  std::vector<solvers::CellType> cell_types;
  for (double t : types) {
    cell_types.push_back(t > 0.5 ? solvers::CellType::solid : solvers::CellType::fluid);
    s.cell_type.push_back(t > 0.5 ? 1 : 0);
  }
  s.matrix = solvers::assemble_laplacian(s.lattice, cell_types);
  s.rhs = m.grid.gather_cells(m.projection->last_rhs());
  s.solution = m.grid.gather_cells(m.phi);
  s.step = m.system_step;
  s.time = m.system_time;
  return s;
}

FlowCheckpoint FlowSolver::checkpoint() const {
  FlowCheckpoint c;
  c.time = impl_->time;
  c.step = impl_->step_count;
  for (int a = 0; a < impl_->grid.dim(); ++a) c.velocity[static_cast<std::size_t>(a)] = face_velocity(a);
  c.scalar = scalar();
  c.pressure = impl_->pressure;
  return c;
}

void FlowSolver::restore(const FlowCheckpoint& state) {
  Impl& m = *impl_;
  for (int a = 0; a < m.grid.dim(); ++a)
    m.f.u[static_cast<std::size_t>(a)].set_owned_values(state.velocity[static_cast<std::size_t>(a)]);
  m.f.scalar.set_owned_values(state.scalar);
  ANNEAL_CHECK(state.pressure.size() == m.pressure.size(), "checkpoint: pressure block of the wrong size");
  m.pressure = state.pressure;
  m.time = state.time;
  m.step_count = state.step;
  m.fill_ghosts();
}

}  // namespace anneal::physics::flow
