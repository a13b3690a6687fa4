#pragma once
// How far apart two vectors are, in the few ways the solver tests measure it.
#include <algorithm>
#include <cmath>
#include <vector>

namespace anneal::test {

inline double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

// max |a_i − b_i|
inline double max_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

// max |a_i − b_i| / max(|a_i|, |b_i|): entry by entry (residual histories spanning many decades)
inline double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(std::abs(a[i]), std::abs(b[i])));
  return worst;
}

// ‖a − b‖₂ / ‖b‖₂
inline double relative_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0, ref = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    d += (a[i] - b[i]) * (a[i] - b[i]);
    ref += b[i] * b[i];
  }
  return std::sqrt(d / ref);
}

}  // namespace anneal::test
