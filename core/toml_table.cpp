#include "core/toml_table.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace anneal {

toml::table parse_toml(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    ANNEAL_THROW("{}: malformed TOML at line {}, column {}: {}", source, e.source().begin.line, e.source().begin.column,
                 e.description());
  }
}

std::string read_config_text(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path);
  ANNEAL_CHECK(in.good(), "{} '{}' cannot be read (does it exist?)", what, path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TableReader::TableReader(const toml::table* table, std::string where, std::string source, std::string known)
    : table_(table), where_(std::move(where)), source_(std::move(source)), known_(std::move(known)) {}

const toml::node* TableReader::take(const char* key) {
  used_.insert(key);
  return table_ ? table_->get(key) : nullptr;
}

double TableReader::number(const char* key, double fallback) {
  const toml::node* node = take(key);
  if (!node) return fallback;
  const auto v = node->value<double>();
  ANNEAL_CHECK(v.has_value(), "{}: {}{} must be a number", source_, prefix(), key);
  ANNEAL_CHECK(std::isfinite(*v), "{}: {}{} must be finite, got {}", source_, prefix(), key, *v);
  return *v;
}

long TableReader::integer(const char* key, long fallback) {
  const toml::node* node = take(key);
  if (!node) return fallback;
  const auto v = node->value<int64_t>();
  ANNEAL_CHECK(v.has_value() && node->is_integer(), "{}: {}{} must be an integer", source_, prefix(), key);
  return static_cast<long>(*v);
}

std::string TableReader::text(const char* key, const std::string& fallback) {
  const toml::node* node = take(key);
  if (!node) return fallback;
  const auto v = node->value<std::string>();
  ANNEAL_CHECK(v.has_value(), "{}: {}{} must be a string", source_, prefix(), key);
  return *v;
}

std::vector<double> TableReader::numbers(const char* key, std::size_t min_count, std::size_t max_count) {
  const toml::node* node = take(key);
  if (!node) return {};
  const toml::array* array = node->as_array();
  ANNEAL_CHECK(array != nullptr, "{}: {}{} must be an array of numbers", source_, prefix(), key);
  ANNEAL_CHECK(array->size() >= min_count && array->size() <= max_count, "{}: {}{} needs {} to {} entries, got {}",
               source_, prefix(), key, min_count, max_count, array->size());
  std::vector<double> out;
  for (const auto& element : *array) {
    const auto v = element.value<double>();
    ANNEAL_CHECK(v.has_value() && std::isfinite(*v), "{}: {}{} must hold finite numbers", source_, prefix(), key);
    out.push_back(*v);
  }
  return out;
}

void TableReader::finish() const {
  if (!table_) return;
  for (const auto& [key, value] : *table_) {
    const std::string name(key.str());
    ANNEAL_CHECK(used_.count(name), "{}: unknown key '{}{}'{}", source_, prefix(), name,
                 where_.empty() && !known_.empty() ? " (" + known_ + ")" : "");
  }
}

const toml::table* subtable(const toml::table& root, const char* key, const std::string& source) {
  const toml::node* node = root.get(key);
  if (!node) return nullptr;
  ANNEAL_CHECK(node->is_table(), "{}: '{}' must be a table ([{}])", source, key, key);
  return node->as_table();
}

}  // namespace anneal
