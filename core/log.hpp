#pragma once
// Rank-aware logging. info and debug come from rank 0 only (every rank holds the same story);
// warnings and errors come from whichever rank meets them, tagged with the rank when there are
// several. info/debug go to stdout, warnings/errors to stderr.
#include <fmt/format.h>

#include <iosfwd>
#include <string>
#include <string_view>

namespace anneal::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

void set_level(Level level);
Level level();
// "error", "warn", "info", "debug"; throws anneal::Error naming the accepted values otherwise.
Level parse_level(std::string_view name);
bool enabled(Level level);

// Redirect output (tests); nullptr restores stdout/stderr.
void set_streams(std::ostream* out, std::ostream* err);

void write(Level level, std::string_view message);

template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::warn)) write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::info)) write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::debug)) write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace anneal::log
