#pragma once
// Configuration: every option of a sub-command can also be given in a TOML file (`--config
// file.toml`, parsed by toml++), with precedence defaults < file < command line, and the effective
// options go back out as JSON for /meta/config.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace anneal {

// Adds `--config FILE` to `command`. Keys are the command's option long names (`size = 64` for
// `--size 64`); values are strings, numbers, booleans (flags) or arrays. After the command line
// is parsed, each key not given on the command line is applied. A malformed file, an unknown key or
// a value the option rejects is an anneal::Error naming the file (and line for syntax errors).
// Call it after the command's other options: it takes over their `required()` check (so that the
// file may supply them) and the command's parse_complete_callback.
void add_config_option(CLI::App& command);

// Applies a TOML file to `command` as `--config` does (public for tests and embedding).
void apply_config_file(CLI::App& command, const std::string& path);

// The effective value of every named option of `command` after parsing, as JSON: numbers,
// booleans, strings, arrays, or null when unset. `--help` and `--config` are left out.
nlohmann::json effective_config(const CLI::App& command);

}  // namespace anneal
