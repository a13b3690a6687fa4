#pragma once
// k-means clustering: Lloyd's algorithm for samples of any dimension and the exact optimum for 1-D
// data. The turbulence module clusters a scalar (FTLE, vorticity, dye) into a few levels and takes
// the thresholds between them as interface levels, so both results order their clusters by the
// first feature: cluster 0 is the lowest level, whatever the seed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace anneal::solvers {

struct KMeansOptions {
  int k = 4;
  std::uint64_t seed = 0;
  int max_iterations = 300;  // Lloyd iterations per restart
  // Converged when no label changes, or when the summed squared centroid shift falls to
  // tolerance · (the mean per-feature variance of the samples), which makes it unit-free.
  double tolerance = 1e-10;
  int restarts = 4;  // independent k-means++ seedings; the lowest inertia wins
  // [k][dimensions]: if given, a single Lloyd run starts from these instead of k-means++ (a warm
  // start, e.g. from the clusters of the previous snapshot of a time series).
  std::vector<double> initial_centroids{};
};

struct KMeansResult {
  std::size_t dimensions = 1;
  std::vector<double> centroids;  // [k][dimensions], ordered by the first feature, ascending (then the next)
  std::vector<int> labels;        // per sample, index into the ordered centroids
  double inertia = 0;             // sum of squared distances to the assigned centroid
  int iterations = 0;             // Lloyd iterations of the winning restart (0 for the exact 1-D method)
  bool converged = false;         // false: max_iterations ran out first (the result is still consistent)
  int restart = 0;                // which seeding won

  int k() const { return static_cast<int>(centroids.size() / dimensions); }
};

// samples: [n][dimensions] row-major. Lloyd's algorithm from k-means++ seeding (Arthur &
// Vassilvitskii, "k-means++: the advantages of careful seeding", SODA 2007), best of `restarts`
// seedings, restart r drawing from anneal::RandomStream(seed, r); or one run from
// options.initial_centroids. Deterministic and independent of the thread count: oneTBB works over
// fixed blocks of samples whose partial sums are combined in block order. A cluster that empties
// is re-seeded at the sample farthest from its centroid. Throws anneal::Error for k < 1,
// dimensions 0, a size that is not a multiple of dimensions, fewer samples (or distinct samples)
// than k, NaN/Inf samples, and initial centroids of the wrong size or not finite.
KMeansResult kmeans(std::span<const double> samples, std::size_t dimensions, const KMeansOptions& options);

// The exact (globally optimal) k-means of 1-D data: dynamic programming over the sorted distinct
// values (Wang & Song, "Ckmeans.1d.dp: optimal k-means clustering in one dimension by dynamic
// programming", R Journal 2011). Optimal 1-D clusters are contiguous runs of the sorted values, so
// the DP runs over split points; they move monotonically with the prefix length, which the
// divide-and-conquer recursion exploits for O(k n log n). Equal values always share a cluster.
// Same errors as kmeans().
KMeansResult kmeans_1d_exact(std::span<const double> values, int k);

// The k − 1 thresholds between adjacent clusters of a 1-D result: midpoints of adjacent centroids,
// ascending — the nearest-centroid decision boundaries.
std::vector<double> midpoint_thresholds(const KMeansResult& result);

}  // namespace anneal::solvers
