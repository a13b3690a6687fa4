#include "apps/python_render.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/log.hpp"

extern char** environ;

namespace anneal::apps {

bool render_png(const std::filesystem::path& h5, const std::string& field, const std::filesystem::path& png,
                const std::vector<std::string>& extra_args) {
  std::vector<std::string> arguments{"render", h5.string(), field, "-o", png.string()};
  arguments.insert(arguments.end(), extra_args.begin(), extra_args.end());
  return run_post(arguments, png);
}

bool run_post(const std::vector<std::string>& arguments, const std::filesystem::path& png) {
  // ANNEAL_PYTHON overrides the interpreter found when anneal was configured.
  const char* env_python = std::getenv("ANNEAL_PYTHON");
  const std::string python = env_python && *env_python ? env_python : ANNEAL_PYTHON_DEFAULT;
  if (python.empty()) {
    log::warn("no Python with h5py and matplotlib was found when anneal was built; skipping {}", png.string());
    return false;
  }
  std::vector<std::string> args{python, "-m", "anneal_post"};
  args.insert(args.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  const char* old_path = std::getenv("PYTHONPATH");
  env_storage.push_back(std::string("PYTHONPATH=") + ANNEAL_PYTHON_DIR + (old_path ? std::string(":") + old_path : ""));
  env_storage.push_back("MPLBACKEND=Agg");
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("PYTHONPATH=", 0) != 0 && entry.rfind("MPLBACKEND=", 0) != 0) env_storage.emplace_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  // The renderer prints the PNG's path; the caller reports it once, in anneal's own log.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, python.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    log::warn("cannot run '{}'; skipping {}", python, png.string());
    return false;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ANNEAL_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
               "rendering {} with the Python post-processing package failed (see the message above)", png.string());
  return true;
}

}  // namespace anneal::apps
