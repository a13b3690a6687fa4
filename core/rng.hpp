#pragma once
// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011; the Random123 library). A counter-based generator has no hidden
// sequential state: the numbers are a pure function of (key, counter). anneal uses the seed as the
// key and puts the item index (sample, particle, graph, ...) in the counter, so the numbers an item
// gets do not depend on which MPI rank or thread draws them, nor in which order.

#include <array>
#include <cstdint>
#include <limits>
#include <utility>

namespace anneal {

// The bare block cipher, bit-exact with Random123's philox4x32_R<10> (checked against its
// published known-answer vectors in tests/unit/core/test_rng.cpp).
struct Philox4x32 {
  using Counter = std::array<std::uint32_t, 4>;
  using Key = std::array<std::uint32_t, 2>;

  static constexpr int kRounds = 10;
  static constexpr std::uint32_t kMultiplier0 = 0xD2511F53u;
  static constexpr std::uint32_t kMultiplier1 = 0xCD9E8D57u;
  static constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;  // golden ratio
  static constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;  // sqrt(3) - 1

  static constexpr Counter block(Counter counter, Key key) noexcept {
    for (int round = 0; round < kRounds; ++round) {
      if (round > 0) {
        key[0] += kWeyl0;
        key[1] += kWeyl1;
      }
      const std::uint64_t product0 = std::uint64_t{kMultiplier0} * counter[0];
      const std::uint64_t product1 = std::uint64_t{kMultiplier1} * counter[2];
      const auto hi0 = static_cast<std::uint32_t>(product0 >> 32);
      const auto lo0 = static_cast<std::uint32_t>(product0);
      const auto hi1 = static_cast<std::uint32_t>(product1 >> 32);
      const auto lo1 = static_cast<std::uint32_t>(product1);
      counter = {hi1 ^ counter[1] ^ key[0], lo1, hi0 ^ counter[3] ^ key[1], lo0};
    }
    return counter;
  }
};

// One independent stream of random numbers per (seed, stream) pair, typically stream = the global
// index of the item being generated. Each rank/thread constructs the streams of the items it owns.
//
// Layout: key = seed (low word, high word); counter = (block index low, high, stream low, high).
// Position is counted in 32-bit words (2^64 per stream, i.e. block indices below 2^62), so State
// is three integers and saving/restoring a stream mid-block is exact. Draw sizes are fixed
// (next_u32: 1 word, next_u64/uniform: 2, normal: 4, uniform_int: 1 or 2 per attempt), which keeps
// the k-th draw of an item reproducible.
//
// Also a UniformRandomBitGenerator (64-bit), so it can drive std::shuffle and friends.
class RandomStream {
 public:
  // Everything needed to continue the stream bit-for-bit, e.g. from a checkpoint's /rng.
  struct State {
    std::uint64_t seed = 0;
    std::uint64_t stream = 0;
    std::uint64_t counter = 0;  // 32-bit words consumed so far
    bool operator==(const State&) const = default;
  };

  RandomStream(std::uint64_t seed, std::uint64_t stream) noexcept
      : RandomStream(State{seed, stream, 0}) {}
  explicit RandomStream(const State& state) noexcept
      : seed_(state.seed), stream_(state.stream), counter_(state.counter) {}

  State state() const noexcept { return {seed_, stream_, counter_}; }
  std::uint64_t seed() const noexcept { return seed_; }
  std::uint64_t stream() const noexcept { return stream_; }

  // Advance as if n 32-bit words had been drawn; O(1).
  void skip(std::uint64_t n_words) noexcept { counter_ += n_words; }

  std::uint32_t next_u32() noexcept {
    const std::uint64_t block_index = counter_ >> 2;
    if (!has_block_ || block_index != block_index_) refill(block_index);
    return block_[counter_++ & 3u];
  }

  std::uint64_t next_u64() noexcept {
    const std::uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }

  // [0, 1) on the grid k * 2^-53: every double there is reachable with equal probability.
  double uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // [0, 1) on the grid k * 2^-24 (a float's full mantissa; more bits could round up to 1.0f).
  float uniform_float() noexcept { return static_cast<float>(next_u32() >> 8) * 0x1.0p-24f; }

  // Standard normal by Box-Muller. Uses exactly one u64 pair per call and discards the second
  // variate rather than caching it, so State stays three integers; use normal_pair() for both.
  double normal() noexcept { return normal_pair().first; }

  std::pair<double, double> normal_pair() noexcept;

  // Unbiased integer in [0, n), n > 0. Lemire's multiply-shift with rejection for n < 2^32
  // (one word per attempt), the threshold rejection of arc4random_uniform above that.
  // Throws anneal::Error for n == 0.
  std::uint64_t uniform_int(std::uint64_t n);

  // UniformRandomBitGenerator.
  using result_type = std::uint64_t;
  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }
  result_type operator()() noexcept { return next_u64(); }

 private:
  void refill(std::uint64_t block_index) noexcept {
    block_ = Philox4x32::block(
        {static_cast<std::uint32_t>(block_index), static_cast<std::uint32_t>(block_index >> 32),
         static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)},
        {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)});
    block_index_ = block_index;
    has_block_ = true;
  }

  std::uint64_t seed_;
  std::uint64_t stream_;
  std::uint64_t counter_;
  // Cache of the current Philox block; derived from the three fields above, never saved.
  Philox4x32::Counter block_{};
  std::uint64_t block_index_ = 0;
  bool has_block_ = false;
};

}  // namespace anneal
