#include "physics/turbulence/conditional.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace anneal::physics::turbulence {

std::vector<double> DistanceBins::centres() const {
  std::vector<double> c(count);
  const double w = (hi - lo) / static_cast<double>(count);
  for (std::size_t i = 0; i < count; ++i) c[i] = lo + (static_cast<double>(i) + 0.5) * w;
  return c;
}

std::size_t DistanceBins::bin(double d) const {
  if (!std::isfinite(d) || d < lo || d > hi) return count;
  const auto i = static_cast<std::size_t>((d - lo) / (hi - lo) * static_cast<double>(count));
  return std::min(i, count - 1);
}

ConditionalAverage conditional_average(std::span<const double> distance, std::span<const double> values,
                                       const DistanceBins& bins) {
  ANNEAL_CHECK(distance.size() == values.size(), "conditional average: {} distances for {} values", distance.size(),
               values.size());
  ANNEAL_CHECK(bins.count > 0 && bins.hi > bins.lo, "conditional average: need at least one bin and hi > lo");
  std::vector<double> sum(bins.count, 0.0);
  ConditionalAverage out;
  out.count.assign(bins.count, 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t b = bins.bin(distance[i]);
    if (b == bins.count || !std::isfinite(values[i])) continue;
    sum[b] += values[i];
    ++out.count[b];
  }
  out.mean.resize(bins.count);
  for (std::size_t b = 0; b < bins.count; ++b)
    out.mean[b] = out.count[b] > 0 ? sum[b] / static_cast<double>(out.count[b]) : std::numeric_limits<double>::quiet_NaN();
  return out;
}

double integral_time_scale(const FlowData& data, std::span<const std::uint8_t> region) {
  const std::size_t nt = data.times.size(), nodes = data.nodes();
  const auto d = static_cast<std::size_t>(data.dimensions());
  ANNEAL_CHECK(nt >= 3, "the integral time scale needs at least three frames, the data hold {}", nt);
  const double dt = (data.times.back() - data.times.front()) / static_cast<double>(nt - 1);
  for (std::size_t f = 1; f < nt; ++f)
    ANNEAL_CHECK(std::abs(data.times[f] - data.times[f - 1] - dt) <= 1e-6 * dt,
                 "the integral time scale needs evenly spaced frames; give it with --integral-time instead");
  // Fluctuations about each node's mean.
  std::vector<double> mean(nodes * d, 0.0);
  for (std::size_t f = 0; f < nt; ++f)
    for (std::size_t k = 0; k < nodes * d; ++k) mean[k] += data.velocity[f * nodes * d + k] / static_cast<double>(nt);
  auto used = [&](std::size_t node) {
    if (!region.empty() && region[node] == 0) return false;
    for (std::size_t f = 0; f < nt; ++f)
      if (data.masked(f, node)) return false;
    return true;
  };
  std::vector<double> R(nt, 0.0);
  for (std::size_t lag = 0; lag < nt; ++lag) {
    double sum = 0;
    std::size_t pairs = 0;
    for (std::size_t node = 0; node < nodes; ++node) {
      if (!used(node)) continue;
      for (std::size_t f = 0; f + lag < nt; ++f)
        for (std::size_t c = 0; c < d; ++c) {
          const std::size_t k = node * d + c;
          sum += (data.velocity[f * nodes * d + k] - mean[k]) * (data.velocity[(f + lag) * nodes * d + k] - mean[k]);
          ++pairs;
        }
    }
    ANNEAL_CHECK(pairs > 0, "the integral time scale: no unmasked node in the region");
    R[lag] = sum / static_cast<double>(pairs);
  }
  ANNEAL_CHECK(R[0] > 0, "the velocity does not fluctuate in time: there is no integral time scale to estimate");
  double integral = 0;
  for (std::size_t lag = 1; lag < nt; ++lag) {
    const double a = R[lag - 1] / R[0], b = R[lag] / R[0];
    if (b <= 0) {
      integral += 0.5 * a * (a / (a - b)) * dt;  // up to the zero crossing, linearly interpolated
      return integral;
    }
    integral += 0.5 * (a + b) * dt;
  }
  return integral;
}

}  // namespace anneal::physics::turbulence
