#pragma once
// The 1-D PDE family that Lagrangian PINNs address (Mojgani, Balajewicz & Hassanzadeh, CMAME 404,
// 2023):  w_t + f(w) w_x = ν w_xx  on [x_min, x_max] × [0, t_end], with f(w) = β (convection,
// convection–diffusion) or f(w) = w (viscous Burgers), and its initial data.
#include <string>
#include <vector>

namespace anneal::physics::lpinn {

enum class Equation { convection, convection_diffusion, burgers };
std::string to_string(Equation equation);
Equation parse_equation(const std::string& name);  // throws with the known names

// u0 on the domain, extended periodically with period L = x_max − x_min. Every form has closed-form
// derivatives (hard constraints need u0' and u0'' inside the jets) and an antiderivative valid on
// the whole line (the Cole–Hopf reference integrates against it).
class InitialCondition {
 public:
  // offset + amplitude · sin(2π k x / L); Raissi's −sin(πx) on [−1, 1] is amplitude −1, k = 1.
  static InitialCondition sine(double offset, double amplitude, int wavenumber, double x_min, double x_max);
  // exp(−(x − center)² / (2 width²)) on one period, extended periodically (the jump at the ends is
  // kept as it is: exp(−8) ≈ 3e−4 for the usual center π, width π/4 on [0, 2π]).
  static InitialCondition gaussian(double center, double width, double x_min, double x_max);
  // A periodic sample u0(x_min + i L / n), i < n, interpolated by its trigonometric polynomial.
  static InitialCondition samples(std::vector<double> values, double x_min, double x_max);

  double value(double x) const { return evaluate(x, 0); }
  double derivative(double x) const { return evaluate(x, 1); }
  double second_derivative(double x) const { return evaluate(x, 2); }
  // ∫_{x_min}^{x} u0(s) ds of the periodic extension, for any real x.
  double antiderivative(double x) const;
  double max_abs() const;  // max |u0| (from a dense sample for the sampled form)
  // u0 = 0 at both ends, and odd about each end: the odd periodic extension is u0 itself, so the
  // periodic references hold for the Dirichlet problem u(x_min) = u(x_max) = 0.
  bool odd_about_ends() const;
  std::string description() const;

 private:
  enum class Kind { sine, gaussian, samples };
  InitialCondition(Kind kind, double x_min, double x_max) : kind_(kind), x_min_(x_min), x_max_(x_max) {}
  double wrap(double x) const;  // into [x_min, x_max)
  double evaluate(double x, int order) const;  // the order-th derivative, order 0, 1 or 2
  // Trigonometric polynomial: mean + Σ_k (a_k cos(kωx') + b_k sin(kωx')), x' = x − x_min.
  double fourier(double x, int derivative) const;

  Kind kind_;
  double x_min_, x_max_;
  double offset_ = 0, amplitude_ = 0, center_ = 0, width_ = 0;
  int wavenumber_ = 1;
  double mean_ = 0;
  std::vector<double> a_, b_;  // k = 1..K
};

struct Problem {
  Equation equation = Equation::convection;
  double x_min = 0, x_max = 6.283185307179586;
  double t_end = 1;
  bool periodic = true;  // false: homogeneous Dirichlet u(x_min) = u(x_max) = 0
  double beta = 1;       // the convection speed (linear equations)
  double nu = 0;         // viscosity ν ≥ 0
  InitialCondition u0 = InitialCondition::sine(0, 1, 1, 0, 6.283185307179586);

  double length() const { return x_max - x_min; }
  double speed(double u) const { return equation == Equation::burgers ? u : beta; }  // f(u)
  // Throws on what no solver here can do: ν < 0, empty domain or time, a Dirichlet problem whose
  // u0 is not odd about the ends, pure convection with ν ≠ 0.
  void validate() const;
  std::string description() const;  // one line, e.g. "burgers, ν=0.00318, x∈[-1,1], t∈[0,1], Dirichlet"
};

}  // namespace anneal::physics::lpinn
