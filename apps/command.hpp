#pragma once
// What every sub-command shares: the common options, their application, and the record of the
// invocation that goes into /meta.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "core/threads.hpp"
#include "io/provenance.hpp"

namespace anneal::apps {

struct CommonOptions {
  int threads = 0;
  std::string log_level = "info";
  std::string petsc_options;  // a PETSc options file
};

// The command line as typed, for /meta/command.
const std::string& command_line();
void set_command_line(int argc, char** argv);

// Adds --threads, --log-level, --petsc-options and (unless the command reads its own kind of
// --config file, as `flow run` reads a scene) --config to a sub-command.
void add_common_options(CLI::App& command, CommonOptions& options, bool options_config = true);

// Applies them for the duration of the returned object, and echoes the effective configuration.
class CommandScope {
 public:
  CommandScope(const CLI::App& command, const CommonOptions& options);
  // /meta for an output of this command.
  io::Provenance provenance(std::vector<std::filesystem::path> sources = {}, std::string device = "cpu") const;

 private:
  std::string config_json_;
  std::unique_ptr<ThreadLimit> threads_;
};

// Sub-command registration, one function per command file.
void register_inspect(CLI::App& app);
void register_demo(CLI::App& app);
void register_flow(CLI::App& app);
void register_lpinn(CLI::App& app);
void register_turbulence(CLI::App& app);
void register_cgs(CLI::App& app);
void register_poisson(CLI::App& app);

}  // namespace anneal::apps
