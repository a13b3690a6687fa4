#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "core/error.hpp"
#include "core/threads.hpp"
#include "core/timer.hpp"

using anneal::PhaseTimes;
using anneal::Stopwatch;
using anneal::ThreadLimit;
using Catch::Matchers::Contains;

TEST_CASE("PhaseTimes: add and total", "[core][timer]") {
  PhaseTimes times;
  CHECK(times.total("read") == 0.0);
  times.add("read", 1.5);
  times.add("read", 0.25);
  times.add("solve", 3.0);
  CHECK(times.total("read") == 1.75);
  CHECK(times.total("solve") == 3.0);
  CHECK(times.total("write") == 0.0);
}

TEST_CASE("PhaseTimes: summary lists phases with counts and totals", "[core][timer]") {
  PhaseTimes times;
  times.add("solve", 3.0);
  times.add("read", 1.5);
  times.add("read", 0.25);
  const std::string summary = times.summary();
  // "{:<20} {:>8} {:>12.4f}" per row, phases in name order.
  const std::string expected =
      "phase                   count      seconds\n"
      "read                        2       1.7500\n"
      "solve                       1       3.0000\n";
  CHECK(summary == expected);
  CHECK_THAT(summary, Contains("read") && Contains("solve"));
}

TEST_CASE("PhaseTimes: empty summary is the header only", "[core][timer]") {
  CHECK(PhaseTimes{}.summary() == "phase                   count      seconds\n");
}

TEST_CASE("Stopwatch: non-negative and monotone", "[core][timer]") {
  Stopwatch watch;
  double previous = watch.seconds();
  CHECK(previous >= 0.0);
  for (int i = 0; i < 1000; ++i) {
    const double now = watch.seconds();
    REQUIRE(now >= previous);
    previous = now;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(watch.seconds() >= 0.010);  // steady clock: at least the time slept
  watch.restart();
  CHECK(watch.seconds() >= 0.0);
}

TEST_CASE("PhaseTimes::Scope times its scope", "[core][timer]") {
  PhaseTimes times;
  {
    const PhaseTimes::Scope scope(times, "sleep");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(times.total("sleep") >= 0.005);
  { const PhaseTimes::Scope scope(times, "sleep"); }
  CHECK_THAT(times.summary(), Contains("sleep                       2"));
}

TEST_CASE("ThreadLimit limits oneTBB inside its scope and restores afterwards", "[core][threads]") {
  const int before = ThreadLimit::current();
  REQUIRE(before >= 1);
  {
    const ThreadLimit limit(1);
    CHECK(ThreadLimit::current() == 1);
  }
  CHECK(ThreadLimit::current() == before);
  {
    const ThreadLimit automatic(0);  // 0: oneTBB's default, no limit of ours
    CHECK(ThreadLimit::current() == before);
  }
  CHECK(ThreadLimit::current() == before);
}

TEST_CASE("ThreadLimit rejects negative counts", "[core][threads]") {
  CHECK_THROWS_AS(ThreadLimit(-1), anneal::Error);
  CHECK_THROWS_WITH(ThreadLimit(-3), "--threads must be 0 (automatic) or positive, got -3");
}
