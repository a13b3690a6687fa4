#include "tests/support/run_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/error.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace anneal::test {
ProcessResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  TempDir capture;
  const auto out_path = capture / "stdout", err_path = capture / "stderr";

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    // The test process is itself an MPI singleton; its OpenMPI/PMIx variables would make a child
    // mpiexec or anneal believe it belongs to this job.
    const std::string_view entry(*e);
    const bool mpi_internal = (entry.rfind("OMPI_", 0) == 0 && entry.rfind("OMPI_ALLOW_RUN_AS_ROOT", 0) != 0) ||
                              entry.rfind("PMIX_", 0) == 0;
    if (!mpi_internal) env_storage.emplace_back(entry);
  }
  env_storage.insert(env_storage.end(), options.env.begin(), options.env.end());
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);

  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  ANNEAL_CHECK(rc == 0, "cannot start '{}'", argv.front());

  int status = 0;
  if (options.kill_after_s > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(options.kill_after_s));
    kill(pid, SIGKILL);
  }
  waitpid(pid, &status, 0);

  ProcessResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

}  // namespace anneal::test
