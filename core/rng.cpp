#include "core/rng.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace anneal {

std::pair<double, double> RandomStream::normal_pair() noexcept {
  // u1 in (0, 1]: log never sees 0, so the result is always finite (|z| <= ~8.6).
  const double u1 = static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53;
  const double u2 = uniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

std::uint64_t RandomStream::uniform_int(std::uint64_t n) {
  ANNEAL_CHECK(n > 0, "uniform_int(n) needs n > 0 (the range [0, n) is empty)");
  if (n <= std::numeric_limits<std::uint32_t>::max()) {
    // Lemire, "Fast random integer generation in an interval" (2019): the high word of x * n,
    // rejecting the 2^32 mod n low words that would bias it. Usually no division at all.
    const auto n32 = static_cast<std::uint32_t>(n);
    std::uint64_t product = std::uint64_t{next_u32()} * n32;
    auto low = static_cast<std::uint32_t>(product);
    if (low < n32) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-n32) % n32;
      while (low < threshold) {
        product = std::uint64_t{next_u32()} * n32;
        low = static_cast<std::uint32_t>(product);
      }
    }
    return product >> 32;
  }
  // Standard C++ has no 64x64->128 multiply; reject the lowest 2^64 mod n values instead.
  const std::uint64_t threshold = (0 - n) % n;
  for (;;) {
    const std::uint64_t x = next_u64();
    if (x >= threshold) return x % n;
  }
}

}  // namespace anneal
