#pragma once
// Explicit Runge–Kutta integrators for small ODE systems y' = f(t, y) with a fixed-size state
// (a particle position, with its flow-map gradient and trajectory integrals riding along).
// Header-only so that the right-hand side inlines into the stages: particle advection evaluates it
// billions of times.
//
// The right-hand side is `std::uint8_t f(double t, const State& y, State& dydt)`, returning 0 when
// it could evaluate and a non-zero reason otherwise (a particle left the data, entered masked
// data); integration stops at the first failure and keeps the last state that was good.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace anneal::solvers::ode {

template <std::size_t N>
using State = std::array<double, N>;

struct Outcome {
  std::uint8_t status = 0;  // 0, or the right-hand side's reason for stopping
  double t = 0;             // where the state was last good (the end time on success)
  long steps = 0;           // accepted steps
  long rejected = 0;        // rejected steps (adaptive only)
};

namespace detail {
template <std::size_t N>
inline State<N> axpy(const State<N>& y, double h, const State<N>& k) {
  State<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = y[i] + h * k[i];
  return out;
}
}  // namespace detail

// One classical RK4 step of size h (negative h integrates backward). Returns the status of the
// first failing stage and leaves y unchanged then.
template <std::size_t N, class Rhs>
inline std::uint8_t rk4_step(Rhs& f, double t, double h, State<N>& y) {
  State<N> k1, k2, k3, k4;
  if (const auto s = f(t, y, k1)) return s;
  if (const auto s = f(t + 0.5 * h, detail::axpy(y, 0.5 * h, k1), k2)) return s;
  if (const auto s = f(t + 0.5 * h, detail::axpy(y, 0.5 * h, k2), k3)) return s;
  if (const auto s = f(t + h, detail::axpy(y, h, k3), k4)) return s;
  const double w = h / 6.0;
  for (std::size_t i = 0; i < N; ++i) y[i] += w * (k1[i] + 2.0 * (k2[i] + k3[i]) + k4[i]);
  return 0;
}

struct AdaptiveOptions {
  double rtol = 1e-8;
  double atol = 1e-10;
  double initial_step = 0;  // 0: |T| / 100
  double max_step = 0;      // 0: |T|
  long max_steps = 1000000;
};

// Dormand–Prince 5(4) (Dormand & Prince 1980; Hairer, Nørsett & Wanner, Solving ODEs I, §II.5):
// the 5th-order solution is kept (local extrapolation), the embedded 4th-order one estimates the
// error; the last stage is the next step's first (FSAL). The step size follows the standard
// controller h ← h·min(5, max(0.2, 0.9·err^(-1/5))) on the max-norm of err_i / (atol + rtol·|y_i|).
// A step whose stages leave the data is retried smaller until it is tiny, so a particle is flagged
// as close to the boundary as the tolerance allows.
template <std::size_t N, class Rhs>
inline Outcome dormand_prince(Rhs& f, double t0, double T, const AdaptiveOptions& options, State<N>& y) {
  Outcome out{0, t0, 0, 0};
  if (T == 0) return out;
  constexpr double c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9;
  constexpr double a21 = 1.0 / 5;
  constexpr double a31 = 3.0 / 40, a32 = 9.0 / 40;
  constexpr double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
  constexpr double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561, a54 = -212.0 / 729;
  constexpr double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                   a65 = -5103.0 / 18656;
  constexpr double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784, b6 = 11.0 / 84;
  // b − b̂ (5th minus embedded 4th order weights).
  constexpr double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                   e6 = 22.0 / 525, e7 = -1.0 / 40;

  const double direction = T > 0 ? 1.0 : -1.0;
  const double t_end = t0 + T;
  const double max_step = options.max_step > 0 ? options.max_step : std::abs(T);
  double h = std::min(options.initial_step > 0 ? options.initial_step : std::abs(T) / 100, max_step);
  const double min_step = 1e-12 * std::max(std::abs(T), std::abs(t0));
  double t = t0;
  State<N> k1, k2, k3, k4, k5, k6, k7, y_new;
  if (const auto s = f(t, y, k1)) {
    out.status = s;
    return out;
  }
  while (direction * (t_end - t) > 0) {
    if (out.steps + out.rejected >= options.max_steps) {
      out.status = 255;  // too many steps: reported by the caller as non-convergence
      out.t = t;
      return out;
    }
    const bool last = std::abs(t_end - t) <= h * (1 + 1e-12);
    const double hs = last ? (t_end - t) : direction * h;
    std::uint8_t failed = 0;
    State<N> s;
    for (std::size_t i = 0; i < N; ++i) s[i] = y[i] + hs * a21 * k1[i];
    failed = f(t + c2 * hs, s, k2);
    if (!failed) {
      for (std::size_t i = 0; i < N; ++i) s[i] = y[i] + hs * (a31 * k1[i] + a32 * k2[i]);
      failed = f(t + c3 * hs, s, k3);
    }
    if (!failed) {
      for (std::size_t i = 0; i < N; ++i) s[i] = y[i] + hs * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i]);
      failed = f(t + c4 * hs, s, k4);
    }
    if (!failed) {
      for (std::size_t i = 0; i < N; ++i) s[i] = y[i] + hs * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i]);
      failed = f(t + c5 * hs, s, k5);
    }
    if (!failed) {
      for (std::size_t i = 0; i < N; ++i)
        s[i] = y[i] + hs * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] + a64 * k4[i] + a65 * k5[i]);
      failed = f(t + hs, s, k6);
    }
    if (!failed) {
      for (std::size_t i = 0; i < N; ++i)
        y_new[i] = y[i] + hs * (b1 * k1[i] + b3 * k3[i] + b4 * k4[i] + b5 * k5[i] + b6 * k6[i]);
      failed = f(t + hs, y_new, k7);
    }
    if (failed) {
      // A stage left the data: retry a smaller step, unless the step is already negligible.
      if (std::abs(hs) <= min_step) {
        out.status = failed;
        out.t = t;
        return out;
      }
      h = 0.25 * std::abs(hs);
      ++out.rejected;
      continue;
    }
    double err = 0;
    for (std::size_t i = 0; i < N; ++i) {
      const double e = hs * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i]);
      const double scale = options.atol + options.rtol * std::max(std::abs(y[i]), std::abs(y_new[i]));
      err = std::max(err, std::abs(e) / scale);
    }
    const double factor = err == 0 ? 5.0 : std::clamp(0.9 * std::pow(err, -0.2), 0.2, 5.0);
    if (err <= 1) {
      t = last ? t_end : t + hs;
      y = y_new;
      k1 = k7;
      ++out.steps;
      h = std::min(std::abs(hs) * factor, max_step);
    } else {
      ++out.rejected;
      h = std::abs(hs) * std::min(factor, 1.0);
      if (h <= min_step) {
        out.status = 254;  // the step size underflowed
        out.t = t;
        return out;
      }
    }
  }
  out.t = t_end;
  return out;
}

}  // namespace anneal::solvers::ode
