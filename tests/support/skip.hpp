#pragma once
#include <string>

namespace anneal::test {
// ctest reports a test that exits with this code as skipped (SKIP_RETURN_CODE), not passed.
inline constexpr int kSkipExitCode = 77;
// Ends the test process as skipped, saying why (no GPU, no ParaView, data absent).
[[noreturn]] void skip_test(const std::string& reason);
}  // namespace anneal::test
