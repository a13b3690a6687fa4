#pragma once
// Progress of long work, printed by rank 0: a live bar redrawn in place on a terminal, or a line
// at a steady interval otherwise (log files, CI), each with the figure that matters, the rate and
// the ETA:   "train: 1200/5000 (24%)  loss 3.1e-04  410 it/s  ETA 9s"
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace anneal {

class Progress {
 public:
  using Clock = std::function<double()>;  // seconds, monotonic

  struct Options {
    double line_interval_s = 5.0;   // seconds between lines when not on a terminal
    double redraw_interval_s = 0.1; // seconds between redraws of the live bar
    int live = -1;                  // 1: live bar, 0: lines, -1: live bar iff stdout is a terminal
    std::ostream* stream = nullptr; // default std::cout (tests pass their own)
    Clock clock;                    // default std::chrono::steady_clock (tests pass a fake one)
    // false: the work is not countable items (a simulation's progress in simulated time): show
    // the percentage and the ETA, and let the figure carry the rate that means something.
    bool counts = true;
  };

  Progress(std::string label, std::int64_t total);
  Progress(std::string label, std::int64_t total, Options options);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` items of `total` are complete; `figure` is the quantity to watch ("loss 3.1e-04").
  void update(std::int64_t done, const std::string& figure = {});
  // Prints the final line (total, elapsed time, mean rate) once.
  void finish(const std::string& figure = {});

  // Text of a progress line; public so that tests can check rate and ETA directly.
  static std::string format_line(const std::string& label, std::int64_t done, std::int64_t total,
                                 double elapsed_s, const std::string& figure, bool counts = true);
  static std::string format_duration(double seconds);

 private:
  void emit(const std::string& text, bool final);

  std::string label_;
  std::int64_t total_;
  Options options_;
  bool live_ = false;
  bool printing_ = false;  // rank 0 only
  bool finished_ = false;
  double start_ = 0, last_emit_ = 0;
  std::int64_t done_ = 0;
  std::string figure_;
};

}  // namespace anneal
