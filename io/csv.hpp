#pragma once
// RFC 4180 CSV, as written by pandas and the crystal datasets: quoted fields may hold commas,
// doubled quotes and line breaks (whole CIF files sit in one cell). Everything is kept as text;
// converting a cell is the caller's job, since only the caller knows what the column means.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace anneal::io {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each has header.size() fields
  // 1-based line in the source where each row starts, so later checks on a cell can say where
  // it came from (rows may span several lines).
  std::vector<std::size_t> row_lines;
  std::string source;  // file name (or a label for in-memory text) used in error messages

  bool has_column(std::string_view name) const;
  // Index of the column; throws anneal::Error naming the source and the available columns.
  std::size_t column(std::string_view name) const;
};

// Parses a whole document. The first record is the header; its names must be distinct.
// Accepts LF and CRLF line ends, a missing final newline and a leading UTF-8 BOM; skips empty
// lines between records. Throws anneal::Error with "source:line:" for an unterminated quote, a
// stray quote in an unquoted field, text after a closing quote, a record whose field count differs
// from the header's, duplicate header names and an empty document.
CsvTable parse_csv(std::string_view text, std::string source_name);

// Reads and parses a file; the file's path is the source name.
CsvTable read_csv(const std::filesystem::path& path);

}  // namespace anneal::io
