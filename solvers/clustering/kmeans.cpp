#include "solvers/clustering/kmeans.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace anneal::solvers {
namespace {

// A partition of the samples that depends on n only. Reductions sum each block sequentially and
// then the blocks in order, so every floating-point sum is the same whatever oneTBB's thread count.
struct Blocks {
  std::size_t n = 0, size = 1, count = 0;
  std::size_t begin(std::size_t b) const { return b * size; }
  std::size_t end(std::size_t b) const { return std::min(n, (b + 1) * size); }
};

Blocks make_blocks(std::size_t n) {
  // Large enough to amortise the scheduling, few enough that the per-block partial sums of
  // k · dimensions values stay small next to the samples.
  constexpr std::size_t kMinBlock = 2048, kMaxBlocks = 512;
  Blocks blocks;
  blocks.n = n;
  blocks.size = std::max(kMinBlock, (n + kMaxBlocks - 1) / kMaxBlocks);
  blocks.count = (n + blocks.size - 1) / blocks.size;
  return blocks;
}

template <class Body>
void for_each_block(const Blocks& blocks, const Body& body) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks.count, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t b = r.begin(); b != r.end(); ++b) body(b, blocks.begin(b), blocks.end(b));
  });
}

void check_samples(std::span<const double> samples, std::size_t dimensions, int k, const char* who) {
  ANNEAL_CHECK(dimensions > 0, "{}: dimensions must be at least 1", who);
  ANNEAL_CHECK(samples.size() % dimensions == 0, "{}: {} values are not a whole number of {}-D samples", who,
               samples.size(), dimensions);
  ANNEAL_CHECK(k >= 1, "{}: k must be at least 1, got {}", who, k);
  const std::size_t n = samples.size() / dimensions;
  ANNEAL_CHECK(n >= static_cast<std::size_t>(k), "{}: {} samples cannot form k = {} clusters", who, n, k);
  for (std::size_t i = 0; i < samples.size(); ++i)
    ANNEAL_CHECK(std::isfinite(samples[i]), "{}: sample {} has a non-finite value ({}) in feature {}", who,
                 i / dimensions, samples[i], i % dimensions);
}

double squared_distance(const double* a, const double* b, std::size_t dimensions) {
  double sum = 0;
  for (std::size_t j = 0; j < dimensions; ++j) {
    const double t = a[j] - b[j];
    sum += t * t;
  }
  return sum;
}

// The samples and the scratch space that one k-means run reuses across restarts and iterations.
struct Problem {
  std::span<const double> x;
  std::size_t dimensions = 1, n = 0;
  int k = 1;
  Blocks blocks;
  std::vector<double> block_sums;         // [block][k][dimensions]
  std::vector<std::size_t> block_counts;  // [block][k]
  std::vector<double> block_scalar;       // [block]: inertia or D² totals
  std::vector<std::size_t> block_changed;
  std::vector<double> distance2;  // per sample: to the nearest (seeding) or assigned (Lloyd) centroid

  const double* sample(std::size_t i) const { return x.data() + i * dimensions; }
  std::size_t kd() const { return static_cast<std::size_t>(k) * dimensions; }
};

struct Totals {
  std::vector<double> sums;  // [k][dimensions]
  std::vector<std::size_t> counts;
  double inertia = 0;
  std::size_t changed = 0;
};

// The assignment step: each sample to its nearest centroid (the lowest index on a tie), with the
// per-cluster sums the update step needs.
Totals assign(Problem& p, const std::vector<double>& centroids, std::vector<int>& labels) {
  const std::size_t kd = p.kd(), d = p.dimensions;
  const auto k = static_cast<std::size_t>(p.k);
  for_each_block(p.blocks, [&](std::size_t b, std::size_t begin, std::size_t end) {
    double* sums = p.block_sums.data() + b * kd;
    std::size_t* counts = p.block_counts.data() + b * k;
    std::fill(sums, sums + kd, 0.0);
    std::fill(counts, counts + k, std::size_t{0});
    double inertia = 0;
    std::size_t changed = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const double* xi = p.sample(i);
      std::size_t best = 0;
      double best_d2 = squared_distance(xi, centroids.data(), d);
      for (std::size_t c = 1; c < k; ++c) {
        const double d2 = squared_distance(xi, centroids.data() + c * d, d);
        if (d2 < best_d2) {
          best_d2 = d2;
          best = c;
        }
      }
      if (labels[i] != static_cast<int>(best)) ++changed;
      labels[i] = static_cast<int>(best);
      p.distance2[i] = best_d2;
      inertia += best_d2;
      ++counts[best];
      for (std::size_t j = 0; j < d; ++j) sums[best * d + j] += xi[j];
    }
    p.block_scalar[b] = inertia;
    p.block_changed[b] = changed;
  });
  Totals totals{std::vector<double>(kd, 0.0), std::vector<std::size_t>(k, 0), 0, 0};
  for (std::size_t b = 0; b < p.blocks.count; ++b) {
    for (std::size_t e = 0; e < kd; ++e) totals.sums[e] += p.block_sums[b * kd + e];
    for (std::size_t c = 0; c < k; ++c) totals.counts[c] += p.block_counts[b * k + c];
    totals.inertia += p.block_scalar[b];
    totals.changed += p.block_changed[b];
  }
  return totals;
}

// k-means++: each further centroid is a sample drawn with probability ∝ D², its squared distance
// to the nearest centroid so far. D² summing to zero means every sample already is a centroid.
std::vector<double> seed_plus_plus(Problem& p, RandomStream& rng) {
  const std::size_t d = p.dimensions;
  std::vector<double> centroids;
  centroids.reserve(p.kd());
  const auto add_centroid = [&](std::size_t i) {
    centroids.insert(centroids.end(), p.sample(i), p.sample(i) + d);
    const double* c = centroids.data() + centroids.size() - d;
    const bool first = centroids.size() == d;
    for_each_block(p.blocks, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t s = begin; s < end; ++s) {
        const double d2 = squared_distance(p.sample(s), c, d);
        p.distance2[s] = first ? d2 : std::min(p.distance2[s], d2);
      }
    });
  };
  add_centroid(rng.uniform_int(p.n));
  for (int chosen = 1; chosen < p.k; ++chosen) {
    for_each_block(p.blocks, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double sum = 0;
      for (std::size_t s = begin; s < end; ++s) sum += p.distance2[s];
      p.block_scalar[b] = sum;
    });
    double total = 0;
    for (std::size_t b = 0; b < p.blocks.count; ++b) total += p.block_scalar[b];
    ANNEAL_CHECK(total > 0, "k-means: the samples have only {} distinct points, fewer than k = {}", chosen, p.k);
    const double target = rng.uniform() * total;
    std::size_t pick = p.n;
    double below = 0;  // D² mass before the current block / sample
    for (std::size_t b = 0; b < p.blocks.count && pick == p.n; ++b) {
      if (below + p.block_scalar[b] <= target) {
        below += p.block_scalar[b];
        continue;
      }
      for (std::size_t s = p.blocks.begin(b); s < p.blocks.end(b); ++s) {
        below += p.distance2[s];
        if (p.distance2[s] > 0 && below > target) {
          pick = s;
          break;
        }
      }
    }
    // Rounding can leave the target just past the last sample: take the last one with D² > 0.
    for (std::size_t s = p.n; pick == p.n && s-- > 0;)
      if (p.distance2[s] > 0) pick = s;
    add_centroid(pick);
  }
  return centroids;
}

// A cluster left empty takes over the sample farthest from its own centroid (largest D², then the
// lowest index), never the last member of a cluster, which would only move the hole.
bool reseed_empty_clusters(Problem& p, Totals& totals, std::vector<int>& labels) {
  std::vector<std::size_t> empty;
  for (std::size_t c = 0; c < totals.counts.size(); ++c)
    if (totals.counts[c] == 0) empty.push_back(c);
  if (empty.empty()) return false;
  // Each cluster can refuse at most one candidate (its last member), so k extra candidates suffice.
  const std::size_t wanted = std::min(p.n, empty.size() + static_cast<std::size_t>(p.k));
  std::vector<std::size_t> order(p.n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(wanted), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      return p.distance2[a] != p.distance2[b] ? p.distance2[a] > p.distance2[b] : a < b;
                    });
  const std::size_t d = p.dimensions;
  std::size_t next = 0;
  for (const std::size_t c : empty) {
    while (next < wanted && totals.counts[static_cast<std::size_t>(labels[order[next]])] < 2) ++next;
    if (next == wanted) break;  // leaves the centroid where it was; the next assignment retries
    const std::size_t s = order[next++];
    const auto from = static_cast<std::size_t>(labels[s]);
    for (std::size_t j = 0; j < d; ++j) {
      totals.sums[from * d + j] -= p.sample(s)[j];
      totals.sums[c * d + j] = p.sample(s)[j];
    }
    --totals.counts[from];
    totals.counts[c] = 1;
    labels[s] = static_cast<int>(c);
  }
  return true;
}

// New centroids (the cluster means); returns the summed squared shift.
double update_centroids(const Problem& p, const Totals& totals, std::vector<double>& centroids) {
  const std::size_t d = p.dimensions;
  double shift = 0;
  for (std::size_t c = 0; c < static_cast<std::size_t>(p.k); ++c) {
    if (totals.counts[c] == 0) continue;
    for (std::size_t j = 0; j < d; ++j) {
      const double mean = totals.sums[c * d + j] / static_cast<double>(totals.counts[c]);
      const double t = mean - centroids[c * d + j];
      shift += t * t;
      centroids[c * d + j] = mean;
    }
  }
  return shift;
}

// The mean per-feature variance, the scale of the shift tolerance.
double mean_variance(Problem& p) {
  const std::size_t d = p.dimensions;
  std::vector<double> mean(d, 0.0), partial(p.blocks.count * d, 0.0);
  const auto reduce = [&](auto&& term) {
    for_each_block(p.blocks, [&](std::size_t b, std::size_t begin, std::size_t end) {
      double* out = partial.data() + b * d;
      std::fill(out, out + d, 0.0);
      for (std::size_t s = begin; s < end; ++s)
        for (std::size_t j = 0; j < d; ++j) out[j] += term(p.sample(s)[j], j);
    });
    std::vector<double> total(d, 0.0);
    for (std::size_t b = 0; b < p.blocks.count; ++b)
      for (std::size_t j = 0; j < d; ++j) total[j] += partial[b * d + j];
    return total;
  };
  const double n = static_cast<double>(p.n);
  mean = reduce([](double v, std::size_t) { return v; });
  for (double& m : mean) m /= n;
  const auto squares = reduce([&](double v, std::size_t j) { return (v - mean[j]) * (v - mean[j]); });
  return std::accumulate(squares.begin(), squares.end(), 0.0) / (n * static_cast<double>(d));
}

KMeansResult lloyd(Problem& p, const KMeansOptions& options, int restart, double shift_tolerance) {
  KMeansResult run;
  run.dimensions = p.dimensions;
  run.restart = restart;
  if (options.initial_centroids.empty()) {
    RandomStream rng(options.seed, static_cast<std::uint64_t>(restart));
    run.centroids = seed_plus_plus(p, rng);
  } else {
    run.centroids = options.initial_centroids;
  }
  run.labels.assign(p.n, -1);
  Totals totals = assign(p, run.centroids, run.labels);
  for (int iteration = 1; iteration <= options.max_iterations; ++iteration) {
    const bool reseeded = reseed_empty_clusters(p, totals, run.labels);
    const double shift = update_centroids(p, totals, run.centroids);
    totals = assign(p, run.centroids, run.labels);
    run.iterations = iteration;
    if (!reseeded && (totals.changed == 0 || shift <= shift_tolerance)) {
      run.converged = true;
      break;
    }
  }
  run.inertia = totals.inertia;
  return run;
}

// Relabels the clusters in ascending lexicographic order of their centroids.
void order_clusters(KMeansResult& result) {
  const std::size_t d = result.dimensions, k = result.centroids.size() / d;
  std::vector<std::size_t> order(k);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto c = [&](std::size_t i) { return result.centroids.begin() + static_cast<std::ptrdiff_t>(i * d); };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(c(a), c(a) + static_cast<std::ptrdiff_t>(d), c(b),
                                        c(b) + static_cast<std::ptrdiff_t>(d));
  });
  std::vector<double> centroids;
  centroids.reserve(result.centroids.size());
  std::vector<int> new_label(k);
  for (std::size_t r = 0; r < k; ++r) {
    centroids.insert(centroids.end(), c(order[r]), c(order[r]) + static_cast<std::ptrdiff_t>(d));
    new_label[order[r]] = static_cast<int>(r);
  }
  result.centroids = std::move(centroids);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, result.labels.size(), 1 << 14),
                    [&](const tbb::blocked_range<std::size_t>& r) {
                      for (std::size_t i = r.begin(); i != r.end(); ++i)
                        result.labels[i] = new_label[static_cast<std::size_t>(result.labels[i])];
                    });
}

}  // namespace

KMeansResult kmeans(std::span<const double> samples, std::size_t dimensions, const KMeansOptions& options) {
  check_samples(samples, dimensions, options.k, "k-means");
  ANNEAL_CHECK(options.restarts >= 1, "k-means: restarts must be at least 1, got {}", options.restarts);
  ANNEAL_CHECK(options.max_iterations >= 1, "k-means: max_iterations must be at least 1, got {}",
               options.max_iterations);
  ANNEAL_CHECK(options.tolerance >= 0, "k-means: tolerance must be non-negative, got {}", options.tolerance);
  const bool warm_start = !options.initial_centroids.empty();
  if (warm_start) {
    ANNEAL_CHECK(options.initial_centroids.size() == static_cast<std::size_t>(options.k) * dimensions,
                 "k-means: {} initial centroid values for k = {} centroids of {} features",
                 options.initial_centroids.size(), options.k, dimensions);
    for (const double c : options.initial_centroids)
      ANNEAL_CHECK(std::isfinite(c), "k-means: an initial centroid has a non-finite value ({})", c);
  }
  Problem p;
  p.x = samples;
  p.dimensions = dimensions;
  p.n = samples.size() / dimensions;
  p.k = options.k;
  p.blocks = make_blocks(p.n);
  p.block_sums.resize(p.blocks.count * p.kd());
  p.block_counts.resize(p.blocks.count * static_cast<std::size_t>(p.k));
  p.block_scalar.resize(p.blocks.count);
  p.block_changed.resize(p.blocks.count);
  p.distance2.resize(p.n);
  const double shift_tolerance = options.tolerance * mean_variance(p);
  if (warm_start) {  // Lloyd needs k distinct samples; a k-means++ pass finds out (or throws)
    RandomStream probe(options.seed, 0);
    seed_plus_plus(p, probe);
  }

  KMeansResult best;
  for (int restart = 0; restart < (warm_start ? 1 : options.restarts); ++restart) {
    KMeansResult run = lloyd(p, options, restart, shift_tolerance);
    if (restart == 0 || run.inertia < best.inertia) best = std::move(run);
  }
  order_clusters(best);
  return best;
}

namespace {

// Prefix sums over the sorted distinct values (with multiplicities), shifted by a central value so
// that the within-cluster sum of squares S2 − S1²/W does not cancel catastrophically.
struct PrefixSums {
  std::vector<double> weight, sum, square;  // [m + 1]

  // Sum of squared deviations of distinct values [begin, end) from their mean.
  double cost(std::size_t begin, std::size_t end) const {
    const double w = weight[end] - weight[begin], s = sum[end] - sum[begin];
    return std::max(0.0, (square[end] - square[begin]) - s * s / w);
  }
};

// One layer of the DP: best[i] = min over j of previous[j] + cost(j, i), the optimum for the
// first i distinct values in one more cluster, with the split j (the last cluster's first value).
// The leftmost optimal split is non-decreasing in i (the cost obeys the quadrangle inequality), so
// solving the middle i first bounds the search on either side: O(m log m) per layer.
struct Layer {
  const PrefixSums& prefix;
  const std::vector<double>& previous;
  std::vector<double>& best;
  std::uint32_t* split;

  void solve(std::size_t i_begin, std::size_t i_end, std::size_t j_lo, std::size_t j_hi) const {
    if (i_begin >= i_end) return;
    const std::size_t i = i_begin + (i_end - i_begin) / 2;
    double best_value = std::numeric_limits<double>::infinity();
    std::size_t best_j = j_lo;
    for (std::size_t j = j_lo; j <= std::min(j_hi, i - 1); ++j) {
      const double value = previous[j] + prefix.cost(j, i);
      if (value < best_value) {
        best_value = value;
        best_j = j;
      }
    }
    best[i] = best_value;
    split[i] = static_cast<std::uint32_t>(best_j);
    // The halves are independent and each is computed the same way in any schedule.
    constexpr std::size_t kSerialBelow = 1 << 12;
    if (i_end - i_begin < kSerialBelow) {
      solve(i_begin, i, j_lo, best_j);
      solve(i + 1, i_end, best_j, j_hi);
    } else {
      tbb::parallel_invoke([&] { solve(i_begin, i, j_lo, best_j); }, [&] { solve(i + 1, i_end, best_j, j_hi); });
    }
  }
};

}  // namespace

KMeansResult kmeans_1d_exact(std::span<const double> values, int k) {
  check_samples(values, 1, k, "exact 1-D k-means");
  std::vector<double> sorted(values.begin(), values.end());
  tbb::parallel_sort(sorted.begin(), sorted.end());
  std::vector<double> distinct;
  std::vector<double> multiplicity;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i == 0 || sorted[i] != sorted[i - 1]) {
      distinct.push_back(sorted[i]);
      multiplicity.push_back(0);
    }
    multiplicity.back() += 1;
  }
  sorted = {};
  const std::size_t m = distinct.size(), kk = static_cast<std::size_t>(k);
  ANNEAL_CHECK(m >= kk, "exact 1-D k-means: the values have only {} distinct points, fewer than k = {}", m, k);
  ANNEAL_CHECK(m < std::numeric_limits<std::uint32_t>::max(), "exact 1-D k-means: too many distinct values ({})", m);

  PrefixSums prefix{std::vector<double>(m + 1, 0.0), std::vector<double>(m + 1, 0.0), std::vector<double>(m + 1, 0.0)};
  const double centre = distinct[m / 2];
  for (std::size_t i = 0; i < m; ++i) {
    const double v = distinct[i] - centre, w = multiplicity[i];
    prefix.weight[i + 1] = prefix.weight[i] + w;
    prefix.sum[i + 1] = prefix.sum[i] + w * v;
    prefix.square[i + 1] = prefix.square[i] + w * v * v;
  }

  // previous[i]: the optimum for the first i distinct values in q clusters (infinite if i < q).
  std::vector<double> previous(m + 1, std::numeric_limits<double>::infinity()), current(m + 1);
  for (std::size_t i = 1; i <= m; ++i) previous[i] = prefix.cost(0, i);
  std::vector<std::uint32_t> splits((kk - 1) * (m + 1), 0);  // [q − 1][i] for q + 1 clusters
  for (std::size_t q = 1; q < kk; ++q) {
    std::fill(current.begin(), current.end(), std::numeric_limits<double>::infinity());
    const Layer layer{prefix, previous, current, splits.data() + (q - 1) * (m + 1)};
    // The last layer needs the whole range only: one value of i.
    const std::size_t i_begin = q == kk - 1 ? m : q + 1;
    layer.solve(i_begin, m + 1, q, m - 1);
    std::swap(previous, current);
  }

  // Walk the splits back: cluster q covers distinct values [first[q], first[q + 1]).
  std::vector<std::size_t> first(kk + 1, 0);
  first[kk] = m;
  for (std::size_t q = kk - 1; q >= 1; --q) first[q] = splits[(q - 1) * (m + 1) + first[q + 1]];

  KMeansResult result;
  result.dimensions = 1;
  result.converged = true;
  result.centroids.resize(kk);
  std::vector<double> lower_bounds;  // the smallest value of clusters 1 .. k − 1
  for (std::size_t q = 0; q < kk; ++q) {
    double weight = 0, sum = 0;
    for (std::size_t i = first[q]; i < first[q + 1]; ++i) {
      weight += multiplicity[i];
      sum += multiplicity[i] * distinct[i];
    }
    const double mean = sum / weight;
    result.centroids[q] = mean;
    for (std::size_t i = first[q]; i < first[q + 1]; ++i)
      result.inertia += multiplicity[i] * (distinct[i] - mean) * (distinct[i] - mean);
    if (q > 0) lower_bounds.push_back(distinct[first[q]]);
  }
  result.labels.resize(values.size());
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, values.size(), 1 << 14), [&](const tbb::blocked_range<std::size_t>& r) {
        for (std::size_t i = r.begin(); i != r.end(); ++i)
          result.labels[i] = static_cast<int>(std::upper_bound(lower_bounds.begin(), lower_bounds.end(), values[i]) -
                                              lower_bounds.begin());
      });
  return result;
}

std::vector<double> midpoint_thresholds(const KMeansResult& result) {
  ANNEAL_CHECK(result.dimensions == 1, "midpoint thresholds need a 1-D clustering, this one has {} features",
               result.dimensions);
  std::vector<double> thresholds;
  for (std::size_t c = 1; c < result.centroids.size(); ++c)
    thresholds.push_back(0.5 * (result.centroids[c - 1] + result.centroids[c]));
  return thresholds;
}

}  // namespace anneal::solvers
