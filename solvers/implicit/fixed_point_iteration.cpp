#include "solvers/implicit/fixed_point_iteration.hpp"

#include <algorithm>
#include <cmath>
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
  // Differences of successive residuals f = g(x) − x and of successive map values, kept as the
  // columns of two n × m matrices used as rings (the least squares does not care about column
  // order), with their Gram matrix updated one row and column per iteration: O(m n) work per
  // iteration instead of rebuilding both matrices and the whole Gram matrix (O(m² n)).
  const Eigen::Index memory = anderson ? options.anderson_memory : 0;
  const auto rows = static_cast<Eigen::Index>(n);
  Eigen::MatrixXd delta_f(rows, memory), delta_g(rows, memory), gram(memory, memory);
  Eigen::Index filled = 0, next = 0;
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
      delta_f.col(next) = f - previous_f;
      delta_g.col(next) = gx - previous_g;
      filled = std::min(filled + 1, memory);
      const Eigen::VectorXd row = delta_f.leftCols(filled).transpose() * delta_f.col(next);
      gram.block(next, 0, 1, filled) = row.transpose();
      gram.block(0, next, filled, 1) = row;
      next = (next + 1) % memory;
    }
    previous_f = f;
    previous_g = gx;
    if (filled == 0) {
      xv = gx;
      continue;
    }
    // min_c ‖f − ΔF c‖ by regularised normal equations (m is small).
    Eigen::MatrixXd system = gram.topLeftCorner(filled, filled);
    const double ridge = options.anderson_regularization * std::max(system.diagonal().maxCoeff(), 1e-300);
    system.diagonal().array() += ridge;
    const Eigen::VectorXd c = system.ldlt().solve(delta_f.leftCols(filled).transpose() * f);
    xv = gx - delta_g.leftCols(filled) * c;
  }
  status.converged = false;
  return status;
}

}  // namespace anneal::solvers
