#include "core/error.hpp"

#include <filesystem>

namespace anneal::detail {

void throw_error(const char* file, int line, std::string message) {
  throw Error(std::move(message),
              fmt::format("{}:{}", std::filesystem::path(file).filename().string(), line));
}

}  // namespace anneal::detail
