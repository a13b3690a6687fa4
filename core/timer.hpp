#pragma once
// Wall-clock timing of the phases of a run ("read", "solve", "write"), summarised at the end.
#include <chrono>
#include <map>
#include <string>

namespace anneal {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void restart() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Accumulates named phases; `summary()` lists them with counts, totals and the slowest rank.
class PhaseTimes {
 public:
  void add(const std::string& phase, double seconds);
  double total(const std::string& phase) const;
  // Collective when MPI runs on several ranks: totals are the maximum over ranks.
  std::string summary() const;

  // Times the enclosing scope into `times` under `phase`.
  class Scope {
   public:
    Scope(PhaseTimes& times, std::string phase) : times_(times), phase_(std::move(phase)) {}
    ~Scope() { times_.add(phase_, watch_.seconds()); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    PhaseTimes& times_;
    std::string phase_;
    Stopwatch watch_;
  };

 private:
  struct Entry {
    double seconds = 0;
    long count = 0;
  };
  std::map<std::string, Entry> phases_;
};

}  // namespace anneal
