#pragma once
// Strict reading of TOML configuration tables (toml++): every key a table holds must be read, so
// a misspelt key is an error naming the file and the key rather than a silently ignored setting.
#include <toml++/toml.h>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace anneal {

// Parses TOML text; a syntax error names `source` with line and column.
toml::table parse_toml(std::string_view text, const std::string& source);
// The whole text of a configuration file; `what` names it in the error ("scene file").
std::string read_config_text(const std::filesystem::path& path, const char* what);

class TableReader {
 public:
  // `table` may be null (an absent table: every read falls back). `where` is the table's dotted
  // name ("" for the root); `known` lists what the root may hold, for the unknown-key message.
  TableReader(const toml::table* table, std::string where, std::string source, std::string known = {});

  bool has(const char* key) const { return table_ && table_->contains(key); }
  double number(const char* key, double fallback);
  long integer(const char* key, long fallback);
  std::string text(const char* key, const std::string& fallback);
  std::vector<double> numbers(const char* key, std::size_t min_count, std::size_t max_count);
  const toml::node* node(const char* key) { return take(key); }  // marks the key as read
  // Throws on the first key of the table that was never read.
  void finish() const;
  std::string prefix() const { return where_.empty() ? "" : where_ + "."; }

 private:
  const toml::node* take(const char* key);
  const toml::table* table_;
  std::string where_, source_, known_;
  std::set<std::string> used_;
};

// The sub-table `key` of `root`, null when absent; an error when `key` is not a table.
const toml::table* subtable(const toml::table& root, const char* key, const std::string& source);

}  // namespace anneal
