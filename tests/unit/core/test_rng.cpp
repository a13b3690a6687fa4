#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

using anneal::Philox4x32;
using anneal::RandomStream;

namespace {

struct Kat {
  Philox4x32::Counter counter;
  Philox4x32::Key key;
  Philox4x32::Counter expected;
};

// Random123 tests/kat_vectors, the three "philox4x32 10" rows (counter[4] key[2] -> result[4]).
constexpr std::array<Kat, 3> kKats = {{
    {{0x00000000, 0x00000000, 0x00000000, 0x00000000},
     {0x00000000, 0x00000000},
     {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
}};

// A mix of every draw kind, so that stream-position bookkeeping is exercised across block edges.
std::vector<double> draw_mix(RandomStream& rng, int rounds) {
  std::vector<double> out;
  for (int i = 0; i < rounds; ++i) {
    out.push_back(static_cast<double>(rng.next_u32()));
    out.push_back(rng.uniform());
    out.push_back(rng.normal());
    out.push_back(static_cast<double>(rng.uniform_int(7)));
    out.push_back(static_cast<double>(rng.uniform_float()));
    out.push_back(static_cast<double>(rng.next_u64() >> 11));
  }
  return out;
}

}  // namespace

TEST_CASE("Philox4x32-10 matches Random123's known-answer vectors", "[rng]") {
  for (const Kat& kat : kKats) CHECK(Philox4x32::block(kat.counter, kat.key) == kat.expected);
  // Usable at compile time, e.g. for tables.
  static_assert(Philox4x32::block({0, 0, 0, 0}, {0, 0})[0] == 0x6627e8d5u);
}

TEST_CASE("RandomStream(seed 0, stream 0) starts with the all-zero KAT block", "[rng]") {
  RandomStream rng(0, 0);
  for (std::uint32_t word : kKats[0].expected) CHECK(rng.next_u32() == word);
}

TEST_CASE("RandomStream puts the seed in the key and the stream in the counter", "[rng]") {
  // Both 64-bit halves of seed and stream must reach the cipher (a 32-bit truncation would pass
  // a test with small values).
  const std::uint64_t seed = 0x299f31d0a4093822ULL;
  const std::uint64_t stream = 0x0370734413198a2eULL;
  const std::uint64_t block_index = 0x0000000512345678ULL;
  RandomStream rng(seed, stream);
  rng.skip(4 * block_index);
  const Philox4x32::Counter expected =
      Philox4x32::block({0x12345678, 0x00000005, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0});
  for (std::uint32_t word : expected) CHECK(rng.next_u32() == word);
  // next_u64 puts the earlier word in the high half.
  RandomStream again(seed, stream);
  again.skip(4 * block_index);
  CHECK(again.next_u64() == ((std::uint64_t{expected[0]} << 32) | expected[1]));
}

TEST_CASE("RandomStream restored from its State continues the identical sequence", "[rng]") {
  RandomStream rng(12345, 678);
  draw_mix(rng, 3);
  rng.next_u32();  // leave the position mid-block
  const RandomStream::State saved = rng.state();
  CHECK(saved.counter % 4 != 0);
  const std::vector<double> expected = draw_mix(rng, 50);

  // As a checkpoint would: the three integers only, into a fresh object.
  RandomStream restored(RandomStream::State{saved.seed, saved.stream, saved.counter});
  CHECK(restored.state() == saved);
  CHECK(draw_mix(restored, 50) == expected);
  CHECK(restored.state() == rng.state());
}

TEST_CASE("RandomStream::skip(n) equals drawing n words", "[rng]") {
  for (std::uint64_t n : {0u, 1u, 3u, 4u, 5u, 1001u}) {
    RandomStream drawn(7, 9);
    RandomStream skipped(7, 9);
    for (std::uint64_t i = 0; i < n; ++i) drawn.next_u32();
    skipped.skip(n);
    CHECK(skipped.state() == drawn.state());
    CHECK(draw_mix(skipped, 4) == draw_mix(drawn, 4));
  }
}

TEST_CASE("an item's stream does not depend on the rank or order that generates it", "[rng]") {
  constexpr std::uint64_t seed = 2024;
  constexpr std::uint64_t n_items = 40;
  constexpr int per_item = 7;

  // One rank, items in order.
  std::vector<std::vector<double>> serial(n_items);
  for (std::uint64_t item = 0; item < n_items; ++item) {
    RandomStream rng(seed, item);
    serial[item] = draw_mix(rng, per_item);
  }

  // Three "ranks" with contiguous blocks of items (the last one larger), each rank walking its
  // items backwards and interleaving draws between them to rule out shared hidden state.
  constexpr std::uint64_t n_ranks = 3;
  std::map<std::uint64_t, std::vector<double>> gathered;
  for (std::uint64_t rank = n_ranks; rank-- > 0;) {
    const std::uint64_t begin = rank * (n_items / n_ranks);
    const std::uint64_t end = rank + 1 == n_ranks ? n_items : begin + n_items / n_ranks;
    std::vector<RandomStream> owned;
    for (std::uint64_t item = end; item-- > begin;) owned.emplace_back(seed, item);
    for (int round = 0; round < per_item; ++round)
      for (RandomStream& rng : owned) {
        auto& out = gathered[rng.stream()];
        const std::vector<double> one = draw_mix(rng, 1);
        out.insert(out.end(), one.begin(), one.end());
      }
  }
  REQUIRE(gathered.size() == n_items);
  for (std::uint64_t item = 0; item < n_items; ++item) CHECK(gathered[item] == serial[item]);

  // Round-robin ownership (item % ranks) in a shuffled order.
  std::vector<std::uint64_t> order(n_items);
  std::iota(order.begin(), order.end(), 0);
  RandomStream shuffler(1, 0);
  std::shuffle(order.begin(), order.end(), shuffler);
  for (std::uint64_t rank = 0; rank < n_ranks; ++rank)
    for (std::uint64_t item : order)
      if (item % n_ranks == rank) {
        RandomStream rng(seed, item);
        CHECK(draw_mix(rng, per_item) == serial[item]);
      }
}

TEST_CASE("different seeds and different streams give different numbers", "[rng]") {
  auto first_words = [](std::uint64_t seed, std::uint64_t stream) {
    RandomStream rng(seed, stream);
    std::array<std::uint64_t, 8> words{};
    for (auto& w : words) w = rng.next_u64();
    return words;
  };
  const auto base = first_words(1, 0);
  CHECK(first_words(2, 0) != base);
  CHECK(first_words(1ULL << 32, 0) != base);  // the seed's high word reaches the key
  CHECK(first_words(1, 1) != base);
  CHECK(first_words(1, 1ULL << 32) != base);  // the stream's high word reaches the counter
  CHECK(first_words(0, 1) != first_words(1, 0));
}

TEST_CASE("uniform() has the mean and variance of the unit uniform distribution", "[rng][statistics]") {
  // Bounds are 5 standard errors: a correct generator fails them with probability < 1e-6.
  constexpr int n = 1'000'000;
  RandomStream rng(42, 0);
  double sum = 0, sum_sq = 0, lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    sum += u;
    sum_sq += u * u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  const double mean = sum / n;
  const double var = sum_sq / n - mean * mean;
  CHECK(lo >= 0.0);
  CHECK(hi < 1.0);
  CHECK(std::abs(mean - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
  // Var of a squared deviation of U: 1/80 - 1/144.
  CHECK(std::abs(var - 1.0 / 12) < 5 * std::sqrt((1.0 / 80 - 1.0 / 144) / n));
}

TEST_CASE("uniform_float() stays in the unit interval with mean 1/2", "[rng][statistics]") {
  constexpr int n = 1'000'000;
  RandomStream rng(43, 0);
  double sum = 0;
  float lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const float u = rng.uniform_float();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  CHECK(lo >= 0.0f);
  CHECK(hi < 1.0f);
  CHECK(std::abs(sum / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
}

TEST_CASE("normal() has mean 0, variance 1, kurtosis 3", "[rng][statistics]") {
  constexpr int n = 1'000'000;
  RandomStream rng(44, 0);
  double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  int non_finite = 0;
  for (int i = 0; i < n; ++i) {
    const double z = rng.normal();
    non_finite += std::isfinite(z) ? 0 : 1;
    m1 += z;
    m2 += z * z;
    m3 += z * z * z;
    m4 += z * z * z * z;
  }
  CHECK(non_finite == 0);
  m1 /= n;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // Standard errors for N(0,1) samples: mean 1/sqrt(n), E[z^2] sqrt(2/n), E[z^3] sqrt(15/n),
  // kurtosis sqrt(24/n).
  CHECK(std::abs(m1) < 5 / std::sqrt(n));
  CHECK(std::abs(m2 - 1) < 5 * std::sqrt(2.0 / n));
  CHECK(std::abs(m3) < 5 * std::sqrt(15.0 / n));
  CHECK(std::abs(m4 / (m2 * m2) - 3) < 5 * std::sqrt(24.0 / n));
}

TEST_CASE("normal_pair() gives two uncorrelated standard normals", "[rng][statistics]") {
  constexpr int n = 500'000;
  RandomStream rng(45, 0);
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    const auto [x, y] = rng.normal_pair();
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  CHECK(std::abs(sxy / n) < 5 / std::sqrt(n));
  CHECK(std::abs(sxx / n - 1) < 5 * std::sqrt(2.0 / n));
  CHECK(std::abs(syy / n - 1) < 5 * std::sqrt(2.0 / n));
}

TEST_CASE("uniform_int(7) is uniform by a chi-square test", "[rng][statistics]") {
  constexpr int k = 7;
  constexpr int n = 700'000;
  RandomStream rng(46, 3);
  std::array<int, k + 1> counts{};  // the last bin catches out-of-range values
  for (int i = 0; i < n; ++i) ++counts[std::min<std::uint64_t>(rng.uniform_int(k), k)];
  REQUIRE(counts[k] == 0);
  double chi2 = 0;
  const double expected = static_cast<double>(n) / k;
  for (int bin = 0; bin < k; ++bin)
    chi2 += (counts[bin] - expected) * (counts[bin] - expected) / expected;
  // 6 degrees of freedom: P(chi2 > 40) ~ 3e-7; a modulo-biased or broken generator lands far above.
  CHECK(chi2 < 40.0);
}

TEST_CASE("uniform_int covers edge ranges and rejects an empty one", "[rng]") {
  RandomStream rng(47, 0);
  for (int i = 0; i < 100; ++i) CHECK(rng.uniform_int(1) == 0);

  // Above 2^32 the 64-bit path: draws from [0, 3 * 2^62) land in each third.
  const std::uint64_t big = 3ULL << 62;
  std::array<int, 3> thirds{};
  for (int i = 0; i < 3000; ++i) {
    const std::uint64_t v = rng.uniform_int(big);
    REQUIRE(v < big);
    ++thirds[v >> 62];
  }
  for (int c : thirds) CHECK(c > 800);

  CHECK_THROWS_AS(rng.uniform_int(0), anneal::Error);
}
