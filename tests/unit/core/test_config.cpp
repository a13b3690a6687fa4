#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

struct Values {
  int size = 64;
  double tol = 1e-3;
  std::string name;
  bool fast = false;
  std::vector<int> dims;
};

std::unique_ptr<CLI::App> make_app(Values& v) {
  auto app = std::make_unique<CLI::App>("config test", "anneal");
  app->add_option("--size", v.size, "size")->capture_default_str();
  app->add_option("--tol", v.tol, "tolerance")->capture_default_str();
  app->add_option("--name", v.name, "name");
  app->add_flag("--fast", v.fast, "fast");
  app->add_option("--dims", v.dims, "dims");
  anneal::add_config_option(*app);
  return app;
}

void parse(CLI::App& app, std::vector<std::string> args) {
  args.insert(args.begin(), "anneal");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

// Parses `args` with a fresh app and returns the anneal::Error message ("" if none was thrown).
std::string error_of(const std::vector<std::string>& args) {
  Values v;
  auto app = make_app(v);
  try {
    parse(*app, args);
  } catch (const anneal::Error& e) {
    return e.what();
  }
  return {};
}

std::string write_file(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

const char* const kFullConfig =
    "# a comment\n"
    "size = 96\n"
    "tol = 2.5e-6\n"
    "name = \"x\"\n"
    "fast = true\n"
    "dims = [1, 2, 3]\n";

}  // namespace

TEST_CASE("config: no --config keeps the defaults", "[core][config]") {
  Values v;
  auto app = make_app(v);
  parse(*app, {});
  CHECK(v.size == 64);
  CHECK(v.tol == 1e-3);
  CHECK(v.name.empty());
  CHECK_FALSE(v.fast);
  CHECK(v.dims.empty());

  const nlohmann::json j = anneal::effective_config(*app);
  INFO(j.dump());
  CHECK(j.at("size").is_number_integer());
  CHECK(j.at("size") == 64);
  CHECK(j.at("tol").is_number_float());
  CHECK(j.at("tol").get<double>() == 1e-3);
  CHECK(j.at("fast") == false);
  CHECK(j.at("name").is_null());  // unset, no default captured
  CHECK(j.at("dims").is_null());
}

TEST_CASE("config: a TOML file sets every kind of option", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "run.toml", kFullConfig);
  Values v;
  auto app = make_app(v);
  parse(*app, {"--config", file});
  CHECK(v.size == 96);
  CHECK(v.tol == 2.5e-6);
  CHECK(v.name == "x");
  CHECK(v.fast);
  CHECK(v.dims == std::vector<int>{1, 2, 3});
  // The path given to --config is what the option holds.
  CHECK(app->get_option("--config")->as<std::string>() == file);
}

TEST_CASE("config: the command line wins over the file; effective_config keeps types", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "run.toml", kFullConfig);
  Values v;
  auto app = make_app(v);
  // --config before --size: the order on the command line must not matter.
  parse(*app, {"--config", file, "--size", "128"});
  CHECK(v.size == 128);
  CHECK(v.tol == 2.5e-6);
  CHECK(v.name == "x");
  CHECK(v.fast);
  CHECK(v.dims == std::vector<int>{1, 2, 3});

  const nlohmann::json j = anneal::effective_config(*app);
  INFO(j.dump());
  REQUIRE(j.is_object());
  CHECK(j.at("size").is_number_integer());
  CHECK(j.at("size") == 128);
  CHECK(j.at("tol").is_number_float());
  CHECK(j.at("tol").get<double>() == 2.5e-6);
  CHECK(j.at("name") == "x");
  CHECK(j.at("fast").is_boolean());
  CHECK(j.at("fast") == true);
  CHECK(j.at("dims") == nlohmann::json::array({1, 2, 3}));
  CHECK_FALSE(j.contains("config"));
  CHECK_FALSE(j.contains("help"));
  CHECK(j.size() == 5);
}

TEST_CASE("config: the command line wins for flags and vectors too", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "run.toml", kFullConfig);
  Values v;
  auto app = make_app(v);
  parse(*app, {"--dims", "9", "--config", file, "--name", "run 1"});
  CHECK(v.dims == std::vector<int>{9});
  CHECK(v.name == "run 1");
  CHECK(v.size == 96);
  const nlohmann::json j = anneal::effective_config(*app);
  INFO(j.dump());
  CHECK(j.at("dims") == nlohmann::json::array({9}));  // multi-valued: an array even with one value
  CHECK(j.at("name") == "run 1");
}

TEST_CASE("config: a flag set to false in the file stays false", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "flag.toml", "fast = false\n");
  Values v;
  v.fast = true;  // would survive only if the file were ignored
  auto app = make_app(v);
  parse(*app, {"--config", file});
  CHECK_FALSE(v.fast);
  CHECK(anneal::effective_config(*app).at("fast") == false);
}

TEST_CASE("config: malformed TOML is an anneal::Error naming file and line", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "bad.toml", "tol = 1e-3\n\nsize = = 3\n");
  CHECK_THAT(error_of({"--config", file}),
             StartsWith("config file '" + file + "': malformed TOML at line 3, column "));
}

TEST_CASE("config: an unknown key is an anneal::Error listing the options", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "extra.toml", "size = 3\nsizee = 4\n");
  Values v;
  auto app = make_app(v);
  CHECK_THROWS_AS(parse(*app, {"--config", file}), anneal::Error);
  CHECK(error_of({"--config", file}) == "config file '" + file +
                                            "': unknown option 'sizee' for 'anneal' (options: size, tol, name, fast, dims)");
  // --help and --config are options of the app, but not keys of a file.
  for (const char* key : {"help", "config"}) {
    CAPTURE(key);
    const std::string f = write_file(dir, std::string(key) + ".toml", std::string(key) + " = \"x\"\n");
    CHECK_THAT(error_of({"--config", f}), Contains(std::string("unknown option '") + key + "'"));
  }
}

TEST_CASE("config: tables, unsupported types and rejected values are anneal::Errors", "[core][config]") {
  TempDir dir;
  SECTION("a table") {
    const std::string file = write_file(dir, "table.toml", "[demo]\nsize = 5\n");
    CHECK_THAT(error_of({"--config", file}), Contains("[demo] is a table"));
  }
  SECTION("a date") {
    const std::string file = write_file(dir, "date.toml", "name = 1979-05-27\n");
    CHECK_THAT(error_of({"--config", file}), StartsWith("config file '" + file + "': 'name' has a value no option takes"));
  }
  SECTION("a value the option cannot convert") {
    const std::string file = write_file(dir, "conv.toml", "size = \"big\"\n");
    CHECK_THAT(error_of({"--config", file}), StartsWith("config file '" + file + "': option 'size': "));
  }
}

TEST_CASE("config: the option's validators apply to values from the file", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "range.toml", "size = 1000\n");
  int size = 0;
  CLI::App app("range", "anneal");
  app.add_option("--size", size, "size")->check(CLI::Range(1, 100));
  anneal::add_config_option(app);
  CHECK_THROWS_WITH(parse(app, {"--config", file}), StartsWith("config file '" + file + "': option 'size': "));
}

TEST_CASE("config: a missing config file is a CLI11 validation error", "[core][config]") {
  TempDir dir;
  Values v;
  auto app = make_app(v);
  CHECK_THROWS_AS(parse(*app, {"--config", (dir / "absent.toml").string()}), CLI::ValidationError);
}

TEST_CASE("config: --config on a sub-command reads top-level keys", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "demo.toml", "size = 7\ntol = 0.5\n");
  CLI::App app("root", "anneal");
  int size = 1;
  double tol = 0;
  CLI::App* demo = app.add_subcommand("demo", "a demo");
  demo->add_option("--size", size, "size");
  demo->add_option("--tol", tol, "tol");
  anneal::add_config_option(*demo);
  parse(app, {"demo", "--config", file, "--tol", "0.25"});
  CHECK(demo->parsed());
  CHECK(size == 7);
  CHECK(tol == 0.25);
  const nlohmann::json j = anneal::effective_config(*demo);
  INFO(j.dump());
  CHECK(j.at("size") == 7);
  CHECK(j.at("tol").get<double>() == 0.25);
}

TEST_CASE("config: apply_config_file applies keys not given on the command line", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "direct.toml", "size = 5\nname = \"file\"\n");
  Values v;
  auto app = make_app(v);
  parse(*app, {"--name", "cli"});
  anneal::apply_config_file(*app, file);
  CHECK(v.size == 5);
  CHECK(v.name == "cli");
}

// A required option given only in the file satisfies the requirement. CLI11 alone checks
// requirements before the file is applied; add_config_option checks them afterwards instead.
TEST_CASE("config: a required option may come from the file", "[core][config]") {
  TempDir dir;
  const std::string file = write_file(dir, "req.toml", "size = 7\n");
  CLI::App app("root", "anneal");
  int size = 1;
  CLI::App* demo = app.add_subcommand("demo", "a demo");
  demo->add_option("--size", size, "size")->required();
  anneal::add_config_option(*demo);
  CHECK_NOTHROW(parse(app, {"demo", "--config", file}));
  CHECK(size == 7);
}
