#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <string>
#include <system_error>

#include "core/error.hpp"

namespace anneal::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "anneal-test-XXXXXX").string();
  ANNEAL_CHECK(mkdtemp(pattern.data()) != nullptr, "cannot create a temporary directory");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace anneal::test
