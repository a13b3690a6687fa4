#pragma once
// Configuration: every option of a sub-command can also be given in a TOML file (`--config
// file.toml`, parsed by toml++), with precedence defaults < file < command line. CLI11 applies the
// precedence; this file teaches it TOML and turns the effective options back into JSON for /meta.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace anneal {

// Keys are option long names (`size = 64` for `--size 64`); [tables] are nested sub-commands.
// A malformed file throws anneal::Error with the line and column.
class TomlConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

// Adds `--config FILE` to `app` (TOML, unknown keys are errors).
void add_config_option(CLI::App& app);

// The effective value of every named option of `app` after parsing, as JSON: numbers, booleans,
// strings, or arrays for multi-valued options. `--help`/`--config` themselves are left out.
nlohmann::json effective_config(const CLI::App& app);

// The path given to `--config` on `app` or its parents, or empty.
std::string config_file_of(const CLI::App& app);

}  // namespace anneal
