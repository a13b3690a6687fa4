#pragma once
#include <cstddef>
#include <vector>

namespace anneal::test {
// n evenly spaced values from a to b, both included.
inline std::vector<double> linspace(double a, double b, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1);
  return x;
}
}  // namespace anneal::test
