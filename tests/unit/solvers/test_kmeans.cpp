// k-means against answers found independently: brute-force enumeration of partitions (the exact
// 1-D optimum), the generating labels of well-separated blobs (Lloyd), the exact optimum as a lower
// bound of Lloyd, and bit-identical results for 1 and 2 threads.
#include <tbb/global_control.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "solvers/clustering/kmeans.hpp"

using namespace anneal::solvers;
using anneal::RandomStream;

namespace {

// Within-cluster sum of squares of a labelling, each cluster about its own mean.
double labelling_cost(const std::vector<double>& samples, std::size_t dimensions, const std::vector<int>& labels,
                      int k) {
  const auto d = dimensions;
  std::vector<double> sum(static_cast<std::size_t>(k) * d, 0.0);
  std::vector<double> count(static_cast<std::size_t>(k), 0.0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto c = static_cast<std::size_t>(labels[i]);
    count[c] += 1;
    for (std::size_t j = 0; j < d; ++j) sum[c * d + j] += samples[i * d + j];
  }
  double cost = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto c = static_cast<std::size_t>(labels[i]);
    for (std::size_t j = 0; j < d; ++j) {
      const double t = samples[i * d + j] - sum[c * d + j] / count[c];
      cost += t * t;
    }
  }
  return cost;
}

// The best split of sorted values into k non-empty contiguous runs, by trying every set of cuts.
double best_contiguous_partition(std::vector<double> values, int k) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const auto run_cost = [&](std::size_t begin, std::size_t end) {
    double mean = 0;
    for (std::size_t i = begin; i < end; ++i) mean += values[i];
    mean /= static_cast<double>(end - begin);
    double cost = 0;
    for (std::size_t i = begin; i < end; ++i) cost += (values[i] - mean) * (values[i] - mean);
    return cost;
  };
  std::function<double(std::size_t, int)> best = [&](std::size_t begin, int clusters) {
    if (clusters == 1) return run_cost(begin, n);
    double lowest = std::numeric_limits<double>::infinity();
    for (std::size_t cut = begin + 1; cut + static_cast<std::size_t>(clusters - 1) <= n; ++cut)
      lowest = std::min(lowest, run_cost(begin, cut) + best(cut, clusters - 1));
    return lowest;
  };
  return best(0, k);
}

// The best of all k^n labellings with no cluster empty: assumes nothing about the optimum's shape.
double best_labelling(const std::vector<double>& values, int k) {
  const std::size_t n = values.size();
  std::vector<int> labels(n, 0);
  double lowest = std::numeric_limits<double>::infinity();
  for (;;) {
    std::vector<bool> used(static_cast<std::size_t>(k), false);
    for (const int l : labels) used[static_cast<std::size_t>(l)] = true;
    if (std::all_of(used.begin(), used.end(), [](bool u) { return u; }))
      lowest = std::min(lowest, labelling_cost(values, 1, labels, k));
    std::size_t digit = 0;
    while (digit < n && ++labels[digit] == k) labels[digit++] = 0;
    if (digit == n) return lowest;
  }
}

std::vector<double> uniform_values(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  RandomStream rng(seed, stream);
  std::vector<double> values(n);
  for (double& v : values) v = rng.uniform();
  return values;
}

// 1-D samples around `centres`, `width` wide, sample i from cluster i mod centres.size().
std::vector<double> separated_1d(std::size_t n, const std::vector<double>& centres, double width) {
  RandomStream rng(5, 0);
  std::vector<double> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = centres[i % centres.size()] + width * (rng.uniform() - 0.5);
  return values;
}

}  // namespace

TEST_CASE("exact 1-D k-means equals brute-force enumeration of partitions", "[kmeans]") {
  for (std::uint64_t trial = 0; trial < 45; ++trial) {
    const std::size_t n = 4 + trial % 9;  // 4 .. 12
    const int k = 2 + static_cast<int>(trial % 3);
    std::vector<double> values = uniform_values(n, 17, trial);
    if (trial % 5 == 0)  // repeated values: they must share a cluster and still give the optimum
      for (double& v : values) v = std::round(v * 4) / 4;
    std::vector<double> distinct = values;
    std::sort(distinct.begin(), distinct.end());
    if (std::unique(distinct.begin(), distinct.end()) - distinct.begin() < k) continue;
    CAPTURE(trial, n, k);

    const KMeansResult exact = kmeans_1d_exact(values, k);
    const double brute = best_contiguous_partition(values, k);
    CHECK(exact.inertia == Approx(brute).margin(1e-13));
    REQUIRE(exact.labels.size() == n);
    REQUIRE(exact.centroids.size() == static_cast<std::size_t>(k));
    CHECK(labelling_cost(values, 1, exact.labels, k) == Approx(brute).margin(1e-13));
    CHECK(std::is_sorted(exact.centroids.begin(), exact.centroids.end()));
    for (std::size_t i = 0; i < n; ++i)  // equal values, equal labels
      for (std::size_t j = 0; j < n; ++j)
        if (values[i] == values[j]) CHECK(exact.labels[i] == exact.labels[j]);
    // Optimal 1-D clusters are contiguous: the unrestricted search agrees.
    if (n <= 7) CHECK(best_labelling(values, k) == Approx(brute).margin(1e-13));
  }
}

TEST_CASE("Lloyd recovers four well-separated 2-D Gaussian blobs", "[kmeans]") {
  // Distinct first coordinates, so the ordering rule numbers the blobs as listed.
  const std::vector<std::array<double, 2>> centres{{-6, 0}, {-2, 5}, {2, -5}, {6, 1}};
  const double sigma = 0.5;
  const std::size_t n = 2000;
  std::vector<double> samples(2 * n);
  std::vector<int> truth(n);
  for (std::size_t i = 0; i < n; ++i) {
    RandomStream rng(11, i);
    const auto [a, b] = rng.normal_pair();
    truth[i] = static_cast<int>(i % 4);
    samples[2 * i] = centres[i % 4][0] + sigma * a;
    samples[2 * i + 1] = centres[i % 4][1] + sigma * b;
  }
  const KMeansResult result = kmeans(samples, 2, {.k = 4, .seed = 3});
  CHECK(result.converged);
  CHECK(result.dimensions == 2);
  CHECK(result.k() == 4);
  CHECK(result.labels == truth);
  for (std::size_t c = 0; c < 4; ++c) {
    CHECK(std::abs(result.centroids[2 * c] - centres[c][0]) < 0.1);
    CHECK(std::abs(result.centroids[2 * c + 1] - centres[c][1]) < 0.1);
  }
  CHECK(result.inertia == Approx(labelling_cost(samples, 2, truth, 4)).epsilon(1e-12));
}

TEST_CASE("Lloyd on 1-D data: never below the exact optimum, equal to it when separated", "[kmeans]") {
  const std::vector<double> values = uniform_values(3000, 23, 0);
  for (int k = 2; k <= 6; ++k) {
    CAPTURE(k);
    const KMeansResult exact = kmeans_1d_exact(values, k);
    const KMeansResult lloyd = kmeans(values, 1, {.k = k, .seed = 9});
    CHECK(lloyd.inertia >= exact.inertia * (1 - 1e-12));
    CHECK(lloyd.inertia == Approx(labelling_cost(values, 1, lloyd.labels, k)).epsilon(1e-9));
  }
  const std::vector<double> separated = separated_1d(4000, {0.0, 1.0, 3.0, 7.0}, 0.1);
  const KMeansResult exact = kmeans_1d_exact(separated, 4);
  const KMeansResult lloyd = kmeans(separated, 1, {.k = 4, .seed = 1});
  CHECK(lloyd.inertia == Approx(exact.inertia).epsilon(1e-10));
  CHECK(lloyd.labels == exact.labels);
  for (std::size_t c = 0; c < 4; ++c) CHECK(lloyd.centroids[c] == Approx(exact.centroids[c]).epsilon(1e-12));
  for (std::size_t i = 0; i < separated.size(); ++i) CHECK(exact.labels[i] == static_cast<int>(i % 4));
  CHECK(midpoint_thresholds(exact) == std::vector<double>{0.5 * (exact.centroids[0] + exact.centroids[1]),
                                                          0.5 * (exact.centroids[1] + exact.centroids[2]),
                                                          0.5 * (exact.centroids[2] + exact.centroids[3])});
}

TEST_CASE("k-means gives the same bits with 1 and 2 threads", "[kmeans]") {
  // Many blocks of samples, so that the partial sums really are spread over the threads.
  const std::size_t n = 60000;
  std::vector<double> samples(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    RandomStream rng(31, i);
    samples[2 * i] = rng.normal() + 3.0 * static_cast<double>(i % 3);
    samples[2 * i + 1] = rng.uniform();
  }
  const std::vector<double> values = uniform_values(100000, 37, 0);
  const auto run = [&](int threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads));
    return std::pair{kmeans(samples, 2, {.k = 5, .seed = 4}), kmeans_1d_exact(values, 5)};
  };
  const auto [lloyd1, exact1] = run(1);
  const auto [lloyd2, exact2] = run(2);
  CHECK(lloyd1.centroids == lloyd2.centroids);
  CHECK(lloyd1.labels == lloyd2.labels);
  CHECK(lloyd1.inertia == lloyd2.inertia);
  CHECK(lloyd1.iterations == lloyd2.iterations);
  CHECK(lloyd1.restart == lloyd2.restart);
  CHECK(exact1.centroids == exact2.centroids);
  CHECK(exact1.labels == exact2.labels);
  CHECK(exact1.inertia == exact2.inertia);
}

TEST_CASE("k-means orders clusters by the first feature and labels each sample by its nearest centroid", "[kmeans]") {
  const std::size_t n = 1500, d = 3;
  std::vector<double> samples(n * d);
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = RandomStream(41, i).normal();
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    CAPTURE(seed);
    const KMeansResult r = kmeans(samples, d, {.k = 5, .seed = seed});
    REQUIRE(r.centroids.size() == 5 * d);
    for (std::size_t c = 1; c < 5; ++c) CHECK(r.centroids[(c - 1) * d] < r.centroids[c * d]);
    REQUIRE(r.converged);
    std::vector<double> mean(5 * d, 0.0), count(5, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      double assigned = 0, nearest = std::numeric_limits<double>::infinity();
      for (std::size_t c = 0; c < 5; ++c) {
        double d2 = 0;
        for (std::size_t j = 0; j < d; ++j) d2 += std::pow(samples[i * d + j] - r.centroids[c * d + j], 2);
        nearest = std::min(nearest, d2);
        if (static_cast<int>(c) == r.labels[i]) assigned = d2;
      }
      CHECK(assigned == nearest);
      count[static_cast<std::size_t>(r.labels[i])] += 1;
      for (std::size_t j = 0; j < d; ++j) mean[static_cast<std::size_t>(r.labels[i]) * d + j] += samples[i * d + j];
    }
    // At convergence the centroids are the means of their clusters.
    for (std::size_t e = 0; e < mean.size(); ++e) CHECK(r.centroids[e] == Approx(mean[e] / count[e / d]).margin(1e-12));
    const KMeansResult again = kmeans(samples, d, {.k = 5, .seed = seed});
    CHECK(again.centroids == r.centroids);
  }
}

TEST_CASE("k-means rejects bad input with a clear error", "[kmeans]") {
  using Catch::Contains;
  const std::vector<double> values{0.1, 0.4, 0.4, 0.9};
  CHECK_THROWS_WITH(kmeans(values, 1, {.k = 0}), Contains("k must be at least 1"));
  CHECK_THROWS_WITH(kmeans_1d_exact(values, 0), Contains("k must be at least 1"));
  CHECK_THROWS_WITH(kmeans(values, 1, {.k = 5}), Contains("4 samples cannot form k = 5"));
  CHECK_THROWS_WITH(kmeans_1d_exact(values, 5), Contains("4 samples cannot form k = 5"));
  CHECK_THROWS_WITH(kmeans(values, 1, {.k = 4}), Contains("distinct"));
  CHECK_THROWS_WITH(kmeans_1d_exact(values, 4), Contains("only 3 distinct"));
  CHECK_THROWS_WITH(kmeans(values, 0, {.k = 2}), Contains("dimensions"));
  CHECK_THROWS_WITH(kmeans(values, 3, {.k = 1}), Contains("not a whole number of 3-D samples"));
  CHECK_THROWS_WITH(kmeans(values, 1, {.k = 2, .restarts = 0}), Contains("restarts"));
  for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    std::vector<double> broken = values;
    broken[2] = bad;
    CHECK_THROWS_WITH(kmeans(broken, 2, {.k = 1}), Contains("sample 1") && Contains("non-finite"));
    CHECK_THROWS_AS(kmeans_1d_exact(broken, 2), anneal::Error);
  }
  // k = 1 and k = n are legal edge cases.
  CHECK(kmeans_1d_exact(values, 1).inertia == Approx(labelling_cost(values, 1, {0, 0, 0, 0}, 1)));
  CHECK(kmeans_1d_exact(values, 3).inertia == 0.0);
  CHECK(kmeans(values, 1, {.k = 3}).inertia == 0.0);
}

TEST_CASE("Lloyd from a warm start re-seeds the clusters it leaves empty", "[kmeans]") {
  // Four blobs, and three of the four starting centroids far from all of them: the first
  // assignment leaves those three empty, and each takes over one of the samples farthest from its
  // centroid.
  const std::vector<std::array<double, 2>> centres{{0, 0}, {10, 0}, {0, 10}, {10, 10}};
  std::vector<double> samples;
  for (std::size_t i = 0; i < 400; ++i) {
    const auto [a, b] = RandomStream(13, i).normal_pair();
    samples.push_back(centres[i % 4][0] + 0.5 * a);
    samples.push_back(centres[i % 4][1] + 0.5 * b);
  }
  KMeansOptions options{.k = 4};
  options.initial_centroids = {1, 1, 500, 500, 501, 500, 500, 501};
  const KMeansResult r = kmeans(samples, 2, options);
  CHECK(r.converged);
  CHECK(r.iterations > 1);
  std::vector<std::size_t> sizes(4, 0);
  for (const int l : r.labels) ++sizes[static_cast<std::size_t>(l)];
  for (const std::size_t size : sizes) CHECK(size > 0);
  // A fixed point of Lloyd's algorithm all the same: nearest-centroid labels, centroids the means.
  for (std::size_t i = 0; i < 400; ++i) {
    std::vector<double> d2(4);
    for (std::size_t c = 0; c < 4; ++c)
      d2[c] =
          std::pow(samples[2 * i] - r.centroids[2 * c], 2) + std::pow(samples[2 * i + 1] - r.centroids[2 * c + 1], 2);
    CHECK(d2[static_cast<std::size_t>(r.labels[i])] == *std::min_element(d2.begin(), d2.end()));
  }
  CHECK(r.inertia == Approx(labelling_cost(samples, 2, r.labels, 4)).epsilon(1e-12));
  CHECK(kmeans(samples, 2, options).labels == r.labels);

  options.initial_centroids.pop_back();
  CHECK_THROWS_WITH(kmeans(samples, 2, options), Catch::Contains("7 initial centroid values for k = 4"));
  options.initial_centroids = {0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<double> three_points{0, 0, 1, 1, 2, 2, 2, 2};
  CHECK_THROWS_WITH(kmeans(three_points, 2, options), Catch::Contains("distinct"));
}
