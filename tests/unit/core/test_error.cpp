#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "core/error.hpp"

using anneal::Error;

TEST_CASE("ANNEAL_CHECK passes silently and evaluates nothing else when the condition holds", "[core][error]") {
  int message_args_evaluated = 0;
  int condition_evaluated = 0;
  CHECK_NOTHROW([&] { ANNEAL_CHECK(++condition_evaluated == 1, "never {}", ++message_args_evaluated); }());
  CHECK(condition_evaluated == 1);           // the condition runs exactly once
  CHECK(message_args_evaluated == 0);        // the message is formatted only on failure
}

TEST_CASE("ANNEAL_CHECK throws anneal::Error with the formatted message and file:line", "[core][error]") {
  bool caught = false;
  int condition_evaluated = 0;
  const int expected_line = __LINE__ + 2;
  try {
    ANNEAL_CHECK(++condition_evaluated > 5, "size {} is not a power of {} ({})", 12, 2, "try 16");
  } catch (const Error& e) {
    caught = true;
    CHECK(std::string(e.what()) == "size 12 is not a power of 2 (try 16)");
    CHECK(e.where() == "test_error.cpp:" + std::to_string(expected_line));
  }
  CHECK(caught);
  CHECK(condition_evaluated == 1);
}

TEST_CASE("ANNEAL_CHECK with a message without arguments", "[core][error]") {
  CHECK_THROWS_AS([] { ANNEAL_CHECK(false, "plain message"); }(), Error);
  CHECK_THROWS_WITH([] { ANNEAL_CHECK(1 > 2, "plain message"); }(), "plain message");
}

TEST_CASE("anneal::Error is a std::runtime_error", "[core][error]") {
  CHECK_THROWS_AS([] { ANNEAL_CHECK(false, "x"); }(), std::runtime_error);
  const Error plain("only a message");
  CHECK(std::string(plain.what()) == "only a message");
  CHECK(plain.where().empty());
  const Error located("m", "a.cpp:3");
  CHECK(located.where() == "a.cpp:3");
}

TEST_CASE("ANNEAL_THROW throws unconditionally with file:line", "[core][error]") {
  bool caught = false;
  const int expected_line = __LINE__ + 2;
  try {
    ANNEAL_THROW("bad value {:.2f} for '{}'", 0.125, "tol");
  } catch (const Error& e) {
    caught = true;
    CHECK(std::string(e.what()) == "bad value 0.12 for 'tol'");
    CHECK(e.where() == "test_error.cpp:" + std::to_string(expected_line));
  }
  CHECK(caught);
}

TEST_CASE("ANNEAL_ASSERT is active only without NDEBUG", "[core][error]") {
  int evaluated = 0;
#ifdef NDEBUG
  // Release builds: compiled out entirely; the condition is not even evaluated.
  CHECK_NOTHROW([&] { ANNEAL_ASSERT(++evaluated < 0); }());
  CHECK(evaluated == 0);
  CHECK_NOTHROW([] { ANNEAL_ASSERT(1 + 1 == 3); }());
#else
  CHECK_NOTHROW([] { ANNEAL_ASSERT(1 + 1 == 2); }());
  CHECK_THROWS_AS([&] { ANNEAL_ASSERT(++evaluated < 0); }(), Error);
  CHECK(evaluated == 1);
  CHECK_THROWS_WITH([] { ANNEAL_ASSERT(1 + 1 == 3); }(),
                    "internal error: assertion `1 + 1 == 3` failed (please report this)");
#endif
}
