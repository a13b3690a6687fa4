#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/csv.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::io::CsvTable;
using anneal::io::parse_csv;
using anneal::io::read_csv;
using Catch::Contains;
using Rows = std::vector<std::vector<std::string>>;

namespace {

std::filesystem::path shared_data_dir() {
  if (const char* env = std::getenv("ANNEAL_SHARED_DATA"); env != nullptr && *env != '\0')
    return env;
  return std::filesystem::path(ANNEAL_SOURCE_DIR) / ".." / "shared" / "data";
}

// The crystal CSVs are shared data outside the repo; a checkout without them skips these tests.
std::filesystem::path crystal_csv_or_skip(const std::string& relative) {
  const auto path = shared_data_dir() / "crystal" / relative;
  if (!std::filesystem::is_regular_file(path))
    anneal::test::skip_test("crystal dataset not found: " + path.string());
  return path;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
}

}  // namespace

TEST_CASE("CSV: header, rows and column lookup", "[csv]") {
  const CsvTable t = parse_csv("name,mass,charge\nH,1.008,1\nHe,4.0026,0\n", "atoms.csv");
  CHECK(t.source == "atoms.csv");
  CHECK(t.header == std::vector<std::string>{"name", "mass", "charge"});
  CHECK(t.rows == Rows{{"H", "1.008", "1"}, {"He", "4.0026", "0"}});
  CHECK(t.row_lines == std::vector<std::size_t>{2, 3});
  CHECK(t.column("mass") == 1);
  CHECK(t.has_column("charge"));
  CHECK_FALSE(t.has_column("Mass"));
}

TEST_CASE("CSV: an unknown column names the file and the available columns", "[csv]") {
  const CsvTable t = parse_csv("name,mass\nH,1\n", "atoms.csv");
  CHECK_THROWS_AS(t.column("charge"), anneal::Error);
  CHECK_THROWS_WITH(t.column("charge"), Contains("atoms.csv") && Contains("'charge'") &&
                                            Contains("name") && Contains("mass"));
}

TEST_CASE("CSV: quoted fields keep commas, doubled quotes and line breaks", "[csv]") {
  const CsvTable t = parse_csv(
      "id,text,cif\n"
      "1,\"a, b\",\"line 1\nline 2\r\nline 3\n\"\n"
      "2,\"say \"\"hi\"\"\",\"\"\n"
      "3,\"\"\"\",plain\n",
      "quoted.csv");
  REQUIRE(t.rows.size() == 3);
  CHECK(t.rows[0] == std::vector<std::string>{"1", "a, b", "line 1\nline 2\r\nline 3\n"});
  CHECK(t.rows[1] == std::vector<std::string>{"2", "say \"hi\"", ""});
  CHECK(t.rows[2] == std::vector<std::string>{"3", "\"", "plain"});
  // Row 1 spans lines 2-5, so row 2 starts on line 6.
  CHECK(t.row_lines == std::vector<std::size_t>{2, 6, 7});
}

TEST_CASE("CSV: CRLF and LF line ends give the same table", "[csv]") {
  const CsvTable lf = parse_csv("a,b\n1,2\n3,4\n", "lf.csv");
  const CsvTable crlf = parse_csv("a,b\r\n1,2\r\n3,4\r\n", "crlf.csv");
  CHECK(crlf.header == lf.header);
  CHECK(crlf.rows == lf.rows);
  CHECK(crlf.rows == Rows{{"1", "2"}, {"3", "4"}});
  CHECK(crlf.row_lines == lf.row_lines);
}

TEST_CASE("CSV: a missing final newline, empty fields and blank lines", "[csv]") {
  CHECK(parse_csv("a,b\n1,2", "x.csv").rows == Rows{{"1", "2"}});
  CHECK(parse_csv("a,b\r\n1,\"2\"", "x.csv").rows == Rows{{"1", "2"}});
  CHECK(parse_csv("a,b,c\n,,\n1,,3\n", "x.csv").rows == Rows{{"", "", ""}, {"1", "", "3"}});
  const CsvTable blank = parse_csv("a,b\n\n1,2\n\r\n3,4\n\n", "x.csv");
  CHECK(blank.rows == Rows{{"1", "2"}, {"3", "4"}});
  CHECK(blank.row_lines == std::vector<std::size_t>{3, 5});
  CHECK(parse_csv("a,b\n", "x.csv").rows.empty());
}

TEST_CASE("CSV: a UTF-8 byte-order mark is not part of the first column name", "[csv]") {
  const CsvTable t = parse_csv("\xEF\xBB\xBFid,value\n1,2\n", "bom.csv");
  CHECK(t.header == std::vector<std::string>{"id", "value"});
  CHECK(t.column("id") == 0);
}

TEST_CASE("CSV: an unterminated quote names the file and the line it opened on", "[csv]") {
  const std::string text = "a,b\n1,2\n3,\"open\nmore\n";
  CHECK_THROWS_AS(parse_csv(text, "bad.csv"), anneal::Error);
  CHECK_THROWS_WITH(parse_csv(text, "bad.csv"), Contains("bad.csv:3:") && Contains("unterminated"));
}

TEST_CASE("CSV: a row with the wrong number of fields names the file and line", "[csv]") {
  CHECK_THROWS_WITH(parse_csv("a,b,c\n1,2,3\n4,5\n", "short.csv"),
                    Contains("short.csv:3:") && Contains("2 fields") && Contains("3 columns"));
  // The line is where the row starts, after a multi-line cell.
  CHECK_THROWS_WITH(parse_csv("a,b\n1,\"x\ny\"\n1,2,3\n", "long.csv"),
                    Contains("long.csv:4:") && Contains("3 fields"));
}

TEST_CASE("CSV: a stray quote in an unquoted field names the file and line", "[csv]") {
  CHECK_THROWS_WITH(parse_csv("a,b\n1,2\n3,4\"5\n", "stray.csv"),
                    Contains("stray.csv:3:") && Contains("stray"));
  // Text after a closing quote is the same mistake seen from the other side.
  CHECK_THROWS_WITH(parse_csv("a,b\n\"1\"x,2\n", "after.csv"),
                    Contains("after.csv:2:") && Contains("after a closing quote"));
}

TEST_CASE("CSV: empty text and duplicate header names are errors", "[csv]") {
  CHECK_THROWS_WITH(parse_csv("", "empty.csv"), Contains("empty.csv") && Contains("empty"));
  CHECK_THROWS_WITH(parse_csv("\xEF\xBB\xBF\n\n", "blank.csv"), Contains("blank.csv"));
  CHECK_THROWS_WITH(parse_csv("x,y,x\n1,2,3\n", "dup.csv"),
                    Contains("dup.csv:1:") && Contains("'x'"));
}

TEST_CASE("CSV: read_csv reads a file and names it in errors", "[csv]") {
  anneal::test::TempDir dir;
  write_file(dir / "ok.csv", "a,b\r\n1,\"two\r\nlines\"\r\n");
  const CsvTable t = read_csv(dir / "ok.csv");
  CHECK(t.source == (dir / "ok.csv").string());
  CHECK(t.rows == Rows{{"1", "two\r\nlines"}});

  const auto missing = dir / "missing.csv";
  CHECK_THROWS_AS(read_csv(missing), anneal::Error);
  CHECK_THROWS_WITH(read_csv(missing), Contains(missing.string()));

  write_file(dir / "empty.csv", "");
  CHECK_THROWS_WITH(read_csv(dir / "empty.csv"),
                    Contains((dir / "empty.csv").string()) && Contains("empty"));

  write_file(dir / "bad.csv", "a,b\n1\n");
  CHECK_THROWS_WITH(read_csv(dir / "bad.csv"), Contains((dir / "bad.csv").string() + ":2:"));

  CHECK_THROWS_WITH(read_csv(dir.path()), Contains(dir.path().string()));
}

// Rows whose cif cell is a whole multi-line pymatgen CIF (so quoted newlines were kept).
std::size_t count_whole_cifs(const CsvTable& t) {
  const std::size_t cif = t.column("cif");
  std::size_t good = 0;
  for (const auto& row : t.rows) {
    const std::string& text = row[cif];
    good += text.starts_with("# generated using pymatgen") && text.find("_atom_site_fract_x") != std::string::npos &&
            count_lines(text) > 20;
  }
  return good;
}

TEST_CASE("CSV: the perov_5 validation split parses", "[csv][data]") {
  const CsvTable t = read_csv(crystal_csv_or_skip("perov_5/val.csv"));
  // The first column is pandas' unnamed index.
  CHECK(t.header == std::vector<std::string>{"", "material_id", "cif", "formula", "heat_all",
                                             "heat_ref", "dir_gap", "ind_gap"});
  REQUIRE(t.rows.size() == 3787);
  CHECK(count_whole_cifs(t) == t.rows.size());
  // Spot check of the last row (read independently with Python's csv module).
  CHECK(t.rows.back()[0] == "870");
  CHECK(t.rows.back()[t.column("material_id")] == "9424");
  CHECK(t.rows.back()[t.column("formula")] == "CdReO2S");
  CHECK(t.rows.back()[t.column("ind_gap")] == "0.0");
}

TEST_CASE("CSV: the carbon_24 validation split parses", "[csv][data]") {
  const CsvTable t = read_csv(crystal_csv_or_skip("carbon_24/val.csv"));
  CHECK(t.header == std::vector<std::string>{"", "material_id", "cif", "energy_per_atom"});
  REQUIRE(t.rows.size() == 2032);
  CHECK(count_whole_cifs(t) == t.rows.size());
  CHECK(t.rows.back()[t.column("material_id")] == "C-126149-3704-40");
  CHECK(t.rows.back()[t.column("energy_per_atom")] == "-154.202563");
}
