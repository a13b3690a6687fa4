#pragma once
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace anneal {

// The one exception type of anneal. what() is the user-facing message (what went wrong, where,
// what to do); where() is the source location that raised it, shown only at debug log level.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string where = {})
      : std::runtime_error(message), where_(std::move(where)) {}
  const std::string& where() const noexcept { return where_; }

 private:
  std::string where_;
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, std::string message);
}  // namespace detail

}  // namespace anneal

// Always on: validates input and state a user can get wrong. The message is a fmt format string.
#define ANNEAL_CHECK(cond, ...)                                                      \
  do {                                                                               \
    if (!(cond)) [[unlikely]]                                                        \
      ::anneal::detail::throw_error(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__)); \
  } while (0)

// Debug builds only: internal invariants that no input can break.
#ifdef NDEBUG
#define ANNEAL_ASSERT(cond) \
  do {                      \
  } while (0)
#else
#define ANNEAL_ASSERT(cond)                                                                \
  do {                                                                                     \
    if (!(cond)) [[unlikely]]                                                              \
      ::anneal::detail::throw_error(__FILE__, __LINE__, "internal error: assertion `" #cond \
                                                        "` failed (please report this)");  \
  } while (0)
#endif

// Raise an anneal::Error unconditionally.
#define ANNEAL_THROW(...) ::anneal::detail::throw_error(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__))
