#pragma once
// Statistics conditioned on the distance to an interface (the profiles of Khojasteh et al. 2025,
// and of TNTI studies generally), and the integral time scale that integration times are measured in.
#include <cstdint>
#include <span>
#include <vector>

#include "physics/turbulence/flow_data.hpp"

namespace anneal::physics::turbulence {

// Equal bins of the signed distance on [lo, hi].
struct DistanceBins {
  double lo = -1, hi = 1;
  std::size_t count = 40;
  std::vector<double> centres() const;
  // The bin of d, or count when d is outside [lo, hi] or not finite.
  std::size_t bin(double d) const;
};

struct ConditionalAverage {
  std::vector<double> mean;          // per bin; NaN where the bin holds no finite value
  std::vector<std::int64_t> count;   // finite values per bin
};

// The mean of `values` per bin of `distance`; non-finite values and distances are skipped.
ConditionalAverage conditional_average(std::span<const double> distance, std::span<const double> values,
                                       const DistanceBins& bins);

// The Eulerian integral time scale T_E = ∫₀^{τ₀} R(τ) dτ, with R the temporal autocorrelation of the
// velocity fluctuation about each node's mean over the frames, averaged over the nodes where
// `region` is nonzero (all nodes when empty), integrated (trapezoid) up to its first zero crossing
// τ₀, or over all lags when it never crosses. Frames must be evenly spaced in time.
double integral_time_scale(const FlowData& data, std::span<const std::uint8_t> region = {});

}  // namespace anneal::physics::turbulence
