#include "solvers/implicit/fixed_point_iteration.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

#include <Eigen/Dense>

#include "core/error.hpp"

namespace anneal::solvers {

FixedPointMethod parse_fixed_point_method(std::string_view name) {
  if (name == "picard") return FixedPointMethod::picard;
  if (name == "anderson") return FixedPointMethod::anderson;
  ANNEAL_CHECK(false, "unknown fixed-point method '{}' (use picard or anderson)", name);
  return FixedPointMethod::picard;
}

std::string to_string(FixedPointMethod method) {
  return method == FixedPointMethod::picard ? "picard" : "anderson";
}

FixedPointStatus iterate_fixed_point(const VectorMap& map, std::span<double> x, const FixedPointOptions& options) {
  ANNEAL_CHECK(options.max_iterations >= 1, "fixed-point iteration: max_iterations must be at least 1");
  ANNEAL_CHECK(options.tolerance > 0, "fixed-point iteration: the tolerance must be positive");
  const std::size_t n = x.size();
  using Vector = Eigen::VectorXd;
  Vector gx(n), f(n);
  Eigen::Map<Vector> xv(x.data(), static_cast<Eigen::Index>(n));
  const bool anderson = options.method == FixedPointMethod::anderson && options.anderson_memory > 0;
  // Differences of successive residuals f = g(x) − x and of successive map values, newest last.
  std::deque<Vector> delta_f, delta_g;
  Vector previous_f, previous_g;
  FixedPointStatus status;
  for (std::int64_t k = 0; k < options.max_iterations; ++k) {
    map(std::span<const double>(x.data(), n), std::span<double>(gx.data(), n));
    ++status.iterations;
    f = gx - xv;
    const double scale = std::max(gx.norm(), options.absolute_floor);
    status.residual = f.norm() / scale;
    if (!std::isfinite(status.residual)) return status;  // diverged: reported as not converged
    if (status.residual <= options.tolerance) {
      xv = gx;  // g(x) is the better iterate
      status.converged = true;
      return status;
    }
    if (!anderson) {
      xv = gx;
      continue;
    }
    if (k > 0) {
      delta_f.push_back(f - previous_f);
      delta_g.push_back(gx - previous_g);
      if (static_cast<int>(delta_f.size()) > options.anderson_memory) {
        delta_f.pop_front();
        delta_g.pop_front();
      }
    }
    previous_f = f;
    previous_g = gx;
    if (delta_f.empty()) {
      xv = gx;
      continue;
    }
    // min_c ‖f − ΔF c‖ by regularised normal equations (m ≤ a handful of columns).
    const auto m = static_cast<Eigen::Index>(delta_f.size());
    Eigen::MatrixXd dF(static_cast<Eigen::Index>(n), m), dG(static_cast<Eigen::Index>(n), m);
    for (Eigen::Index j = 0; j < m; ++j) {
      dF.col(j) = delta_f[static_cast<std::size_t>(j)];
      dG.col(j) = delta_g[static_cast<std::size_t>(j)];
    }
    Eigen::MatrixXd gram = dF.transpose() * dF;
    const double ridge = options.anderson_regularization * std::max(gram.diagonal().maxCoeff(), 1e-300);
    gram.diagonal().array() += ridge;
    const Eigen::VectorXd c = gram.ldlt().solve(dF.transpose() * f);
    xv = gx - dG * c;
  }
  status.converged = false;
  return status;
}

}  // namespace anneal::solvers
