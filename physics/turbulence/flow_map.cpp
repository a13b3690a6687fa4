#include "physics/turbulence/flow_map.hpp"

#include <tbb/blocked_range.h>
#include <tbb/combinable.h>
#include <tbb/parallel_for.h>

#include <chrono>
#include <type_traits>

#include "core/error.hpp"
#include "physics/turbulence/gridded_velocity.hpp"

namespace anneal::physics::turbulence {
namespace {

using solvers::ode::State;

// adj(F) = det(F) F⁻¹, row-major.
template <int D>
Mat<D> adjugate(const double* F) {
  if constexpr (D == 2) {
    return {F[3], -F[1], -F[2], F[0]};
  } else {
    return {F[4] * F[8] - F[5] * F[7], F[2] * F[7] - F[1] * F[8], F[1] * F[5] - F[2] * F[4],
            F[5] * F[6] - F[3] * F[8], F[0] * F[8] - F[2] * F[6], F[2] * F[3] - F[0] * F[5],
            F[3] * F[7] - F[4] * F[6], F[1] * F[6] - F[0] * F[7], F[0] * F[4] - F[1] * F[3]};
  }
}

template <int D, Carry C>
constexpr std::size_t state_size() {
  if constexpr (C == Carry::position) return D;
  else if constexpr (C == Carry::gradient) return D + D * D;
  else return D + D * D + D + (D == 2 ? 1 : 0);
}

// The right-hand side of one particle's ODE: dx/dt = v, and what it carries.
template <int D, Carry C, class Field>
struct ParticleRhs {
  const Field& field;
  std::uint8_t operator()(double t, const State<state_size<D, C>()>& y, State<state_size<D, C>()>& dy) const {
    Vec<D> x, v;
    for (int i = 0; i < D; ++i) x[i] = y[i];
    if constexpr (C == Carry::position) {
      if (const auto s = field.velocity(x, t, v)) return s;
      for (int i = 0; i < D; ++i) dy[i] = v[i];
      return particle_ok;
    } else {
      Mat<D> g;
      if (const auto s = field.gradient(x, t, v, g)) return s;
      for (int i = 0; i < D; ++i) dy[i] = v[i];
      const double* F = y.data() + D;
      for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) {
          double sum = 0;
          for (int k = 0; k < D; ++k) sum += g[i * D + k] * F[k * D + j];
          dy[D + i * D + j] = sum;
        }
      if constexpr (C == Carry::barrier) {
        Vec<D> lap;
        if (const auto s = field.laplacian(x, t, lap)) return s;
        const Mat<D> adj = adjugate<D>(F);
        for (int i = 0; i < D; ++i) {
          double sum = 0;
          for (int k = 0; k < D; ++k) sum += adj[i * D + k] * lap[k];
          dy[D + D * D + i] = sum;
        }
        if constexpr (D == 2) dy[D + D * D + D] = vorticity_2d(g);
      }
      return particle_ok;
    }
  }
};

std::uint8_t particle_status(std::uint8_t integrator_status) {
  return integrator_status >= 254 ? std::uint8_t{particle_stalled} : integrator_status;
}

template <int D, Carry C, std::size_t N>
void store(std::size_t p, const State<N>& y, std::uint8_t status, FlowMapResult<D>& out) {
  out.status[p] = particle_status(status);
  for (int i = 0; i < D; ++i) out.position[p][static_cast<std::size_t>(i)] = y[static_cast<std::size_t>(i)];
  if constexpr (C != Carry::position)
    for (int k = 0; k < D * D; ++k) out.gradient[p][static_cast<std::size_t>(k)] = y[static_cast<std::size_t>(D + k)];
  if constexpr (C == Carry::barrier) {
    for (int i = 0; i < D; ++i) out.barrier[p][static_cast<std::size_t>(i)] = y[static_cast<std::size_t>(D + D * D + i)];
    if constexpr (D == 2) out.vorticity[p] = y[D + D * D + D];
  }
}

template <int D, Carry C>
State<state_size<D, C>()> initial_state(const Vec<D>& seed) {
  State<state_size<D, C>()> y{};
  for (int i = 0; i < D; ++i) y[static_cast<std::size_t>(i)] = seed[static_cast<std::size_t>(i)];
  if constexpr (C != Carry::position)
    for (int i = 0; i < D; ++i) y[static_cast<std::size_t>(D + i * D + i)] = 1.0;
  return y;
}

// One classical RK4 step for a block of particles through gridded data, linear in space and time,
// with the stage times' frames already found. Stage by stage over the whole block rather than
// particle by particle: consecutive samples are then independent, and the processor overlaps their
// memory accesses instead of waiting for each stage's result before the next one's address.
// Particles that fail a stage keep their state and leave `active`.
template <int D>
void linear_rk4_block_step(const GriddedVelocity<D>& field, const typename GriddedVelocity<D>::TimeSlice& at_t,
                           const typename GriddedVelocity<D>::TimeSlice& at_half,
                           const typename GriddedVelocity<D>::TimeSlice& at_end, double h, std::vector<State<D>>& y,
                           std::vector<std::array<Vec<D>, 4>>& k, std::vector<std::uint8_t>& status,
                           std::vector<std::size_t>& active) {
  const double half = 0.5 * h;
  auto stage = [&](int j, const typename GriddedVelocity<D>::TimeSlice& at, double w) {
    std::size_t kept = 0;
    for (const std::size_t q : active) {
      Vec<D> x = y[q];
      if (j > 0)
        for (int i = 0; i < D; ++i) x[i] += w * k[q][static_cast<std::size_t>(j - 1)][i];
      if (const auto s = field.sample_linear(at, x, k[q][static_cast<std::size_t>(j)])) {
        status[q] = s;
        continue;
      }
      active[kept++] = q;
    }
    active.resize(kept);
  };
  if (!at_t.inside || !at_half.inside || !at_end.inside) {  // the step leaves the data's times
    for (const std::size_t q : active) status[q] = particle_left_domain;
    active.clear();
    return;
  }
  stage(0, at_t, 0);
  stage(1, at_half, half);
  stage(2, at_half, half);
  stage(3, at_end, h);
  for (const std::size_t q : active)
    for (int i = 0; i < D; ++i) y[q][i] += h / 6.0 * (k[q][0][i] + 2.0 * (k[q][1][i] + k[q][2][i]) + k[q][3][i]);
}

// Fixed-step RK4 moves a block of particles in lockstep, one step for all before the next, so the
// frames the block samples stay in cache (particle by particle, each one streams through every frame
// of the data).
template <int D, Carry C, class Field>
void advect_rk4(const Field& field, std::span<const Vec<D>> seeds, double t0, double T, double max_step,
                FlowMapResult<D>& out) {
  constexpr std::size_t N = state_size<D, C>();
  const long n = std::max(1L, static_cast<long>(std::ceil(std::abs(T) / max_step - 1e-12)));
  const double h = T / static_cast<double>(n);
  tbb::combinable<long> counts([] { return 0L; });
  const ParticleRhs<D, C, Field> rhs{field};
  // Large blocks: more independent samples per stage, and more of them share the frames' cache lines
  // (measured: 256 particles 1.8e7 steps/s, 4096 2.2e7 on one core of the 2-D double gyre).
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, seeds.size(), 4096), [&](const tbb::blocked_range<std::size_t>& r) {
    std::vector<State<N>> y(r.size());
    std::vector<std::uint8_t> status(r.size(), particle_ok);
    std::vector<std::size_t> active;
    active.reserve(r.size());
    for (std::size_t p = r.begin(); p != r.end(); ++p) {
      y[p - r.begin()] = initial_state<D, C>(seeds[p]);
      Vec<D> v0;
      // A seed that cannot be sampled at t0 (outside the data, masked) is flagged without a step.
      status[p - r.begin()] = field.velocity(seeds[p], t0, v0);
      if (status[p - r.begin()] == particle_ok) active.push_back(p - r.begin());
    }
    long steps = 0;
    auto f = rhs;
    // Plain advection through gridded data, linear in space and time: the fast path, with the frames
    // of the three stage times found once for the whole block.
    bool fast = false;
    if constexpr (std::is_same_v<Field, GriddedVelocity<D>> && C == Carry::position) fast = field.linear_in_space_and_time();
    std::vector<std::array<Vec<D>, 4>> stages(fast ? y.size() : 0);  // RK4 stage velocities of the block
    for (long k = 0; k < n && !active.empty(); ++k) {
      const double t = t0 + h * static_cast<double>(k);
      std::size_t kept = 0;
      if constexpr (std::is_same_v<Field, GriddedVelocity<D>> && C == Carry::position) {
        if (fast) {
          linear_rk4_block_step<D>(field, field.time_slice(t), field.time_slice(t + 0.5 * h), field.time_slice(t + h),
                                   h, y, stages, status, active);
          steps += static_cast<long>(active.size());
          continue;
        }
      }
      for (const std::size_t q : active) {
        if (const auto s = solvers::ode::rk4_step<N>(f, t, h, y[q])) {
          status[q] = s;
          continue;
        }
        active[kept++] = q;
      }
      steps += static_cast<long>(kept);
      active.resize(kept);
    }
    counts.local() += steps;
    for (std::size_t p = r.begin(); p != r.end(); ++p) store<D, C>(p, y[p - r.begin()], status[p - r.begin()], out);
  });
  out.steps += counts.combine(std::plus<long>());
}

template <int D, Carry C, class Field>
void advect_adaptive(const Field& field, std::span<const Vec<D>> seeds, double t0, double T,
                     const FlowMapOptions& options, FlowMapResult<D>& out) {
  constexpr std::size_t N = state_size<D, C>();
  tbb::combinable<std::pair<long, long>> counts([] { return std::pair<long, long>{0, 0}; });
  const ParticleRhs<D, C, Field> rhs{field};
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, seeds.size(), 64), [&](const tbb::blocked_range<std::size_t>& r) {
    auto& [steps, rejected] = counts.local();
    for (std::size_t p = r.begin(); p != r.end(); ++p) {
      State<N> y = initial_state<D, C>(seeds[p]);
      solvers::ode::Outcome outcome;
      Vec<D> v0;
      if (const auto s = field.velocity(seeds[p], t0, v0)) {
        outcome.status = s;
      } else {
        solvers::ode::AdaptiveOptions adaptive = options.adaptive;
        if (adaptive.initial_step == 0 && options.step > 0) adaptive.initial_step = options.step;
        auto f = rhs;
        outcome = solvers::ode::dormand_prince<N>(f, t0, T, adaptive, y);
      }
      steps += outcome.steps;
      rejected += outcome.rejected;
      store<D, C>(p, y, outcome.status, out);
    }
  });
  counts.combine_each([&](const std::pair<long, long>& c) {
    out.steps += c.first;
    out.rejected += c.second;
  });
}

template <int D, Carry C, class Field>
void advect_all(const Field& field, std::span<const Vec<D>> seeds, double t0, double T, const FlowMapOptions& options,
                FlowMapResult<D>& out) {
  if (options.integrator == Integrator::rk4)
    advect_rk4<D, C>(field, seeds, t0, T, options.step > 0 ? options.step : std::abs(T) / 100, out);
  else
    advect_adaptive<D, C>(field, seeds, t0, T, options, out);
}

template <int D, class Field>
void advect_carry(const Field& field, std::span<const Vec<D>> seeds, double t0, double T, const FlowMapOptions& options,
                  Carry carry, FlowMapResult<D>& out) {
  switch (carry) {
    case Carry::position: return advect_all<D, Carry::position>(field, seeds, t0, T, options, out);
    case Carry::gradient: return advect_all<D, Carry::gradient>(field, seeds, t0, T, options, out);
    case Carry::barrier: return advect_all<D, Carry::barrier>(field, seeds, t0, T, options, out);
  }
}

}  // namespace

std::string to_string(ParticleStatus status) {
  switch (status) {
    case particle_ok: return "ok";
    case particle_left_domain: return "left the domain";
    case particle_masked: return "entered masked data";
    case particle_stalled: return "stalled (adaptive step underflow)";
  }
  return "unknown";
}

std::string to_string(Integrator integrator) { return integrator == Integrator::rk4 ? "rk4" : "rk45"; }

template <int D>
FlowMapResult<D> advect(const VelocityField<D>& field, std::span<const Vec<D>> seeds, double t0, double T,
                        const FlowMapOptions& options, Carry carry) {
  ANNEAL_CHECK(std::isfinite(t0) && std::isfinite(T), "t0 and T must be finite");
  ANNEAL_CHECK(options.step >= 0, "the integration step must be positive");
  const FieldExtent<D>& e = field.extent();
  const double slack = 1e-12 * std::max({1.0, std::abs(e.t_lo), std::abs(e.t_hi)});
  const double lo = std::min(t0, t0 + T), hi = std::max(t0, t0 + T);
  ANNEAL_CHECK(lo >= e.t_lo - slack && hi <= e.t_hi + slack,
               "the flow map from t0 = {} over T = {} needs the velocity on [{}, {}], but {} covers [{}, {}]", t0, T,
               lo, hi, field.describe(), e.t_lo, e.t_hi);
  FlowMapResult<D> out;
  const std::size_t n = seeds.size();
  out.position.resize(n);
  out.status.assign(n, particle_ok);
  if (carry != Carry::position) out.gradient.resize(n);
  if (carry == Carry::barrier) {
    out.barrier.resize(n);
    if (D == 2) out.vorticity.resize(n);
  }
  const auto start = std::chrono::steady_clock::now();
  if (const auto* gridded = dynamic_cast<const GriddedVelocity<D>*>(&field))
    advect_carry<D>(*gridded, seeds, t0, T, options, carry, out);
  else
    advect_carry<D>(field, seeds, t0, T, options, carry, out);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

template FlowMapResult<2> advect<2>(const VelocityField<2>&, std::span<const Vec<2>>, double, double,
                                 const FlowMapOptions&, Carry);
template FlowMapResult<3> advect<3>(const VelocityField<3>&, std::span<const Vec<3>>, double, double,
                                 const FlowMapOptions&, Carry);

}  // namespace anneal::physics::turbulence
