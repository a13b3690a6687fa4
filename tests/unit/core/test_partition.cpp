#include <catch2/catch.hpp>

#include <cstddef>
#include <vector>

#include "core/partition.hpp"

using anneal::block_range;

namespace {
struct Expected {
  std::size_t begin, end;
};

void check_table(std::size_t n, int ranks, const std::vector<Expected>& expected) {
  REQUIRE(expected.size() == static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    CAPTURE(n, ranks, r);
    const auto got = block_range(n, ranks, r);
    CHECK(got.begin == expected[static_cast<std::size_t>(r)].begin);
    CHECK(got.end == expected[static_cast<std::size_t>(r)].end);
    CHECK(got.size() == expected[static_cast<std::size_t>(r)].end - expected[static_cast<std::size_t>(r)].begin);
  }
}
}  // namespace

TEST_CASE("block_range: hand-computed tables", "[core][partition]") {
  check_table(10, 3, {{0, 4}, {4, 7}, {7, 10}});
  check_table(10, 1, {{0, 10}});
  check_table(12, 4, {{0, 3}, {3, 6}, {6, 9}, {9, 12}});
  check_table(7, 4, {{0, 2}, {2, 4}, {4, 6}, {6, 7}});
  check_table(2, 4, {{0, 1}, {1, 2}, {2, 2}, {2, 2}});  // n < ranks: trailing ranks own nothing
  check_table(0, 3, {{0, 0}, {0, 0}, {0, 0}});
  check_table(1, 1, {{0, 1}});
  check_table(5, 5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}});
}

TEST_CASE("block_range: covers 0..n-1 once, contiguously, balanced, extras first", "[core][partition]") {
  for (std::size_t n : {0u, 1u, 2u, 3u, 5u, 7u, 8u, 10u, 16u, 17u, 31u, 100u, 1001u, 65537u}) {
    for (int ranks : {1, 2, 3, 4, 5, 7, 8, 16, 33, 64}) {
      CAPTURE(n, ranks);
      std::vector<int> owners(n, 0);
      std::size_t expected_begin = 0, smallest = n, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        CAPTURE(r);
        const auto range = block_range(n, ranks, r);
        REQUIRE(range.begin <= range.end);
        REQUIRE(range.end <= n);
        CHECK(range.begin == expected_begin);  // contiguous, in rank order
        expected_begin = range.end;
        for (std::size_t i = range.begin; i < range.end; ++i) ++owners[i];
        smallest = std::min(smallest, range.size());
        largest = std::max(largest, range.size());
        // Every rank owns floor(n/ranks) or one more; the first n % ranks own the one more.
        const auto p = static_cast<std::size_t>(ranks);
        const bool has_extra = static_cast<std::size_t>(r) < n % p;
        CHECK(range.size() * p == n - n % p + (has_extra ? p : 0));
      }
      CHECK(expected_begin == n);  // the last rank ends at n
      for (std::size_t i = 0; i < n; ++i) {
        if (owners[i] != 1) FAIL("item " << i << " owned " << owners[i] << " times");
      }
      CHECK(largest - smallest <= 1);
    }
  }
}

TEST_CASE("block_range: large n does not overflow", "[core][partition]") {
  const std::size_t n = (std::size_t{1} << 40) + 2;  // 1099511627778 = 3 * 366503875926
  CHECK(block_range(n, 3, 0).begin == 0);
  CHECK(block_range(n, 3, 0).end == 366503875926u);
  CHECK(block_range(n, 3, 1).begin == 366503875926u);
  CHECK(block_range(n, 3, 2).end == n);
  CHECK(block_range(n, 3, 2).size() == 366503875926u);
}
