#pragma once
// Block partition of n items over ranks: rank r owns [begin, end), the first n % ranks ranks one
// item more. The same rule everywhere keeps slabs, seeds and files consistent across modules.
#include <cstddef>
#include <utility>

namespace anneal {

struct BlockRange {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
};

inline BlockRange block_range(std::size_t n, int ranks, int rank) {
  const auto p = static_cast<std::size_t>(ranks), r = static_cast<std::size_t>(rank);
  const std::size_t base = n / p, extra = n % p;
  const std::size_t begin = r * base + (r < extra ? r : extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

}  // namespace anneal
