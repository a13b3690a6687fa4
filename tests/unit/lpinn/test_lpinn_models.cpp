#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "nn/autograd.hpp"
#include "physics/lpinn/models.hpp"

using namespace anneal::physics::lpinn;
using anneal::RandomStream;
namespace nn = anneal::nn;

namespace {

Problem burgers_problem(bool periodic) {
  Problem p;
  p.equation = Equation::burgers;
  p.nu = 0.05;
  if (periodic) {
    p.u0 = InitialCondition::sine(0.5, 1.0, 1, p.x_min, p.x_max);
  } else {
    p.x_min = -1, p.x_max = 1, p.periodic = false;
    p.u0 = InitialCondition::sine(0, -1, 1, -1, 1);
  }
  return p;
}

double at(const nn::Tensor& t, std::size_t i) { return t.to_vector()[i]; }

// Central differences of field(x, t) component `which` of a model evaluated at single points.
template <class F>
void check_against_differences(const F& field, const Points& points, double tolerance) {
  const FieldJet jet = field(points);
  const double h = 1e-4;
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto value = [&](double dx, double dt) {
      Points p{{points.x[i] + dx}, {points.t[i] + dt}};
      return at(field(p).value, 0);
    };
    const double f0 = value(0, 0);
    const double fx = (value(h, 0) - value(-h, 0)) / (2 * h);
    const double ft = (value(0, h) - value(0, -h)) / (2 * h);
    const double fxx = (value(h, 0) - 2 * f0 + value(-h, 0)) / (h * h);
    CHECK(at(jet.d_x, i) == Approx(fx).margin(tolerance));
    CHECK(at(jet.d_t, i) == Approx(ft).margin(tolerance));
    CHECK(at(jet.d_xx, i) == Approx(fxx).margin(100 * tolerance));
  }
}

// Moves every parameter off its initial value, so that no layer starts at zero (a diffusive lpinn's
// characteristic network starts at X = x₀, whose jet would test nothing).
void perturb(const nn::Module& model) {
  for (nn::Tensor parameter : model.parameters()) {
    std::vector<double> v = parameter.to_vector();
    for (std::size_t k = 0; k < v.size(); ++k) v[k] += 0.3 * std::sin(1.0 + static_cast<double>(k));
    parameter.copy_(nn::Tensor::from_vector(v, parameter.shape(), parameter.dtype()));
  }
}

ModelOptions options(Method method, Constraints constraints) {
  ModelOptions o;
  o.method = method;
  o.constraints = constraints;
  o.network = {2, 16, nn::Activation::tanh};
  o.dtype = nn::DType::f64;
  return o;
}

}  // namespace

TEST_CASE("model jets equal finite differences: encodings, hard constraints, both branches", "[lpinn]") {
  nn::NoGrad no_grad;
  const Points points{{0.3, 1.7, 4.0, 5.9}, {0.1, 0.5, 0.8, 0.95}};
  const Points dirichlet_points{{-0.9, -0.2, 0.4, 0.8}, {0.1, 0.5, 0.8, 0.95}};
  for (bool periodic : {true, false}) {
    const Problem p = burgers_problem(periodic);
    const Points& pts = periodic ? points : dirichlet_points;
    for (Constraints c : {Constraints::soft, Constraints::hard}) {
      RandomStream rng(3, 0);
      const Pinn pinn(p, options(Method::pinn, c), rng);
      check_against_differences([&](const Points& q) { return pinn.solution(q); }, pts, 1e-6);
      const Lpinn lpinn(p, options(Method::lpinn, c), rng);
      perturb(lpinn);
      check_against_differences([&](const Points& q) { return lpinn.position(q); }, pts, 1e-6);
      check_against_differences([&](const Points& q) { return lpinn.state(q); }, pts, 1e-6);
    }
  }
}

TEST_CASE("hard constraints hold exactly: u(x, 0) = u0, X(x0, 0) = x0, u = 0 and X fixed on Dirichlet walls", "[lpinn]") {
  nn::NoGrad no_grad;
  const Problem p = burgers_problem(false);
  RandomStream rng(5, 0);
  const Lpinn lpinn(p, options(Method::lpinn, Constraints::hard), rng);
  const Pinn pinn(p, options(Method::pinn, Constraints::hard), rng);
  const Points initial{{-0.7, 0.1, 0.6}, {0, 0, 0}};
  const Points walls{{-1, 1, -1, 1}, {0.3, 0.3, 0.9, 0.9}};
  for (std::size_t i = 0; i < initial.size(); ++i) {
    CHECK(at(lpinn.state(initial).value, i) == Approx(p.u0.value(initial.x[i])).margin(1e-14));
    CHECK(at(pinn.solution(initial).value, i) == Approx(p.u0.value(initial.x[i])).margin(1e-14));
    CHECK(at(lpinn.position(initial).value, i) == Approx(initial.x[i]).margin(1e-14));
  }
  for (std::size_t i = 0; i < walls.size(); ++i) {
    CHECK(at(lpinn.state(walls).value, i) == Approx(0).margin(1e-14));
    CHECK(at(pinn.solution(walls).value, i) == Approx(0).margin(1e-14));
    CHECK(at(lpinn.position(walls).value, i) == Approx(walls.x[i]).margin(1e-14));
  }
}

TEST_CASE("a diffusive lpinn starts from the vertical characteristics X = x₀; a convective one does not", "[lpinn]") {
  // With diffusion the loss divides by X_{x₀}³, so the characteristics must not fold at the start.
  nn::NoGrad no_grad;
  const Points points{{0.3, 1.7, 4.0, 5.9}, {0.1, 0.5, 0.8, 1.0}};
  Problem p = burgers_problem(true);
  p.u0 = InitialCondition::sine(10.0, 1.0, 1, p.x_min, p.x_max);  // a fast wave: c = max|u0| = 11
  RandomStream rng(2, 0);
  const Lpinn diffusive(p, options(Method::lpinn, Constraints::hard), rng);
  const FieldJet x = diffusive.position(points);
  for (std::size_t i = 0; i < points.size(); ++i) {
    CHECK(at(x.value, i) == Approx(points.x[i]).margin(1e-15));
    CHECK(at(x.d_x, i) == Approx(1).margin(1e-15));
  }
  p.equation = Equation::convection, p.beta = 11, p.nu = 0;
  const Lpinn convective(p, options(Method::lpinn, Constraints::hard), rng);
  CHECK(std::abs(at(convective.position(points).value, 3) - points.x[3]) > 1e-3);
}

TEST_CASE("lpinn: u_xx in the physical coordinate is the chain rule; the released form is not", "[lpinn]") {
  // A known map and state: X = x0 + a sin(x0) t, u = cos(x0). Then u as a function of x has
  // u_x = u_{x0}/X_{x0} and u_xx = (u_{x0x0} X_{x0} − u_{x0} X_{x0x0}) / X_{x0}³, which we check
  // against a direct finite difference of u(x) obtained by inverting X numerically.
  nn::NoGrad no_grad;
  const Problem p = burgers_problem(true);
  RandomStream rng(1, 0);
  ModelOptions physical = options(Method::lpinn, Constraints::hard);
  ModelOptions released = physical;
  released.diffusion = DiffusionForm::released;
  const Lpinn lp(p, physical, rng), lr(p, released, rng);
  const double a = 0.4, t = 0.7, x0 = 1.1;
  auto X = [&](double s) { return s + a * std::sin(s) * t; };
  const FieldJet pos = known_field({X(x0)}, {1 + a * std::cos(x0) * t}, {a * std::sin(x0)}, {-a * std::sin(x0) * t},
                                   nn::DType::f64);
  const FieldJet u = known_field({std::cos(x0)}, {-std::sin(x0)}, {0}, {-std::cos(x0)}, nn::DType::f64);
  auto invert = [&](double x) {  // Newton on X(s) = x
    double s = x;
    for (int i = 0; i < 60; ++i) s -= (X(s) - x) / (1 + a * std::cos(s) * t);
    return s;
  };
  const double x = X(x0), h = 1e-4;
  const double u_xx = (std::cos(invert(x + h)) - 2 * std::cos(invert(x)) + std::cos(invert(x - h))) / (h * h);
  CHECK(at(lp.diffusion_term(pos, u), 0) == Approx(u_xx).epsilon(1e-6));
  CHECK(std::abs(at(lr.diffusion_term(pos, u), 0) - u_xx) > 0.05);
}
