#include "core/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "core/mpi_env.hpp"

namespace anneal {
namespace {
double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Progress::Progress(std::string label, std::int64_t total) : Progress(std::move(label), total, Options{}) {}

Progress::Progress(std::string label, std::int64_t total, Options options)
    : label_(std::move(label)), total_(total), options_(std::move(options)) {
  if (!options_.clock) options_.clock = steady_seconds;
  if (!options_.stream) options_.stream = &std::cout;
  // Under mpiexec, rank 0's stdout is a pseudo-terminal of the launcher even when the job's output
  // goes to a file (a cluster log), so a live bar would fill the log with redraws: print lines.
  const bool launched_by_mpi = std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
  live_ = options_.live == 1 ||
          (options_.live == -1 && options_.stream == &std::cout && isatty(STDOUT_FILENO) && !launched_by_mpi);
  printing_ = mpi::rank() == 0;
  start_ = last_emit_ = options_.clock();
}

Progress::~Progress() {
  // A bar left mid-line would glue itself to the next message.
  if (live_ && printing_ && !finished_ && done_ > 0) *options_.stream << '\n' << std::flush;
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string Progress::format_line(const std::string& label, std::int64_t done, std::int64_t total,
                                  double elapsed_s, const std::string& figure, bool counts) {
  // Rounded down: "100%" only when done.
  std::string line = counts ? fmt::format("{}: {}/{}", label, done, total) : label + ":";
  if (total > 0) line += counts ? fmt::format(" ({}%)", 100 * done / total) : fmt::format(" {}%", 100 * done / total);
  if (!figure.empty()) line += "  " + figure;
  if (elapsed_s > 0 && done > 0) {
    const double rate = static_cast<double>(done) / elapsed_s;
    if (counts)
      line += rate >= 100.0 ? fmt::format("  {:.0f} it/s", rate)
              : rate >= 1.0 ? fmt::format("  {:.3g} it/s", rate)
                            : fmt::format("  {:.3g} s/it", 1.0 / rate);
    if (done < total) line += "  ETA " + format_duration(static_cast<double>(total - done) / rate);
  }
  return line;
}

void Progress::update(std::int64_t done, const std::string& figure) {
  done_ = done;
  figure_ = figure;
  if (!printing_ || finished_) return;
  const double now = options_.clock();
  const double interval = live_ ? options_.redraw_interval_s : options_.line_interval_s;
  if (now - last_emit_ < interval) return;
  last_emit_ = now;
  emit(format_line(label_, done_, total_, now - start_, figure_, options_.counts), false);
}

void Progress::finish(const std::string& figure) {
  if (finished_) return;
  finished_ = true;
  if (!figure.empty()) figure_ = figure;
  if (!printing_) return;
  const double elapsed = options_.clock() - start_;
  std::string line = options_.counts ? fmt::format("{}: {}/{} done in {}", label_, done_, total_, format_duration(elapsed))
                                     : fmt::format("{}: done in {}", label_, format_duration(elapsed));
  if (!figure_.empty()) line += "  " + figure_;
  if (options_.counts && elapsed > 0 && done_ > 0)
    line += fmt::format("  ({:.3g} it/s)", static_cast<double>(done_) / elapsed);
  emit(line, true);
}

void Progress::emit(const std::string& text, bool final) {
  auto& os = *options_.stream;
  if (live_) {
    // \r + erase-to-end-of-line redraws the bar in place.
    constexpr int kWidth = 24;
    const int filled = total_ > 0 ? static_cast<int>(kWidth * std::min(done_, total_) / total_) : 0;
    os << '\r' << '[' << std::string(static_cast<std::size_t>(filled), '#')
       << std::string(static_cast<std::size_t>(kWidth - filled), '.') << "] " << text << "\033[K";
    if (final) os << '\n';
  } else {
    os << text << '\n';
  }
  os << std::flush;
}

}  // namespace anneal
