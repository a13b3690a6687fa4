#include "physics/lpinn/models.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "nn/autograd.hpp"
#include "nn/ops.hpp"

namespace anneal::physics::lpinn {
namespace {

nn::Tensor mean_square(const nn::Tensor& r) { return nn::mean(nn::square(r)); }

// The grid x × t as points, t slow.
Points grid_points(const std::vector<double>& x, const std::vector<double>& t) {
  Points p;
  p.x.reserve(x.size() * t.size());
  p.t.reserve(x.size() * t.size());
  for (double ti : t)
    for (double xi : x) {
      p.x.push_back(xi);
      p.t.push_back(ti);
    }
  return p;
}

double speed_scale_of(const Problem& problem, double requested) {
  if (requested > 0) return requested;
  const double c = problem.equation == Equation::burgers ? problem.u0.max_abs() : std::abs(problem.beta);
  return std::max(c, 1e-12);
}

}  // namespace

std::string to_string(Method method) { return method == Method::pinn ? "pinn" : "lpinn"; }
std::string to_string(Constraints constraints) { return constraints == Constraints::soft ? "soft" : "hard"; }
std::string to_string(DiffusionForm form) { return form == DiffusionForm::physical ? "physical" : "released"; }

Model::Model(const Problem& problem, const ModelOptions& options)
    : problem_(problem), options_(options), encoding_(problem), speed_scale_(speed_scale_of(problem, options.speed_scale)) {
  problem_.validate();
  ANNEAL_CHECK(options.network.depth >= 1 && options.network.width >= 1,
               "model: the network needs depth ≥ 1 and width ≥ 1, got {}×{}", options.network.depth,
               options.network.width);
}

std::shared_ptr<nn::Mlp> Model::make_network(const std::string& name, RandomStream& rng) {
  std::vector<std::int64_t> sizes{encoding_.features()};
  for (std::int64_t i = 0; i < options_.network.depth; ++i) sizes.push_back(options_.network.width);
  sizes.push_back(1);
  return register_module(name, std::make_shared<nn::Mlp>(sizes, options_.network.activation, rng, options_.dtype));
}

FieldJet Model::network_field(const nn::Mlp& net, const Points& points, Orders orders) const {
  return field_from_jet(net.forward_jet(encoding_.encode(points, options_.dtype, orders)), orders);
}

Orders Model::interior_orders() const {
  const bool diffusive = problem_.nu > 0;
  return {options_.method == Method::pinn || diffusive, diffusive};
}

nn::Tensor Model::speed_times(const nn::Tensor& u, const nn::Tensor& w) const {
  return problem_.equation == Equation::burgers ? u * w : problem_.beta * w;
}

nn::Tensor Model::minus_speed(const nn::Tensor& w, const nn::Tensor& u) const {
  return problem_.equation == Equation::burgers ? w - u : w + (-problem_.beta);
}

// ---- Eulerian PINN

Pinn::Pinn(const Problem& problem, const ModelOptions& options, RandomStream& rng) : Model(problem, options) {
  net_ = make_network("u", rng);
}

FieldJet Pinn::solution(const Points& points, Orders orders) const {
  const FieldJet n = network_field(*net_, points, orders);
  if (options_.constraints == Constraints::soft) return n;
  return initial_field(problem_.u0, points, options_.dtype) +
         constraint_factor(problem_, points, true, options_.dtype) * n;
}

Losses Pinn::loss(const Batch& batch) const {
  const FieldJet u = solution(batch.interior, interior_orders());
  nn::Tensor residual = u.d_t + speed_times(u.value, u.d_x);
  if (problem_.nu > 0) residual = residual - problem_.nu * u.d_xx;
  Losses out;
  out.terms.emplace_back("residual", mean_square(residual));
  out.total = options_.weights.residual * out.terms.back().second;
  if (options_.constraints == Constraints::soft) {
    const FieldJet u_initial = solution(batch.initial, {false, false});
    const FieldJet u0 = initial_field(problem_.u0, batch.initial, options_.dtype);
    out.terms.emplace_back("initial", mean_square(u_initial.value - u0.value));
    out.total = out.total + options_.weights.initial * out.terms.back().second;
    if (!problem_.periodic && batch.boundary.size() > 0) {
      out.terms.emplace_back("boundary", mean_square(solution(batch.boundary, {false, false}).value));
      out.total = out.total + options_.weights.boundary * out.terms.back().second;
    }
  }
  return out;
}

Prediction Pinn::predict(const std::vector<double>& x, const std::vector<double>& t) const {
  nn::NoGrad no_grad;
  return {solution(grid_points(x, t), {false, false}).value.to_vector(), {}, {}, 0};
}

// ---- Lagrangian PINN

Lpinn::Lpinn(const Problem& problem, const ModelOptions& options, RandomStream& rng) : Model(problem, options) {
  displacement_ = make_network("characteristic", rng);
  state_ = make_network("state", rng);
  // With diffusion the characteristics start as the vertical lines X = x₀. From a random start
  // X_{x₀} = 1 + c·t·N_{x₀} changes sign wherever c·t·|N_{x₀}| > 1 (c = max|f(u0)|, large for a fast
  // wave), and there the physical diffusion term, ∝ 1/X_{x₀}³, overflows the loss before training
  // begins: u0 = 10 + sin x at ν = 0.01 starts at a loss of 4e13 and ends at 0.17 instead of 8.6e-4.
  // Without diffusion nothing divides by X_{x₀}, and the random start trains better (β = 30: 1.9e-4
  // against 3.7e-4 from X = x₀).
  if (problem.nu == 0) return;
  const auto& last = displacement_->layers().back();
  for (nn::Tensor parameter : {last->weight(), last->bias()})
    parameter.copy_(nn::Tensor::zeros(parameter.shape(), parameter.dtype()));
}

FieldJet Lpinn::position(const Points& labels, Orders orders) const {
  FieldJet d = network_field(*displacement_, labels, orders);
  if (options_.constraints == Constraints::hard) d = constraint_factor(problem_, labels, true, options_.dtype) * d;
  return coordinate_field(labels, options_.dtype) + speed_scale_ * d;
}

FieldJet Lpinn::state(const Points& labels, Orders orders) const {
  const FieldJet n = network_field(*state_, labels, orders);
  if (options_.constraints == Constraints::soft) return n;
  return initial_field(problem_.u0, labels, options_.dtype) +
         constraint_factor(problem_, labels, true, options_.dtype) * n;
}

nn::Tensor Lpinn::diffusion_term(const FieldJet& x, const FieldJet& u) const {
  if (options_.diffusion == DiffusionForm::released) return u.d_xx;
  // d/dx = (1/X_{x₀}) d/dx₀ applied twice.
  return (u.d_xx * x.d_x - u.d_x * x.d_xx) / nn::pow(x.d_x, 3.0);
}

Losses Lpinn::loss(const Batch& batch) const {
  const FieldJet x = position(batch.interior, interior_orders());
  const FieldJet u = state(batch.interior, interior_orders());
  const double c = speed_scale_;
  Losses out;
  out.terms.emplace_back("characteristic", mean_square(minus_speed(x.d_t, u.value) * (1.0 / c)));
  out.total = options_.weights.characteristic * out.terms.back().second;
  nn::Tensor state_residual = u.d_t;
  if (problem_.nu > 0) state_residual = state_residual - problem_.nu * diffusion_term(x, u);
  out.terms.emplace_back("residual", mean_square(state_residual));
  out.total = out.total + options_.weights.residual * out.terms.back().second;
  if (options_.constraints == Constraints::soft) {
    const FieldJet x_initial = position(batch.initial, {false, false});
    const FieldJet u_initial = state(batch.initial, {false, false});
    const FieldJet u0 = initial_field(problem_.u0, batch.initial, options_.dtype);
    const FieldJet labels = coordinate_field(batch.initial, options_.dtype);
    out.terms.emplace_back("initial", mean_square(u_initial.value - u0.value) +
                                          mean_square((x_initial.value - labels.value) * (1.0 / c)));
    out.total = out.total + options_.weights.initial * out.terms.back().second;
    if (!problem_.periodic && batch.boundary.size() > 0) {
      // Characteristics from the walls stay there (u = 0 moves nothing), and u = 0 on them.
      const FieldJet x_wall = position(batch.boundary, {false, false});
      const FieldJet walls = coordinate_field(batch.boundary, options_.dtype);
      out.terms.emplace_back("boundary", mean_square(state(batch.boundary, {false, false}).value) +
                                             mean_square((x_wall.value - walls.value) * (1.0 / c)));
      out.total = out.total + options_.weights.boundary * out.terms.back().second;
    }
  }
  return out;
}

Prediction Lpinn::predict(const std::vector<double>& x, const std::vector<double>& t) const {
  nn::NoGrad no_grad;
  const double a = problem_.x_min, length = problem_.length();
  const bool periodic = problem_.periodic;
  const std::size_t nx = x.size(), nt = t.size();
  Prediction out;

  // Where the characteristics of evenly spaced labels went: the curves to draw.
  const std::size_t curves = 32;
  for (std::size_t j = 0; j < curves; ++j)
    out.labels.push_back(a + length * (static_cast<double>(j) + (periodic ? 0.0 : 0.5)) / static_cast<double>(curves));
  out.characteristics = position(grid_points(out.labels, t), {false, false}).value.to_vector();

  // X(·, t) on a fine label grid brackets every target; periodic domains append the label a + L,
  // whose characteristic is X(a, t) + L.
  const std::size_t fine = std::max<std::size_t>(512, 4 * nx);
  std::vector<double> s(fine);
  for (std::size_t m = 0; m < fine; ++m)
    s[m] = a + length * static_cast<double>(m) / static_cast<double>(periodic ? fine : fine - 1);
  const std::vector<double> xs = position(grid_points(s, t), {false, false}).value.to_vector();

  Points labels;  // the initial guess of x₀ for every grid point, t slow
  std::vector<double> target, lo, hi;
  for (std::size_t i = 0; i < nt; ++i) {
    std::vector<double> row(xs.begin() + static_cast<std::ptrdiff_t>(i * fine),
                            xs.begin() + static_cast<std::ptrdiff_t>((i + 1) * fine));
    std::vector<double> sr = s;
    if (periodic) {
      row.push_back(row.front() + length);
      sr.push_back(a + length);
    }
    const bool monotone = std::is_sorted(row.begin(), row.end());
    if (!monotone) ++out.crossed_rows;
    for (std::size_t j = 0; j < nx; ++j) {
      double y = x[j];
      if (periodic) y = row.front() + std::fmod(std::fmod(y - row.front(), length) + length, length);
      y = std::clamp(y, row.front(), row.back());
      // The bracket [row[m], row[m+1]] holding y: unique while X is monotone, else the first one.
      std::size_t m = 0;
      if (monotone) {
        const auto above = std::upper_bound(row.begin(), row.end(), y);
        m = std::min<std::size_t>(static_cast<std::size_t>(std::max<std::ptrdiff_t>(above - row.begin() - 1, 0)),
                                  row.size() - 2);
      } else {
        while (m + 2 < row.size() && !(row[m] <= y && y <= row[m + 1])) ++m;
      }
      const double span = row[m + 1] - row[m];
      const double w = span > 0 ? (y - row[m]) / span : 0.0;
      labels.x.push_back(sr[m] + w * (sr[m + 1] - sr[m]));
      labels.t.push_back(t[i]);
      target.push_back(y);
      lo.push_back(sr[m]);
      hi.push_back(sr[m + 1]);
    }
  }
  // Newton on X(x₀, t) = y, kept inside its bracket.
  for (int iteration = 0; iteration < 4; ++iteration) {
    const FieldJet xj = position(labels, {true, false});
    const std::vector<double> value = xj.value.to_vector(), slope = xj.d_x.to_vector();
    for (std::size_t k = 0; k < labels.size(); ++k) {
      if (slope[k] <= 0) continue;
      labels.x[k] = std::clamp(labels.x[k] - (value[k] - target[k]) / slope[k], lo[k], hi[k]);
    }
  }
  out.u = state(labels, {false, false}).value.to_vector();
  return out;
}

std::unique_ptr<Model> make_model(const Problem& problem, const ModelOptions& options, RandomStream& rng) {
  if (options.method == Method::pinn) return std::make_unique<Pinn>(problem, options, rng);
  return std::make_unique<Lpinn>(problem, options, rng);
}

}  // namespace anneal::physics::lpinn
