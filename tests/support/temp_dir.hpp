#pragma once
#include <filesystem>
#include <string>

namespace anneal::test {
// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// The whole content of a file ("" if it cannot be read).
std::string read_text(const std::filesystem::path& path);
}  // namespace anneal::test
