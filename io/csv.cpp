#include "io/csv.hpp"

#include <fmt/ranges.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "core/error.hpp"

namespace anneal::io {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

// A single pass over the text; one record at a time so the line counter stays exact.
class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  bool at_end() const { return pos_ >= text_.size(); }
  std::size_t line() const { return line_; }

  // Empty lines carry no record (pandas writes none; editors often leave a trailing one).
  void skip_empty_lines() {
    while (!at_end() && consume_line_end()) {
    }
  }

  // Reads one record, consuming its line end (if any).
  std::vector<std::string> record() {
    std::vector<std::string> fields;
    for (;;) {
      fields.push_back(field());
      if (at_end() || consume_line_end()) return fields;
      ANNEAL_ASSERT(text_[pos_] == ',');
      ++pos_;
    }
  }

 private:
  // CRLF, LF or a lone CR ends a line.
  bool consume_line_end() {
    if (text_[pos_] == '\n') {
      ++pos_;
    } else if (text_[pos_] == '\r') {
      ++pos_;
      if (!at_end() && text_[pos_] == '\n') ++pos_;
    } else {
      return false;
    }
    ++line_;
    return true;
  }

  std::string field() {
    if (!at_end() && text_[pos_] == '"') return quoted_field();
    const std::size_t begin = pos_;
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == ',' || c == '\n' || c == '\r') break;
      ANNEAL_CHECK(c != '"',
                   "{}:{}: stray '\"' inside an unquoted field (a field containing quotes must be "
                   "enclosed in quotes, with each inner quote doubled)",
                   source_, line_);
      ++pos_;
    }
    return std::string(text_.substr(begin, pos_ - begin));
  }

  std::string quoted_field() {
    const std::size_t opened_at = line_;
    ++pos_;  // the opening quote
    std::string value;
    for (;;) {
      const std::size_t quote = text_.find('"', pos_);
      ANNEAL_CHECK(quote != std::string_view::npos,
                   "{}:{}: unterminated quoted field (the quote opened on this line is never "
                   "closed)",
                   source_, opened_at);
      const std::string_view chunk = text_.substr(pos_, quote - pos_);
      line_ += count_line_ends(chunk);
      value.append(chunk);
      pos_ = quote + 1;
      if (!at_end() && text_[pos_] == '"') {  // "" is an escaped quote
        value.push_back('"');
        ++pos_;
        continue;
      }
      break;
    }
    ANNEAL_CHECK(at_end() || text_[pos_] == ',' || text_[pos_] == '\n' || text_[pos_] == '\r',
                 "{}:{}: unexpected character '{}' after a closing quote (expected ',' or the "
                 "end of the line)",
                 source_, line_, text_[pos_]);
    return value;
  }

  // Line breaks inside quoted text, counted as consume_line_end() would (CRLF counts once).
  static std::size_t count_line_ends(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') {
        ++n;
      } else if (s[i] == '\r') {
        ++n;
        if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
      }
    }
    return n;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

}  // namespace

bool CsvTable::has_column(std::string_view name) const {
  for (const std::string& h : header)
    if (h == name) return true;
  return false;
}

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  ANNEAL_THROW("{}: no column '{}'; the columns are {}", source, name, header);
}

CsvTable parse_csv(std::string_view text, std::string source_name) {
  CsvTable table;
  table.source = std::move(source_name);
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());

  Parser parser(text, table.source);
  parser.skip_empty_lines();
  ANNEAL_CHECK(!parser.at_end(), "{}: empty CSV (no header line)", table.source);
  const std::size_t header_line = parser.line();
  table.header = parser.record();
  for (std::size_t i = 0; i < table.header.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      ANNEAL_CHECK(table.header[i] != table.header[j],
                   "{}:{}: column name '{}' appears twice in the header", table.source, header_line,
                   table.header[i]);

  for (parser.skip_empty_lines(); !parser.at_end(); parser.skip_empty_lines()) {
    const std::size_t line = parser.line();
    std::vector<std::string> fields = parser.record();
    ANNEAL_CHECK(fields.size() == table.header.size(),
                 "{}:{}: row has {} fields but the header has {} columns", table.source, line,
                 fields.size(), table.header.size());
    table.rows.push_back(std::move(fields));
    table.row_lines.push_back(line);
  }
  return table;
}

CsvTable read_csv(const std::filesystem::path& path) {
  // stdio rather than ifstream: it reports errno, and reading a directory fails (EISDIR) instead
  // of looking like an empty file.
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  ANNEAL_CHECK(file != nullptr, "cannot open CSV file '{}': {}", path.string(),
               std::strerror(errno));
  std::string text;
  char chunk[1 << 16];
  for (;;) {
    const std::size_t got = std::fread(chunk, 1, sizeof chunk, file.get());
    text.append(chunk, got);
    if (got < sizeof chunk) break;
  }
  ANNEAL_CHECK(!std::ferror(file.get()), "error reading CSV file '{}': {}", path.string(),
               std::strerror(errno));
  ANNEAL_CHECK(!text.empty(), "CSV file '{}' is empty (expected a header line)", path.string());
  return parse_csv(text, path.string());
}

}  // namespace anneal::io
