#include "physics/turbulence/interpolation_axis.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace anneal::physics::turbulence {

InterpolationAxis::InterpolationAxis(std::vector<double> nodes, bool periodic)
    : x_(std::move(nodes)), periodic_(periodic) {
  ANNEAL_CHECK(x_.size() >= 2, "an interpolation axis needs at least two nodes");
  const std::size_t n = x_.size();
  n_ = n;
  period_nodes_ = static_cast<double>(n);
  inv_period_nodes_ = 1.0 / period_nodes_;
  h_ = (x_.back() - x_.front()) / static_cast<double>(n - 1);
  min_spacing_ = h_;
  uniform_ = true;
  for (std::size_t i = 1; i < n; ++i) {
    const double d = x_[i] - x_[i - 1];
    ANNEAL_CHECK(d > 0, "interpolation axis nodes must increase strictly");
    min_spacing_ = std::min(min_spacing_, d);
    if (std::abs(d - h_) > 1e-9 * h_) uniform_ = false;
  }
  ANNEAL_CHECK(!periodic_ || uniform_, "a periodic axis needs evenly spaced nodes");
  origin_ = x_.front();
  inv_h_ = 1.0 / h_;
  period_ = static_cast<double>(n) * h_;
}

bool InterpolationAxis::locate_uneven(double x, std::size_t& cell, double& s) const {
  const std::size_t n = x_.size();
  const double span = x_.back() - x_.front();
  if (!(x >= x_.front() - kSlack * span && x <= x_.back() + kSlack * span)) return false;
  x = std::clamp(x, x_.front(), x_.back());
  // Start from the cell an even grid would give (exact for nearly even axes such as frame times
  // written with rounding), walk a few cells, and fall back to bisection on truly uneven axes.
  auto i = static_cast<std::size_t>(std::min((x - origin_) * inv_h_, static_cast<double>(n - 2)));
  for (int walk = 0; walk < 4; ++walk) {
    if (x < x_[i]) --i;
    else if (i + 2 < n && x >= x_[i + 1]) ++i;
    else break;
  }
  if (x < x_[i] || (i + 2 < n && x >= x_[i + 1])) {
    auto it = std::upper_bound(x_.begin(), x_.end(), x);
    i = it == x_.begin() ? 0 : static_cast<std::size_t>(it - x_.begin()) - 1;
    if (i > n - 2) i = n - 2;
  }
  cell = i;
  s = (x - x_[i]) / (x_[i + 1] - x_[i]);
  return true;
}

bool InterpolationAxis::exists(std::size_t cell, int offset) const {
  if (periodic_) return true;
  const long j = static_cast<long>(cell) + offset;
  return j >= 0 && j < static_cast<long>(x_.size());
}

std::size_t InterpolationAxis::wrap(std::size_t cell, int offset) const {
  const long n = static_cast<long>(x_.size());
  long j = static_cast<long>(cell) + offset;
  if (periodic_) j = ((j % n) + n) % n;
  return static_cast<std::size_t>(std::clamp(j, 0L, n - 1));
}

double InterpolationAxis::coordinate(std::size_t cell, int offset) const {
  const long n = static_cast<long>(x_.size());
  const long j = static_cast<long>(cell) + offset;
  if (!periodic_) return x_[static_cast<std::size_t>(std::clamp(j, 0L, n - 1))];
  const long wraps = j >= 0 ? j / n : -((-j + n - 1) / n);
  return x_[static_cast<std::size_t>(j - wraps * n)] + static_cast<double>(wraps) * period_;
}

void InterpolationAxis::cubic(std::size_t cell, double s, std::array<std::size_t, 4>& index, std::array<double, 4>& w,
                              std::array<double, 4>* dw) const {
  for (int k = 0; k < 4; ++k) index[static_cast<std::size_t>(k)] = wrap(cell, k - 1);
  const double x0 = coordinate(cell, 0), x1 = coordinate(cell, 1), h = x1 - x0;
  // Slopes at both ends of the cell as differences of two nodes (slots into w: offset + 1).
  int a0 = 0, b0 = 2, a1 = 1, b1 = 3;  // central: m_i from nodes (i−1, i+1), m_{i+1} from (i, i+2)
  if (!exists(cell, -1)) a0 = 1;       // one-sided at the left end
  if (!exists(cell, 2)) b1 = 2;        // one-sided at the right end
  const double m0 = 1.0 / (coordinate(cell, b0 - 1) - coordinate(cell, a0 - 1));
  const double m1 = 1.0 / (coordinate(cell, b1 - 1) - coordinate(cell, a1 - 1));
  const double s2 = s * s, s3 = s2 * s;
  const double h00 = 2 * s3 - 3 * s2 + 1, h10 = s3 - 2 * s2 + s, h01 = -2 * s3 + 3 * s2, h11 = s3 - s2;
  w = {0, h00, h01, 0};
  w[static_cast<std::size_t>(b0)] += h * h10 * m0;
  w[static_cast<std::size_t>(a0)] -= h * h10 * m0;
  w[static_cast<std::size_t>(b1)] += h * h11 * m1;
  w[static_cast<std::size_t>(a1)] -= h * h11 * m1;
  if (dw) {
    const double d00 = 6 * s2 - 6 * s, d10 = 3 * s2 - 4 * s + 1, d01 = -6 * s2 + 6 * s, d11 = 3 * s2 - 2 * s;
    auto& d = *dw;
    d = {0, d00 / h, d01 / h, 0};
    d[static_cast<std::size_t>(b0)] += d10 * m0;
    d[static_cast<std::size_t>(a0)] -= d10 * m0;
    d[static_cast<std::size_t>(b1)] += d11 * m1;
    d[static_cast<std::size_t>(a1)] -= d11 * m1;
  }
}

}  // namespace anneal::physics::turbulence
