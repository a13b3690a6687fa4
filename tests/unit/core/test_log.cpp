#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"

namespace alog = anneal::log;
using Catch::Matchers::Contains;

namespace {
// Captures log output for one test; restores stdout/stderr and the level on exit, even on failure.
struct CapturedLog {
  std::ostringstream out, err;
  alog::Level saved = alog::level();
  CapturedLog() { alog::set_streams(&out, &err); }
  ~CapturedLog() {
    alog::set_streams(nullptr, nullptr);
    alog::set_level(saved);
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
};
}  // namespace

TEST_CASE("log: info goes to out, warnings and errors to err with prefixes", "[core][log]") {
  CapturedLog cap;
  alog::set_level(alog::Level::info);
  alog::info("step {} of {}", 3, 7);
  alog::warn("tolerance {} is loose", 0.5);
  alog::error("cannot open '{}'", "a.h5");
  CHECK(cap.out.str() == "step 3 of 7\n");
  CHECK(cap.err.str() == "anneal: warning: tolerance 0.5 is loose\nanneal: error: cannot open 'a.h5'\n");
}

TEST_CASE("log: levels filter messages", "[core][log]") {
  CapturedLog cap;

  SECTION("warn hides info and debug") {
    alog::set_level(alog::Level::warn);
    CHECK(alog::level() == alog::Level::warn);
    alog::info("hidden info");
    alog::debug("hidden debug");
    alog::warn("shown warning");
    alog::error("shown error");
    CHECK(cap.out.str().empty());
    CHECK(cap.err.str() == "anneal: warning: shown warning\nanneal: error: shown error\n");
    CHECK_FALSE(alog::enabled(alog::Level::info));
    CHECK(alog::enabled(alog::Level::warn));
  }
  SECTION("error hides warnings") {
    alog::set_level(alog::Level::error);
    alog::warn("hidden warning");
    alog::error("shown error");
    CHECK(cap.err.str() == "anneal: error: shown error\n");
    CHECK(alog::enabled(alog::Level::error));
    CHECK_FALSE(alog::enabled(alog::Level::warn));
  }
  SECTION("info hides debug") {
    alog::set_level(alog::Level::info);
    alog::debug("hidden debug");
    alog::info("shown info");
    CHECK(cap.out.str() == "shown info\n");
    CHECK_FALSE(alog::enabled(alog::Level::debug));
  }
  SECTION("debug shows everything, debug lines tagged") {
    alog::set_level(alog::Level::debug);
    alog::debug("x = {}", 42);
    alog::info("y");
    CHECK(cap.out.str() == "[debug] x = 42\ny\n");
    CHECK(alog::enabled(alog::Level::debug));
  }
}

TEST_CASE("log: parse_level accepts the documented names", "[core][log]") {
  CHECK(alog::parse_level("error") == alog::Level::error);
  CHECK(alog::parse_level("warn") == alog::Level::warn);
  CHECK(alog::parse_level("warning") == alog::Level::warn);
  CHECK(alog::parse_level("info") == alog::Level::info);
  CHECK(alog::parse_level("debug") == alog::Level::debug);
}

TEST_CASE("log: parse_level rejects other names and names the accepted ones", "[core][log]") {
  for (const char* bad : {"verbose", "INFO", "", "warn ", "trace"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(alog::parse_level(bad), anneal::Error);
    CHECK_THROWS_WITH(alog::parse_level(bad), Contains("error, warn, info or debug"));
  }
  CHECK_THROWS_WITH(alog::parse_level("verbose"), Contains("'verbose'"));
}
