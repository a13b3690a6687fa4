#include "physics/lpinn/reference.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <numbers>
#include <unsupported/Eigen/FFT>

#include "core/error.hpp"

namespace anneal::physics::lpinn {
namespace {

using Complex = std::complex<double>;
constexpr double kPi = std::numbers::pi;

// Every reference is u(x, t) on the problem's domain and time interval; reject anything else here
// so that each solver can assume a valid grid.
void check_grid(const Problem& problem, std::span<const double> x, std::span<const double> t, const char* who) {
  problem.validate();
  const double x_tol = 1e-12 * problem.length();
  for (double xi : x)
    ANNEAL_CHECK(std::isfinite(xi) && xi >= problem.x_min - x_tol && xi <= problem.x_max + x_tol,
                 "{}: x = {} lies outside the domain [{}, {}]", who, xi, problem.x_min, problem.x_max);
  const double t_tol = 1e-12 * problem.t_end;
  for (std::size_t i = 0; i < t.size(); ++i) {
    ANNEAL_CHECK(std::isfinite(t[i]) && t[i] >= 0 && t[i] <= problem.t_end + t_tol,
                 "{}: t = {} lies outside [0, t_end = {}]", who, t[i], problem.t_end);
    ANNEAL_CHECK(i == 0 || t[i] >= t[i - 1], "{}: the times must be sorted increasing, but t[{}] = {} < t[{}] = {}",
                 who, i, t[i], i - 1, t[i - 1]);
  }
}

// v reduced into [0, period): the phase of a periodic function, without losing digits to large v.
double wrap(double v, double period) {
  const double r = std::fmod(v, period);
  return r < 0 ? r + period : r;
}

// Re c_0 + 2 Σ_{k≥1} Re(c_k e^{ikθ}): the real trigonometric polynomial whose non-negative half of
// the spectrum is c. Direct summation, because the points x need not lie on any FFT grid;
// e^{ikθ} comes by recurrence, re-anchored every 32 terms so that rounding cannot accumulate.
double real_series(std::span<const Complex> c, double theta) {
  if (c.empty()) return 0;
  const Complex step = std::polar(1.0, theta);
  Complex z = 1;
  double sum = 0;
  for (std::size_t k = 1; k < c.size(); ++k) {
    z = k % 32 == 0 ? std::polar(1.0, static_cast<double>(k) * theta) : z * step;
    sum += c[k].real() * z.real() - c[k].imag() * z.imag();
  }
  return c[0].real() + 2 * sum;
}

// u0 at n equispaced points of one period [x_min, x_min + L).
std::vector<Complex> sample_u0(const Problem& problem, std::size_t n) {
  std::vector<Complex> samples(n);
  const double h = problem.length() / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) samples[i] = problem.u0.value(problem.x_min + static_cast<double>(i) * h);
  return samples;
}

// Coefficients c_k, k = 0 … n/2 − 1, of the trigonometric interpolant of n samples of u0, scaled so
// that real_series(c, 2πk(x − x_min)/L) reproduces u0. The Nyquist mode is dropped: for a real
// field its sine part is not determined by the samples, and it has no consistent evolution.
std::vector<Complex> half_spectrum(const Problem& problem, std::size_t n) {
  Eigen::FFT<double> fft;
  std::vector<Complex> spectrum;
  fft.fwd(spectrum, sample_u0(problem, n));
  std::vector<Complex> c(spectrum.begin(), spectrum.begin() + static_cast<std::ptrdiff_t>(n / 2));
  for (auto& v : c) v /= static_cast<double>(n);
  return c;
}

// ∫ (d/t) e^{−G(d)/(2ν)} dd / ∫ e^{−G(d)/(2ν)} dd with d = x − y and
// G(d) = d²/(2t) + U0(x − d) − U0(x): the Cole–Hopf solution at one point (t > 0). Subtracting
// U0(x) and the largest exponent keeps every weight in [0, 1], so nothing overflows at small ν;
// integrating over d (not y) keeps the first moment free of cancellation against x.
double cole_hopf_point(const InitialCondition& u0, double x, double t, double nu, double max_u0,
                       std::vector<double>& exponents) {
  // |U0(x − d) − U0(x)| ≤ max|u0|·|d| and min G ≤ G(0) = 0, so beyond this half-width
  // G ≥ min G + 80ν: every weight left out is below e^{−40} of the largest.
  const double half_width = max_u0 * t + std::sqrt(max_u0 * max_u0 * t * t + 160 * nu * t);
  // The integrand is analytic and at least as wide as the heat kernel sqrt(2νt): the trapezoid
  // rule converges spectrally, and a fraction of that width puts its error far below rounding.
  const double h = std::sqrt(nu * t) / 8;
  const double count = std::ceil(half_width / h) + 2;
  ANNEAL_CHECK(count < 1e7, "cole_hopf: ν = {} is too small for t = {} (the quadrature would need {:.3g} points)", nu,
               t, 2 * count);
  const auto n = static_cast<std::ptrdiff_t>(count);
  exponents.resize(static_cast<std::size_t>(2 * n + 1));
  const double u_x = u0.antiderivative(x);
  double largest = -std::numeric_limits<double>::infinity();
  for (std::ptrdiff_t j = -n; j <= n; ++j) {
    const double d = static_cast<double>(j) * h;
    const double g = d * d / (2 * t) + (u0.antiderivative(x - d) - u_x);
    const double e = -g / (2 * nu);
    exponents[static_cast<std::size_t>(j + n)] = e;
    largest = std::max(largest, e);
  }
  double moment = 0, mass = 0;
  for (std::ptrdiff_t j = -n; j <= n; ++j) {
    const double w = std::exp(exponents[static_cast<std::size_t>(j + n)] - largest);
    moment += static_cast<double>(j) * h * w;
    mass += w;
  }
  return moment / (mass * t);
}

// Fourth-order integrating-factor (Lawson) Runge–Kutta for û_t = Λ û + N(û), Λ diagonal: the
// stiff diffusion and the advection are integrated exactly, so a step is limited by N alone (and a
// linear equation, N = 0, is exact for any step). N(û) = −iκ·FFT(u²/2) for Burgers, the
// conservative form, kept to |k| < N/3 (the 2/3 rule).
class LawsonRk4 {
 public:
  LawsonRk4(std::vector<Complex> lambda, std::vector<double> kappa, std::vector<bool> dealiased, bool burgers)
      : lambda_(std::move(lambda)), kappa_(std::move(kappa)), keep_(std::move(dealiased)), burgers_(burgers) {}

  void advance(std::vector<Complex>& u_hat, double dt, std::size_t steps) {
    const std::size_t n = u_hat.size();
    std::vector<Complex> e_full(n), e_half(n);
    for (std::size_t i = 0; i < n; ++i) {
      e_full[i] = std::exp(lambda_[i] * dt);
      e_half[i] = std::exp(lambda_[i] * (dt / 2));
    }
    if (!burgers_) {
      for (std::size_t s = 0; s < steps; ++s)
        for (std::size_t i = 0; i < n; ++i) u_hat[i] *= e_full[i];
      return;
    }
    std::vector<Complex> k1(n), k2(n), k3(n), k4(n), stage(n);
    for (std::size_t s = 0; s < steps; ++s) {
      nonlinear(u_hat, k1);
      for (std::size_t i = 0; i < n; ++i) stage[i] = e_half[i] * (u_hat[i] + dt / 2 * k1[i]);
      nonlinear(stage, k2);
      for (std::size_t i = 0; i < n; ++i) stage[i] = e_half[i] * u_hat[i] + dt / 2 * k2[i];
      nonlinear(stage, k3);
      for (std::size_t i = 0; i < n; ++i) stage[i] = e_full[i] * u_hat[i] + dt * e_half[i] * k3[i];
      nonlinear(stage, k4);
      for (std::size_t i = 0; i < n; ++i)
        u_hat[i] = e_full[i] * u_hat[i] + dt / 6 * (e_full[i] * k1[i] + 2.0 * e_half[i] * (k2[i] + k3[i]) + k4[i]);
    }
  }

 private:
  void nonlinear(const std::vector<Complex>& u_hat, std::vector<Complex>& out) {
    // Real transforms: u is real, and Eigen's real paths halve the work.
    fft_.inv(physical_, u_hat);
    for (auto& v : physical_) v = 0.5 * v * v;
    fft_.fwd(out, physical_);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = keep_[i] ? Complex(0, -kappa_[i]) * out[i] : Complex(0);
  }

  std::vector<Complex> lambda_;
  std::vector<double> kappa_;
  std::vector<bool> keep_;
  bool burgers_;
  Eigen::FFT<double> fft_;
  std::vector<double> physical_;
};

}  // namespace

std::vector<double> convection_exact(const Problem& problem, std::span<const double> x, std::span<const double> t) {
  check_grid(problem, x, t, "convection_exact");
  ANNEAL_CHECK(problem.equation != Equation::burgers && problem.nu == 0,
               "convection_exact: needs pure convection (f = β, ν = 0), got {}", problem.description());
  std::vector<double> u(t.size() * x.size());
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) u[i * x.size() + j] = problem.u0.value(x[j] - problem.beta * t[i]);
  return u;
}

std::vector<double> fourier_solution(const Problem& problem, std::span<const double> x, std::span<const double> t,
                                     int modes) {
  check_grid(problem, x, t, "fourier_solution");
  ANNEAL_CHECK(problem.equation != Equation::burgers,
               "fourier_solution: needs a linear equation (f = β); Burgers is nonlinear, use cole_hopf");
  ANNEAL_CHECK(modes >= 2, "fourier_solution: needs at least 2 modes, got {}", modes);
  const double length = problem.length(), kappa1 = 2 * kPi / length;
  const std::vector<Complex> initial = half_spectrum(problem, 2 * static_cast<std::size_t>(modes));
  std::vector<double> u(t.size() * x.size());
  std::vector<Complex> c(initial.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    for (std::size_t k = 0; k < c.size(); ++k) {
      const double kappa = kappa1 * static_cast<double>(k);
      c[k] = initial[k] * std::exp(-problem.nu * kappa * kappa * t[i]);
    }
    // Advection is a shift of the phase, e^{−iκβt}; reduced modulo L so no digits are lost at large βt.
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double phase = wrap(x[j] - problem.x_min - problem.beta * t[i], length);
      u[i * x.size() + j] = real_series(c, kappa1 * phase);
    }
  }
  return u;
}

std::vector<double> cole_hopf(const Problem& problem, std::span<const double> x, std::span<const double> t) {
  check_grid(problem, x, t, "cole_hopf");
  ANNEAL_CHECK(problem.equation == Equation::burgers && problem.nu > 0,
               "cole_hopf: needs the viscous Burgers equation, got {}", problem.description());
  const double max_u0 = problem.u0.max_abs();
  const std::size_t nx = x.size();
  std::vector<double> u(t.size() * nx);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, u.size()), [&](const tbb::blocked_range<std::size_t>& range) {
    std::vector<double> exponents;  // scratch, reused across the points of this chunk
    for (std::size_t p = range.begin(); p != range.end(); ++p) {
      const double xp = x[p % nx], tp = t[p / nx];
      u[p] = tp == 0 ? problem.u0.value(xp) : cole_hopf_point(problem.u0, xp, tp, problem.nu, max_u0, exponents);
    }
  });
  return u;
}

std::vector<double> spectral_solution(const Problem& problem, std::span<const double> x, std::span<const double> t,
                                      const SpectralOptions& options) {
  check_grid(problem, x, t, "spectral_solution");
  ANNEAL_CHECK(options.modes >= 8 && options.modes % 2 == 0, "spectral_solution: modes must be even and ≥ 8, got {}",
               options.modes);
  ANNEAL_CHECK(std::isfinite(options.dt) && options.dt >= 0, "spectral_solution: dt must be ≥ 0 (0: automatic), got {}",
               options.dt);
  const bool burgers = problem.equation == Equation::burgers;
  const auto n = static_cast<std::size_t>(options.modes);
  const auto half = static_cast<std::ptrdiff_t>(n / 2);
  const double length = problem.length(), kappa1 = 2 * kPi / length, h = length / static_cast<double>(n);

  std::vector<double> kappa(n);
  std::vector<Complex> lambda(n);
  std::vector<bool> keep(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::ptrdiff_t k = static_cast<std::ptrdiff_t>(i) < half ? static_cast<std::ptrdiff_t>(i)
                                                                   : static_cast<std::ptrdiff_t>(i) - 2 * half;
    kappa[i] = kappa1 * static_cast<double>(k);
    const double diffusion = -problem.nu * kappa[i] * kappa[i];
    lambda[i] = burgers ? Complex(diffusion) : Complex(diffusion, -kappa[i] * problem.beta);
    keep[i] = 3 * std::abs(k) < options.modes;
  }

  const std::vector<Complex> samples = sample_u0(problem, n);
  std::vector<Complex> u_hat;
  Eigen::FFT<double> fft;
  fft.fwd(u_hat, samples);
  u_hat[n / 2] = 0;  // the Nyquist mode of a real field: see half_spectrum
  // Burgers lives on the dealiased band from the start, so u² is alias-free at every stage; a
  // linear equation keeps all modes (it has no product to alias).
  if (burgers)
    for (std::size_t i = 0; i < n; ++i)
      if (!keep[i]) u_hat[i] = 0;

  double dt = options.dt;
  if (dt == 0) {
    double speed = std::abs(problem.beta);
    if (burgers) {
      speed = 0;
      for (const auto& s : samples) speed = std::max(speed, std::abs(s.real()));
    }
    dt = 1e-3 * problem.t_end;
    if (speed > 0) dt = std::min(dt, 0.2 * h / speed);
  }

  LawsonRk4 stepper(std::move(lambda), std::move(kappa), std::move(keep), burgers);
  std::vector<double> u(t.size() * x.size());
  std::vector<Complex> c(n / 2);
  double now = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] > now) {
      // Equal substeps that land on t[i] exactly; the tolerance keeps a span of exactly m·dt at m steps.
      const double span = t[i] - now;
      const auto steps = static_cast<std::size_t>(std::max(1.0, std::ceil(span / dt - 1e-9)));
      stepper.advance(u_hat, span / static_cast<double>(steps), steps);
      now = t[i];
    }
    for (std::size_t k = 0; k < c.size(); ++k) c[k] = u_hat[k] / static_cast<double>(n);
    for (std::size_t j = 0; j < x.size(); ++j) u[i * x.size() + j] = real_series(c, kappa1 * (x[j] - problem.x_min));
  }
  return u;
}

std::vector<double> reference_solution(const Problem& problem, std::span<const double> x, std::span<const double> t) {
  switch (problem.equation) {
    case Equation::convection: return convection_exact(problem, x, t);
    case Equation::convection_diffusion: return fourier_solution(problem, x, t);
    case Equation::burgers: return cole_hopf(problem, x, t);
  }
  ANNEAL_THROW("reference_solution: unknown equation");
}

}  // namespace anneal::physics::lpinn
