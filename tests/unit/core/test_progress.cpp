#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "core/progress.hpp"

using anneal::Progress;
using Catch::Matchers::Contains;

namespace {
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

Progress::Options fake_options(double& now, std::ostringstream& os, int live) {
  Progress::Options o;
  o.line_interval_s = 5.0;
  o.redraw_interval_s = 0.1;
  o.live = live;
  o.stream = &os;
  o.clock = [&now] { return now; };
  return o;
}
}  // namespace

TEST_CASE("Progress::format_duration", "[core][progress]") {
  CHECK(Progress::format_duration(0) == "0s");
  CHECK(Progress::format_duration(59) == "59s");
  CHECK(Progress::format_duration(60) == "1m00s");
  CHECK(Progress::format_duration(61) == "1m01s");
  CHECK(Progress::format_duration(90) == "1m30s");
  CHECK(Progress::format_duration(3599) == "59m59s");
  CHECK(Progress::format_duration(3600) == "1h00m");
  CHECK(Progress::format_duration(3700) == "1h01m");
  CHECK(Progress::format_duration(90000) == "25h00m");
  CHECK(Progress::format_duration(59.6) == "1m00s");  // rounds to whole seconds first
  CHECK(Progress::format_duration(-1) == "?");
  CHECK(Progress::format_duration(std::numeric_limits<double>::infinity()) == "?");
  CHECK(Progress::format_duration(std::nan("")) == "?");
}

TEST_CASE("Progress::format_line: without counts, the percentage, the figure and the ETA", "[core][progress]") {
  CHECK(Progress::format_line("flow", 250, 1000, 10.0, "t 0.5", false) == "flow: 25%  t 0.5  ETA 30s");
}

TEST_CASE("Progress::format_line: rate, percentage, ETA", "[core][progress]") {
  // 100 of 1000 in 10 s: 10 it/s, 900 left -> 90 s.
  CHECK(Progress::format_line("train", 100, 1000, 10.0, "") == "train: 100/1000 (10%)  10 it/s  ETA 1m30s");
  CHECK(Progress::format_line("train", 100, 1000, 10.0, "loss 3.1e-04") ==
        "train: 100/1000 (10%)  loss 3.1e-04  10 it/s  ETA 1m30s");
  // Slower than 1 it/s: 5 of 10 in 20 s is 4 s/it, 5 left -> 20 s.
  CHECK(Progress::format_line("slow", 5, 10, 20.0, "") == "slow: 5/10 (50%)  4 s/it  ETA 20s");
  // Done: no ETA.
  CHECK(Progress::format_line("x", 50, 50, 2.0, "") == "x: 50/50 (100%)  25 it/s");
  // Nothing done or no time elapsed: no rate, no ETA.
  CHECK(Progress::format_line("x", 0, 50, 2.0, "") == "x: 0/50 (0%)");
  CHECK(Progress::format_line("x", 5, 50, 0.0, "") == "x: 5/50 (10%)");
  // Unknown total: no percentage.
  CHECK(Progress::format_line("x", 3, 0, 1.0, "") == "x: 3/0  3 it/s");
}

TEST_CASE("Progress lines: one per interval, none before", "[core][progress]") {
  double now = 1000.0;  // an arbitrary clock origin: only differences matter
  std::ostringstream os;
  Progress p("train", 1000, fake_options(now, os, 0));

  now += 4.0;
  p.update(40);
  CHECK(os.str().empty());  // 4 s < 5 s interval

  now += 6.0;  // 10 s elapsed
  p.update(100);
  CHECK(os.str() == "train: 100/1000 (10%)  10 it/s  ETA 1m30s\n");
  CHECK_THAT(os.str(), Contains("100/1000") && Contains("(10%)") && Contains("10 it/s") && Contains("ETA 1m30s"));

  now += 2.0;  // 2 s since the last line
  p.update(120);
  CHECK(count_of(os.str(), "\n") == 1);

  now += 3.0;  // 15 s elapsed, 5 s since the last line
  p.update(150, "loss 2e-03");
  CHECK(os.str() ==
        "train: 100/1000 (10%)  10 it/s  ETA 1m30s\n"
        "train: 150/1000 (15%)  loss 2e-03  10 it/s  ETA 1m25s\n");
  CHECK(os.str().find('\r') == std::string::npos);
}

TEST_CASE("Progress::finish prints 'done in' exactly once", "[core][progress]") {
  double now = 0.0;
  std::ostringstream os;
  {
    Progress p("solve", 200, fake_options(now, os, 0));
    now = 1.0;
    p.update(50);  // within the interval: silent
    now = 100.0;
    p.update(200);
    p.finish("residual 1e-09");
    p.finish();
    now = 200.0;
    p.update(200);  // after finish: silent
  }
  CHECK(count_of(os.str(), "done in") == 1);
  CHECK(os.str() ==
        "solve: 200/200 (100%)  2 it/s\n"
        "solve: 200/200 done in 1m40s  residual 1e-09  (2 it/s)\n");
}

TEST_CASE("Progress s/it when slower than one item per second", "[core][progress]") {
  double now = 0.0;
  std::ostringstream os;
  Progress p("slow", 10, fake_options(now, os, 0));
  now = 20.0;
  p.update(5);
  CHECK(os.str() == "slow: 5/10 (50%)  4 s/it  ETA 20s\n");
}

TEST_CASE("Progress live bar redraws with carriage returns", "[core][progress]") {
  double now = 0.0;
  std::ostringstream os;
  {
    Progress p("live", 100, fake_options(now, os, 1));
    now = 0.05;
    p.update(1);  // within the redraw interval
    CHECK(os.str().empty());
    now = 0.5;
    p.update(10);  // 20 it/s, 90 left -> 4.5 s, rounded half away from zero
    CHECK(os.str().find('\r') != std::string::npos);
    // 10 of 100 fills 2 of the bar's 24 cells.
    CHECK_THAT(os.str(), Contains("\r[##......................] live: 10/100 (10%)  20 it/s  ETA 5s"));
    CHECK(os.str().find('\n') == std::string::npos);  // redrawn in place
    now = 1.0;
    p.finish();
  }
  const std::string text = os.str();
  CHECK(count_of(text, "\r") == 2);
  CHECK(count_of(text, "done in") == 1);
  CHECK(text.back() == '\n');
  CHECK(count_of(text, "\n") == 1);  // only after the final line; the destructor adds none
}

TEST_CASE("Progress live bar left unfinished ends its line on destruction", "[core][progress]") {
  double now = 0.0;
  std::ostringstream os;
  {
    Progress p("live", 100, fake_options(now, os, 1));
    now = 1.0;
    p.update(10);
  }
  const std::string text = os.str();
  REQUIRE_FALSE(text.empty());
  CHECK(text.front() == '\r');
  CHECK(text.back() == '\n');
  CHECK(count_of(text, "done in") == 0);
}
