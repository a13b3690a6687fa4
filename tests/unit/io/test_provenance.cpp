#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>

#include "core/version.hpp"
#include "io/provenance.hpp"
#include "io/sha256.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::io;

TEST_CASE("/meta records version, command, config, time, ranks, device and input digests", "[io][meta]") {
  anneal::test::TempDir dir;
  std::ofstream(dir / "input.bin") << "abc";  // SHA-256 known from FIPS 180-2
  {
    auto file = H5File::create(dir / "m.h5");
    write_provenance(file, {"anneal demo --size 8", R"({"size":8})", "cpu", {dir / "input.bin"}});
  }
  const auto file = H5File::open_read(dir / "m.h5");
  REQUIRE(file.string_attribute("/meta", "anneal_version") == anneal::version());
  REQUIRE(file.string_attribute("/meta", "git_sha") == anneal::git_sha());
  REQUIRE(file.string_attribute("/meta", "command") == "anneal demo --size 8");
  REQUIRE(nlohmann::json::parse(file.string_attribute("/meta", "config"))["size"] == 8);
  REQUIRE(std::regex_match(file.string_attribute("/meta", "created"),
                           std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  REQUIRE(std::get<std::int64_t>(file.attribute("/meta", "mpi_ranks")) == 1);
  REQUIRE(file.string_attribute("/meta", "device") == "cpu");
  const auto sources = nlohmann::json::parse(file.string_attribute("/meta", "source_files"));
  REQUIRE(sources.size() == 1);
  REQUIRE(sources[0]["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  REQUIRE(sources[0]["path"].get<std::string>().find("input.bin") != std::string::npos);
}
