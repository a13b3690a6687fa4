#pragma once
#include <filesystem>
#include <string>
#include <vector>

namespace anneal::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, if any
  std::string out, err;
};

struct RunOptions {
  std::filesystem::path working_dir;  // empty: the current directory
  double kill_after_s = -1;           // > 0: SIGKILL the process after this many seconds
  std::vector<std::string> env;       // extra NAME=VALUE entries
};

// Runs a program (no shell) and captures its stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options = {});
#ifdef ANNEAL_BINARY
// Runs the anneal executable under test (its path is compiled into each test target).
inline ProcessResult run_anneal(const std::vector<std::string>& args, const RunOptions& options = {}) {
  std::vector<std::string> argv{ANNEAL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}
#endif

}  // namespace anneal::test
