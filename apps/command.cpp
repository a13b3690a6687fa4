#include "apps/command.hpp"

#include "core/config.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"

namespace anneal::apps {
namespace {
std::string typed_command;

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}
}  // namespace

const std::string& command_line() { return typed_command; }

void set_command_line(int argc, char** argv) {
  typed_command.clear();
  for (int i = 0; i < argc; ++i) typed_command += (i ? " " : "") + shell_quote(argv[i]);
}

void add_common_options(CLI::App& command, CommonOptions& options, bool options_config) {
  command.add_option("--threads", options.threads, "Threads per MPI rank (0: all cores this rank may use)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command.add_option("--log-level", options.log_level, "Verbosity: error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  command.add_option("--petsc-options", options.petsc_options, "A file of PETSc options (or pass them after --)")
      ->check(CLI::ExistingFile);
  if (options_config) add_config_option(command);
}

CommandScope::CommandScope(const CLI::App& command, const CommonOptions& options) {
  log::set_level(log::parse_level(options.log_level));
  threads_ = std::make_unique<ThreadLimit>(options.threads);
  if (!options.petsc_options.empty()) mpi::Session::insert_petsc_options_file(options.petsc_options);
  const nlohmann::json config = effective_config(command);
  config_json_ = config.dump();
  log::info("anneal {}: {} rank(s) x {} thread(s)", command.get_name(), mpi::size(), ThreadLimit::current());
  for (const auto& [key, value] : config.items()) log::info("  {} = {}", key, value.dump());
}

io::Provenance CommandScope::provenance(std::vector<std::filesystem::path> sources, std::string device) const {
  return {command_line(), config_json_, std::move(device), std::move(sources)};
}

}  // namespace anneal::apps
