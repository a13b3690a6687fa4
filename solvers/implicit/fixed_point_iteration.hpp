#pragma once
// Fixed points x = g(x) of maps on ℝⁿ: plain (Picard) iteration, or Anderson acceleration
// (type II, as in Walker & Ni, "Anderson acceleration for fixed-point iterations", SIAM J. Numer.
// Anal. 49, 2011). Anderson mixes the last m iterates so that the combined residual is smallest; on
// a contraction with factor close to 1 (CGS with γ → 1, PageRank-like systems) it needs far fewer
// map evaluations than Picard, and on a linear map it is equivalent to GMRES in exact arithmetic.
//
// Non-convergence is a status, never hidden: the caller gets the iterations and the residual reached.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace anneal::solvers {

enum class FixedPointMethod { picard, anderson };
FixedPointMethod parse_fixed_point_method(std::string_view name);  // "picard" or "anderson"
std::string to_string(FixedPointMethod method);

struct FixedPointOptions {
  FixedPointMethod method = FixedPointMethod::anderson;
  std::int64_t max_iterations = 500;
  // Stop when ‖g(x) − x‖₂ ≤ tolerance · max(‖g(x)‖₂, absolute_floor).
  double tolerance = 1e-10;
  double absolute_floor = 1e-300;
  int anderson_memory = 5;                // m: how many past iterates are mixed
  double anderson_regularization = 1e-12;  // Tikhonov term of the mixing least squares, relative to its scale
};

struct FixedPointStatus {
  std::int64_t iterations = 0;  // map evaluations
  double residual = 0;          // ‖g(x) − x‖₂ / max(‖g(x)‖₂, floor) at the returned x
  bool converged = false;
};

// out = g(x); `x` and `out` have the same length and never alias.
using VectorMap = std::function<void(std::span<const double> x, std::span<double> out)>;

// Iterates from the initial guess in `x` and leaves the last iterate there.
FixedPointStatus iterate_fixed_point(const VectorMap& map, std::span<double> x, const FixedPointOptions& options);

}  // namespace anneal::solvers
