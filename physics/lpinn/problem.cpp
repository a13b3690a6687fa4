#include "physics/lpinn/problem.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace anneal::physics::lpinn {

std::string to_string(Equation equation) {
  switch (equation) {
    case Equation::convection: return "convection";
    case Equation::convection_diffusion: return "convection_diffusion";
    case Equation::burgers: return "burgers";
  }
  return "?";
}

Equation parse_equation(const std::string& name) {
  if (name == "convection") return Equation::convection;
  if (name == "convection_diffusion") return Equation::convection_diffusion;
  if (name == "burgers") return Equation::burgers;
  ANNEAL_CHECK(false, "unknown problem '{}': expected convection, convection_diffusion or burgers", name);
  return Equation::convection;
}

InitialCondition InitialCondition::sine(double offset, double amplitude, int wavenumber, double x_min, double x_max) {
  ANNEAL_CHECK(x_max > x_min, "initial condition: empty domain [{}, {}]", x_min, x_max);
  ANNEAL_CHECK(wavenumber >= 1, "initial condition: the sine's wavenumber must be ≥ 1, got {}", wavenumber);
  InitialCondition ic(Kind::sine, x_min, x_max);
  ic.offset_ = offset;
  ic.amplitude_ = amplitude;
  ic.wavenumber_ = wavenumber;
  return ic;
}

InitialCondition InitialCondition::gaussian(double center, double width, double x_min, double x_max) {
  ANNEAL_CHECK(x_max > x_min, "initial condition: empty domain [{}, {}]", x_min, x_max);
  ANNEAL_CHECK(width > 0, "initial condition: the Gaussian's width must be > 0, got {}", width);
  InitialCondition ic(Kind::gaussian, x_min, x_max);
  ic.center_ = center;
  ic.width_ = width;
  return ic;
}

InitialCondition InitialCondition::samples(std::vector<double> values, double x_min, double x_max) {
  ANNEAL_CHECK(x_max > x_min, "initial condition: empty domain [{}, {}]", x_min, x_max);
  const auto n = static_cast<std::ptrdiff_t>(values.size());
  ANNEAL_CHECK(n >= 4, "initial condition: {} samples, need at least 4", n);
  ANNEAL_CHECK(std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); }),
               "initial condition: the samples hold NaN or infinite values");
  InitialCondition ic(Kind::samples, x_min, x_max);
  // Real DFT by direct sums (n is at most a few thousand; this runs once). The Nyquist mode of an
  // even n is dropped: its sine part is not determined by the samples.
  const std::ptrdiff_t modes = (n - 1) / 2;
  double mean = 0;
  for (double v : values) mean += v;
  ic.mean_ = mean / static_cast<double>(n);
  ic.a_.assign(static_cast<std::size_t>(modes), 0.0);
  ic.b_.assign(static_cast<std::size_t>(modes), 0.0);
  for (std::ptrdiff_t k = 1; k <= modes; ++k) {
    double a = 0, b = 0;
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      const double phase = 2 * std::numbers::pi * static_cast<double>(k * i % n) / static_cast<double>(n);
      a += values[static_cast<std::size_t>(i)] * std::cos(phase);
      b += values[static_cast<std::size_t>(i)] * std::sin(phase);
    }
    ic.a_[static_cast<std::size_t>(k - 1)] = 2 * a / static_cast<double>(n);
    ic.b_[static_cast<std::size_t>(k - 1)] = 2 * b / static_cast<double>(n);
  }
  return ic;
}

double InitialCondition::wrap(double x) const {
  const double length = x_max_ - x_min_;
  double shifted = std::fmod(x - x_min_, length);
  if (shifted < 0) shifted += length;
  return x_min_ + shifted;
}

double InitialCondition::fourier(double x, int derivative) const {
  const double omega = 2 * std::numbers::pi / (x_max_ - x_min_);
  const double xs = x - x_min_;
  double sum = derivative == 0 ? mean_ : 0.0;
  for (std::size_t i = 0; i < a_.size(); ++i) {
    const double k = static_cast<double>(i + 1) * omega;
    const double c = std::cos(k * xs), s = std::sin(k * xs);
    switch (derivative) {
      case 0: sum += a_[i] * c + b_[i] * s; break;
      case 1: sum += k * (-a_[i] * s + b_[i] * c); break;
      case 2: sum += -k * k * (a_[i] * c + b_[i] * s); break;
      default: sum += (a_[i] * s - b_[i] * c) / k; break;  // −1: the antiderivative's periodic part
    }
  }
  return sum;
}

double InitialCondition::evaluate(double x, int order) const {
  switch (kind_) {
    case Kind::sine: {
      // dⁿ/dxⁿ sin(kx) = kⁿ sin(kx + nπ/2)
      const double k = 2 * std::numbers::pi * wavenumber_ / (x_max_ - x_min_);
      return (order == 0 ? offset_ : 0.0) +
             amplitude_ * std::pow(k, order) * std::sin(k * x + order * std::numbers::pi / 2);
    }
    case Kind::gaussian: {
      // g = e^{−d²/2}, d = (x − c)/w: g' = −d g / w, g'' = (d² − 1) g / w² (Hermite polynomials)
      const double d = (wrap(x) - center_) / width_, g = std::exp(-0.5 * d * d);
      const double hermite[] = {1.0, -d, d * d - 1};
      return hermite[order] * g / std::pow(width_, order);
    }
    case Kind::samples: return fourier(x, order);
  }
  return 0;
}

double InitialCondition::antiderivative(double x) const {
  const double length = x_max_ - x_min_;
  switch (kind_) {
    case Kind::sine: {
      const double k = 2 * std::numbers::pi * wavenumber_ / length;
      return offset_ * (x - x_min_) - amplitude_ / k * (std::cos(k * x) - std::cos(k * x_min_));
    }
    case Kind::gaussian: {
      // Whole periods before x, then the part of the last one.
      const double scale = width_ * std::sqrt(std::numbers::pi / 2);
      auto partial = [&](double to) {  // ∫_{x_min}^{to} of one period, to ∈ [x_min, x_max]
        return scale * (std::erf((to - center_) / (width_ * std::numbers::sqrt2)) -
                        std::erf((x_min_ - center_) / (width_ * std::numbers::sqrt2)));
      };
      const double periods = std::floor((x - x_min_) / length);
      return periods * partial(x_max_) + partial(x - periods * length);
    }
    case Kind::samples: return mean_ * (x - x_min_) + fourier(x, -1) - fourier(x_min_, -1);
  }
  return 0;
}

double InitialCondition::max_abs() const {
  switch (kind_) {
    case Kind::sine: return std::abs(offset_) + std::abs(amplitude_);
    case Kind::gaussian: return 1.0;
    case Kind::samples: {
      double m = 0;
      for (int i = 0; i < 4096; ++i) m = std::max(m, std::abs(value(x_min_ + (x_max_ - x_min_) * i / 4096.0)));
      return m;
    }
  }
  return 0;
}

bool InitialCondition::odd_about_ends() const {
  // Only a sine with no offset whose period divides the domain's is odd about both ends.
  return kind_ == Kind::sine && offset_ == 0 && std::abs(value(x_min_)) < 1e-12 * (1 + std::abs(amplitude_));
}

std::string InitialCondition::description() const {
  switch (kind_) {
    case Kind::sine:
      return fmt::format("{:g} + {:g}·sin(2π·{}·x/{:g})", offset_, amplitude_, wavenumber_, x_max_ - x_min_);
    case Kind::gaussian: return fmt::format("exp(−(x − {:g})²/(2·{:g}²))", center_, width_);
    case Kind::samples: return fmt::format("trigonometric interpolant of {} samples", 2 * a_.size() + 1);
  }
  return "?";
}

void Problem::validate() const {
  ANNEAL_CHECK(std::isfinite(x_min) && std::isfinite(x_max) && x_max > x_min,
               "problem: the domain [{}, {}] is empty", x_min, x_max);
  ANNEAL_CHECK(std::isfinite(t_end) && t_end > 0, "problem: t_end must be > 0, got {}", t_end);
  ANNEAL_CHECK(std::isfinite(nu) && nu >= 0, "problem: the viscosity nu must be ≥ 0, got {}", nu);
  ANNEAL_CHECK(std::isfinite(beta), "problem: beta must be finite");
  ANNEAL_CHECK(equation != Equation::convection || nu == 0,
               "problem: pure convection has no viscosity (nu = {}); use convection_diffusion", nu);
  ANNEAL_CHECK(equation != Equation::convection_diffusion || nu > 0,
               "problem: convection_diffusion needs nu > 0 (use convection for nu = 0)");
  ANNEAL_CHECK(equation != Equation::burgers || nu > 0,
               "problem: the viscous Burgers equation needs nu > 0 (its references are viscous)");
  ANNEAL_CHECK(periodic || u0.odd_about_ends(),
               "problem: a Dirichlet domain needs an initial condition that is zero and odd about both ends "
               "(a sine with offset 0, as in Raissi's benchmark): its references use the odd periodic extension");
}

std::string Problem::description() const {
  std::string text = fmt::format("{}", to_string(equation));
  if (equation != Equation::burgers) text += fmt::format(", β={:g}", beta);
  if (nu > 0) text += fmt::format(", ν={:.4g}", nu);
  return text + fmt::format(", x∈[{:g},{:g}] ({}), t∈[0,{:g}], u0 = {}", x_min, x_max,
                            periodic ? "periodic" : "Dirichlet", t_end, u0.description());
}

}  // namespace anneal::physics::lpinn
