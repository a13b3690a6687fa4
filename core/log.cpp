#include "core/log.hpp"

#include <atomic>
#include <iostream>
#include <mutex>

#include "core/error.hpp"
#include "core/mpi_env.hpp"

namespace anneal::log {
namespace {
std::atomic<Level> current_level{Level::info};
std::ostream* out_stream = nullptr;
std::ostream* err_stream = nullptr;
std::mutex write_mutex;  // lines from several threads must not interleave
}  // namespace

void set_level(Level level) { current_level = level; }
Level level() { return current_level; }
bool enabled(Level level) { return static_cast<int>(level) <= static_cast<int>(current_level.load()); }

Level parse_level(std::string_view name) {
  if (name == "error") return Level::error;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "info") return Level::info;
  if (name == "debug") return Level::debug;
  ANNEAL_THROW("unknown log level '{}' (expected error, warn, info or debug)", name);
}

void set_streams(std::ostream* out, std::ostream* err) {
  std::lock_guard lock(write_mutex);
  out_stream = out;
  err_stream = err;
}

void write(Level level, std::string_view message) {
  const int rank = mpi::rank();
  const bool several = mpi::size() > 1;
  if ((level == Level::info || level == Level::debug) && rank != 0) return;

  std::string line;
  switch (level) {
    case Level::error: line = "anneal: error: "; break;
    case Level::warn: line = "anneal: warning: "; break;
    case Level::debug: line = "[debug] "; break;
    case Level::info: break;
  }
  if (several && (level == Level::error || level == Level::warn)) line += fmt::format("[rank {}] ", rank);
  line += message;
  line += '\n';

  std::lock_guard lock(write_mutex);
  const bool to_err = level == Level::error || level == Level::warn;
  std::ostream& os = to_err ? (err_stream ? *err_stream : std::cerr) : (out_stream ? *out_stream : std::cout);
  os << line << std::flush;
}

}  // namespace anneal::log
