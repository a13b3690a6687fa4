#pragma once
#include <string_view>

namespace anneal {

// The release version (CMake project version) and the git commit the binary was built from
// ("<sha>-dirty" with uncommitted changes, "unknown" outside a git checkout).
std::string_view version();
std::string_view git_sha();

}  // namespace anneal
