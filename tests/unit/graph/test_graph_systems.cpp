// Batches of generated graph systems: independent of the thread count, written to files that
// read_graph_batch accepts, atomically, with their extras; option errors.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/threads.hpp"
#include "io/graph_batch.hpp"
#include "physics/graph/generate_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::physics::graph;
using Catch::Matchers::Contains;

namespace {
GenerateOptions small(const std::string& system) {
  GenerateOptions o;
  o.system = system;
  o.graphs = 6;
  o.min_nodes = 20;
  o.max_nodes = 60;
  o.seed = 42;
  return o;
}

void require_same(const std::vector<GraphSystem>& a, const std::vector<GraphSystem>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t g = 0; g < a.size(); ++g) {
    CHECK(a[g].nodes == b[g].nodes);
    CHECK(a[g].edges == b[g].edges);
    CHECK(a[g].node_features == b[g].node_features);
    CHECK(a[g].edge_features == b[g].edge_features);
    CHECK(a[g].targets == b[g].targets);
    CHECK(a[g].positions == b[g].positions);
    CHECK(a[g].policy == b[g].policy);
  }
}
}  // namespace

TEST_CASE("Generated batches do not depend on the thread count", "[graph][generate]") {
  for (const std::string& system : system_names()) {
    INFO(system);
    std::vector<GraphSystem> one, two;
    {
      anneal::ThreadLimit limit(1);
      one = generate_systems(small(system));
    }
    {
      anneal::ThreadLimit limit(2);
      two = generate_systems(small(system));
    }
    require_same(one, two);
    // Graph g depends on (seed, g) only: a longer batch starts with the same graphs.
    GenerateOptions more = small(system);
    more.graphs = 8;
    std::vector<GraphSystem> longer = generate_systems(more);
    longer.resize(6);
    require_same(one, longer);
    for (const GraphSystem& s : one) {
      if (system != "mdp") {
        CHECK(s.nodes + s.dropped_nodes >= 20);
        CHECK(s.nodes + s.dropped_nodes <= 60);
      }
      CHECK(s.residual < 1e-10);
    }
  }
}

TEST_CASE("generate_dataset writes a batch file that read_graph_batch accepts", "[graph][generate]") {
  anneal::test::TempDir dir;
  for (const std::string& system : system_names()) {
    INFO(system);
    const auto path = dir / (system + ".h5");
    anneal::io::Provenance provenance{"anneal cgs generate --system " + system, "", "cpu", {}};
    const GenerateSummary summary = generate_dataset(small(system), path, provenance);
    CHECK(summary.graphs == 6);
    CHECK(summary.max_residual < 1e-10);
    CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    const anneal::io::H5File file = anneal::io::H5File::open_read(path);
    const anneal::io::GraphBatch batch = anneal::io::read_graph_batch(file);
    CHECK(batch.num_graphs() == 6);
    CHECK(batch.num_nodes() == summary.nodes);
    CHECK(batch.num_edges() == summary.edges);
    CHECK(batch.target_dim() == 1);
    CHECK(file.string_attribute("/", "system") == system);
    const auto config = nlohmann::json::parse(file.string_attribute("/meta", "config"));
    CHECK(config["system"] == system);
    CHECK(config["graphs"] == 6);
    const GraphExtras extras = read_graph_extras(file, batch);
    const bool geometric = system == "pore" || system == "heat";
    CHECK(extras.positions.size() == (geometric ? 3 * static_cast<std::size_t>(batch.num_nodes()) : 0));
    CHECK(extras.policy.size() == (system == "mdp" ? static_cast<std::size_t>(batch.num_nodes()) : 0));
    // The file holds what the generator returns.
    const std::vector<GraphSystem> systems = generate_systems(small(system));
    CHECK(batch.targets.front() == systems.front().targets.front());
    CHECK(batch.targets.back() == systems.back().targets.back());
  }
}

TEST_CASE("generate_dataset refuses bad options and never leaves a partial file", "[graph][generate]") {
  anneal::test::TempDir dir;
  const auto out = dir / "out.h5";
  const anneal::io::Provenance provenance;
  const auto refuses = [&](const GenerateOptions& o, const std::string& message) {
    CHECK_THROWS_WITH(generate_dataset(o, out, provenance), Contains(message));
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK_FALSE(std::filesystem::exists(out.string() + ".tmp"));
  };
  GenerateOptions o = small("pore");
  o.system = "poor";
  refuses(o, "unknown graph system 'poor'");
  o = small("heat");
  o.min_nodes = 70;
  refuses(o, "min_nodes (70) should not exceed max_nodes (60)");
  o = small("katz");
  o.min_nodes = 1;
  refuses(o, "graphs need at least 2 nodes");
  o = small("mdp");
  o.graphs = 0;
  refuses(o, "the number of graphs should be at least 1");
  o = small("pore");
  o.pore.throat_fraction = 1.5;
  refuses(o, "the throat fraction should be in (0, 1]");
  o = small("pagerank");
  o.centrality.damping = 1;
  refuses(o, "the damping should be in (0, 1)");

  // An input named as the output is refused and left as it was.
  const auto input = dir / "input.h5";
  std::ofstream(input) << "precious";
  const anneal::io::Provenance with_input{"anneal cgs generate", "", "cpu", {input}};
  CHECK_THROWS_AS(generate_dataset(small("pore"), input, with_input), anneal::Error);
  std::ifstream in(input);
  std::string text;
  in >> text;
  CHECK(text == "precious");
  CHECK_THROWS_AS(generate_dataset(small("pore"), dir / "missing" / "out.h5", provenance), anneal::Error);
}

TEST_CASE("Batch extras must be on every graph or none", "[graph][generate]") {
  anneal::test::TempDir dir;
  std::vector<GraphSystem> systems = generate_systems(small("pore"));
  systems[2].positions.clear();
  anneal::io::H5File file = anneal::io::H5File::create(dir / "x.h5");
  CHECK_THROWS_WITH(write_graph_systems(file, systems), Contains("graph 2") && Contains("positions"));
}
