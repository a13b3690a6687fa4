#include "core/timer.hpp"

#include <fmt/format.h>

#include "core/mpi_env.hpp"

namespace anneal {

void PhaseTimes::add(const std::string& phase, double seconds) {
  auto& e = phases_[phase];
  e.seconds += seconds;
  e.count += 1;
}

double PhaseTimes::total(const std::string& phase) const {
  auto it = phases_.find(phase);
  return it == phases_.end() ? 0.0 : it->second.seconds;
}

std::string PhaseTimes::summary() const {
  std::string text = fmt::format("{:<20} {:>8} {:>12}\n", "phase", "count", "seconds");
  for (const auto& [name, e] : phases_)
    text += fmt::format("{:<20} {:>8} {:>12.4f}\n", name, e.count, mpi::max_over_ranks(e.seconds));
  return text;
}

}  // namespace anneal
