#include "core/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <sstream>

#include "core/error.hpp"

namespace anneal {
namespace {

std::string scalar_text(const toml::node& node, const std::string& key) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  ANNEAL_THROW("configuration key '{}' has a value of a type options cannot take "
               "(use a string, number, boolean or array of those)", key);
}

void collect(const toml::table& table, std::vector<std::string>& parents, std::vector<CLI::ConfigItem>& items) {
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (const auto* sub = node.as_table()) {
      parents.push_back(name);
      collect(*sub, parents, items);
      parents.pop_back();
      continue;
    }
    CLI::ConfigItem item;
    item.parents = parents;
    item.name = name;
    if (const auto* array = node.as_array()) {
      for (const auto& element : *array) item.inputs.push_back(scalar_text(element, name));
    } else {
      item.inputs.push_back(scalar_text(node, name));
    }
    items.push_back(std::move(item));
  }
}

nlohmann::json typed(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  std::int64_t i = 0;
  auto [ip, iec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (iec == std::errc{} && ip == text.data() + text.size()) return i;
  double d = 0;
  auto [dp, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc{} && dp == text.data() + text.size()) return d;
  return text;
}

}  // namespace

std::vector<CLI::ConfigItem> TomlConfig::from_config(std::istream& input) const {
  toml::table table;
  try {
    table = toml::parse(input);
  } catch (const toml::parse_error& e) {
    ANNEAL_THROW("malformed TOML at line {}, column {}: {}", e.source().begin.line,
                 e.source().begin.column, e.description());
  }
  std::vector<CLI::ConfigItem> entries;
  std::vector<std::string> parents;
  collect(table, parents, entries);
  return entries;
}

std::string TomlConfig::to_config(const CLI::App* app, bool default_also, bool write_description,
                                  std::string prefix) const {
  return CLI::ConfigTOML().to_config(app, default_also, write_description, std::move(prefix));
}

void add_config_option(CLI::App& app) {
  app.set_config("--config", "", "Read options from a TOML file (command-line options win)")
      ->check(CLI::ExistingFile);
  app.config_formatter(std::make_shared<TomlConfig>());
  app.allow_config_extras(CLI::config_extras_mode::error);
}

nlohmann::json effective_config(const CLI::App& app) {
  nlohmann::json config = nlohmann::json::object();
  for (const CLI::Option* opt : app.get_options()) {
    const std::string name = opt->get_single_name();
    if (name.empty() || opt->get_lnames().empty() || name == "help" || name == "help-all" ||
        name == "config" || name == "version")
      continue;
    std::vector<std::string> values = opt->results();
    if (values.empty()) {
      if (opt->get_expected_min() == 0) {
        values = {opt->count() > 0 ? "true" : "false"};  // a flag
      } else if (!opt->get_default_str().empty()) {
        values = {opt->get_default_str()};
      } else {
        config[name] = nullptr;
        continue;
      }
    }
    if (values.size() == 1 && opt->get_expected_max() <= 1) {
      config[name] = typed(values.front());
    } else {
      auto array = nlohmann::json::array();
      for (const auto& v : values) array.push_back(typed(v));
      config[name] = array;
    }
  }
  return config;
}

std::string config_file_of(const CLI::App& app) {
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    const CLI::Option* opt = a->get_config_ptr();
    if (opt && opt->count() > 0) return opt->results().front();
  }
  return {};
}

}  // namespace anneal
