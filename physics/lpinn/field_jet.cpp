#include "physics/lpinn/field_jet.hpp"

#include <cmath>
#include <numbers>

#include "nn/ops.hpp"

namespace anneal::physics::lpinn {
namespace {

nn::Tensor column(const std::vector<double>& values, nn::DType dtype) {
  return nn::Tensor::from_vector(values, {static_cast<std::int64_t>(values.size()), 1}, dtype);
}

}  // namespace

FieldJet operator+(const FieldJet& a, const FieldJet& b) {
  FieldJet r{a.value + b.value, {}, a.d_t + b.d_t, {}};
  if (a.d_x.defined() && b.d_x.defined()) r.d_x = a.d_x + b.d_x;
  if (a.d_xx.defined() && b.d_xx.defined()) r.d_xx = a.d_xx + b.d_xx;
  return r;
}

FieldJet operator*(const FieldJet& a, const FieldJet& b) {
  FieldJet r{a.value * b.value, {}, a.d_t * b.value + a.value * b.d_t, {}};
  if (a.d_x.defined() && b.d_x.defined()) {
    r.d_x = a.d_x * b.value + a.value * b.d_x;
    if (a.d_xx.defined() && b.d_xx.defined()) r.d_xx = a.d_xx * b.value + 2.0 * (a.d_x * b.d_x) + a.value * b.d_xx;
  }
  return r;
}

FieldJet operator*(double c, const FieldJet& a) {
  FieldJet r{c * a.value, {}, c * a.d_t, {}};
  if (a.d_x.defined()) r.d_x = c * a.d_x;
  if (a.d_xx.defined()) r.d_xx = c * a.d_xx;
  return r;
}

FieldJet known_field(const std::vector<double>& value, const std::vector<double>& d_x, const std::vector<double>& d_t,
                     const std::vector<double>& d_xx, nn::DType dtype) {
  return {column(value, dtype), column(d_x, dtype), column(d_t, dtype), column(d_xx, dtype)};
}

FieldJet initial_field(const InitialCondition& u0, const Points& points, nn::DType dtype) {
  const std::size_t n = points.size();
  std::vector<double> v(n), dx(n), dxx(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = u0.value(points.x[i]);
    dx[i] = u0.derivative(points.x[i]);
    dxx[i] = u0.second_derivative(points.x[i]);
  }
  return known_field(v, dx, std::vector<double>(n, 0.0), dxx, dtype);
}

FieldJet coordinate_field(const Points& points, nn::DType dtype) {
  const std::size_t n = points.size();
  return known_field(points.x, std::vector<double>(n, 1.0), std::vector<double>(n, 0.0), std::vector<double>(n, 0.0),
                     dtype);
}

FieldJet constraint_factor(const Problem& problem, const Points& points, bool with_time, nn::DType dtype) {
  const std::size_t n = points.size();
  std::vector<double> v(n), dx(n), dt(n), dxx(n);
  const double a = problem.x_min, b = problem.x_max, scale = 4.0 / (problem.length() * problem.length());
  for (std::size_t i = 0; i < n; ++i) {
    const double x = points.x[i];
    const double phi = problem.periodic ? 1.0 : scale * (x - a) * (b - x);
    const double phi_x = problem.periodic ? 0.0 : scale * (a + b - 2 * x);
    const double phi_xx = problem.periodic ? 0.0 : -2 * scale;
    const double t = with_time ? points.t[i] : 1.0;
    v[i] = t * phi;
    dx[i] = t * phi_x;
    dxx[i] = t * phi_xx;
    dt[i] = with_time ? phi : 0.0;
  }
  return known_field(v, dx, dt, dxx, dtype);
}

InputEncoding::InputEncoding(const Problem& problem)
    : periodic_(problem.periodic), x_min_(problem.x_min), length_(problem.length()), t_end_(problem.t_end) {}

nn::Jet InputEncoding::encode(const Points& points, nn::DType dtype, Orders orders) const {
  // Packed streams [value, ∂x, ∂t, ∂²x] × [N, features] (∂x and ∂²x only when wanted), filled
  // directly: the encoding has no parameters, so nothing upstream needs a gradient.
  const bool with_x = orders.x || orders.xx, with_xx = orders.xx;
  const std::int64_t streams = 2 + (with_x ? 1 : 0) + (with_xx ? 1 : 0);
  const std::int64_t sx = with_x ? 1 : -1, st = with_x ? 2 : 1, sxx = with_xx ? 3 : -1;
  const auto n = static_cast<std::int64_t>(points.size());
  const std::int64_t d = features();
  std::vector<double> packed(static_cast<std::size_t>(streams * n * d), 0.0);
  double ignored = 0;
  auto at = [&](std::int64_t stream, std::int64_t i, std::int64_t f) -> double& {
    return stream < 0 ? ignored : packed[static_cast<std::size_t>((stream * n + i) * d + f)];
  };
  const double omega = 2 * std::numbers::pi / length_, tau_scale = 2.0 / t_end_;
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = points.x[static_cast<std::size_t>(i)], t = points.t[static_cast<std::size_t>(i)];
    if (periodic_) {
      const double c = std::cos(omega * (x - x_min_)), s = std::sin(omega * (x - x_min_));
      at(0, i, 0) = c, at(sx, i, 0) = -omega * s, at(sxx, i, 0) = -omega * omega * c;
      at(0, i, 1) = s, at(sx, i, 1) = omega * c, at(sxx, i, 1) = -omega * omega * s;
    } else {
      at(0, i, 0) = 2 * (x - x_min_) / length_ - 1, at(sx, i, 0) = 2 / length_;
    }
    at(0, i, d - 1) = tau_scale * t - 1, at(st, i, d - 1) = tau_scale;
  }
  const nn::Tensor tensor = nn::Tensor::from_vector(packed, {streams, n, d}, dtype);
  if (!with_x) return nn::Jet(tensor, 1, {});
  return nn::Jet(tensor, 2, with_xx ? std::vector<std::int64_t>{0} : std::vector<std::int64_t>{});
}

FieldJet field_from_jet(const nn::Jet& jet, Orders orders) {
  if (!orders.x && !orders.xx) return {jet.value(), {}, jet.first(0), {}};
  return {jet.value(), jet.first(0), jet.first(1), orders.xx ? jet.second(0) : nn::Tensor()};
}

}  // namespace anneal::physics::lpinn
