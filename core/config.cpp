#include "core/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <memory>

#include "core/error.hpp"

namespace anneal {
namespace {

std::string scalar_text(const toml::node& node, const std::string& file, const std::string& key) {
  if (node.is_string()) return *node.value<std::string>();
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  ANNEAL_THROW("config file '{}': '{}' has a value no option takes (use a string, number, boolean or array)", file,
               key);
}

std::string known_options(const CLI::App& command) {
  std::string names;
  for (const CLI::Option* opt : command.get_options())
    if (!opt->get_lnames().empty() && opt->get_single_name() != "help" && opt->get_single_name() != "config")
      names += (names.empty() ? "" : ", ") + opt->get_single_name();
  return names;
}

// Numbers stay numbers in /meta/config, but only for numeric options: a name "007" stays a string.
nlohmann::json typed(const CLI::Option& opt, const std::string& text) {
  const std::string type = opt.get_type_name();
  const bool numeric = type.find("INT") != std::string::npos || type.find("FLOAT") != std::string::npos ||
                       type.find("NUMBER") != std::string::npos;
  if (!numeric) return text;
  std::int64_t i = 0;
  auto [ip, iec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (iec == std::errc{} && ip == text.data() + text.size()) return i;
  double d = 0;
  auto [dp, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc{} && dp == text.data() + text.size()) return d;
  return text;
}

}  // namespace

void apply_config_file(CLI::App& command, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    ANNEAL_THROW("config file '{}': malformed TOML at line {}, column {}: {}", path, e.source().begin.line,
                 e.source().begin.column, e.description());
  }
  for (const auto& [key_view, node] : table) {
    const std::string key(key_view.str());
    ANNEAL_CHECK(!node.is_table(), "config file '{}': [{}] is a table, but '{}' takes plain keys ({})", path, key,
                 command.get_name(), known_options(command));
    CLI::Option* opt = command.get_option_no_throw("--" + key);
    ANNEAL_CHECK(opt != nullptr && key != "config" && key != "help",
                 "config file '{}': unknown option '{}' for '{}' (options: {})", path, key, command.get_name(),
                 known_options(command));
    if (opt->count() > 0) continue;  // the command line wins
    std::vector<std::string> values;
    if (const auto* array = node.as_array()) {
      for (const auto& element : *array) values.push_back(scalar_text(element, path, key));
    } else {
      values.push_back(scalar_text(node, path, key));
    }
    try {
      opt->add_result(values);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      ANNEAL_THROW("config file '{}': option '{}': {}", path, key, e.what());
    }
  }
}

void add_config_option(CLI::App& command) {
  auto path = std::make_shared<std::string>();
  command.add_option("--config", *path, "Read options from a TOML file (the command line wins)")
      ->check(CLI::ExistingFile);
  // CLI11 checks required options before a sub-command's callbacks run, which would refuse one
  // given in the file; so required options are checked here instead, after the file is applied.
  std::vector<CLI::Option*> required;
  for (CLI::Option* opt : command.get_options())
    if (opt->get_required()) {
      required.push_back(opt);
      opt->required(false);
      opt->description(opt->get_description() + " (required)");
    }
  // CLI11 reads config files only for the top-level app, so sub-commands apply theirs here, once
  // the command line is parsed and before the command runs. (Call this after adding the options.)
  CLI::App* self = &command;
  command.parse_complete_callback([self, path, required] {
    if (!path->empty()) apply_config_file(*self, *path);
    for (const CLI::Option* opt : required)
      ANNEAL_CHECK(opt->count() > 0, "{} is required (on the command line or in the --config file); see '{} --help'",
                   opt->get_lnames().empty() ? opt->get_name() : "--" + opt->get_lnames().front(), self->get_name());
  });
}

nlohmann::json effective_config(const CLI::App& command) {
  nlohmann::json config = nlohmann::json::object();
  for (const CLI::Option* opt : command.get_options()) {
    const std::string name = opt->get_single_name();
    if (opt->get_lnames().empty() || name == "help" || name == "help-all" || name == "config") continue;
    std::vector<std::string> values = opt->results();
    if (opt->get_expected_min() == 0) {  // a flag
      config[name] = opt->count() > 0 && (values.empty() || values.front() != "false");
      continue;
    }
    if (values.empty() && !opt->get_default_str().empty()) values = {opt->get_default_str()};
    if (values.empty()) {
      config[name] = nullptr;
    } else if (values.size() == 1 && opt->get_expected_max() <= 1) {
      config[name] = typed(*opt, values.front());
    } else {
      auto array = nlohmann::json::array();
      for (const auto& v : values) array.push_back(typed(*opt, v));
      config[name] = array;
    }
  }
  return config;
}

}  // namespace anneal
