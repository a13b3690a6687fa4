// The HDF5 graph-batch format (io/graph_batch): write → read round trips, append/slice, and every
// validation error naming the file, the dataset, the graph and the row.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "io/graph_batch.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::io::GraphBatch;
using anneal::io::H5File;
using anneal::io::TargetLevel;
using Catch::Matchers::Contains;

namespace {

// Two graphs: a triangle (3 nodes, 3 edges) and a path of 2 nodes (2 edges).
GraphBatch small_batch() {
  GraphBatch b;
  b.node_offsets = {0, 3, 5};
  b.edge_offsets = {0, 3, 5};
  b.edge_index = {0, 1, 1, 2, 2, 0, 0, 1, 1, 0};
  b.node_feature_names = {"a", "b"};
  b.edge_feature_names = {"w"};
  b.target_names = {"t"};
  b.node_features = {0.1, 1.1, 0.2, 1.2, 0.3, 1.3, 0.4, 1.4, 0.5, 1.5};
  b.edge_features = {10, 11, 12, 13, 14};
  b.targets = {-1, -2, -3, -4, -5};
  return b;
}

void require_equal(const GraphBatch& a, const GraphBatch& b) {
  CHECK(a.node_offsets == b.node_offsets);
  CHECK(a.edge_offsets == b.edge_offsets);
  CHECK(a.edge_index == b.edge_index);
  CHECK(a.node_feature_names == b.node_feature_names);
  CHECK(a.edge_feature_names == b.edge_feature_names);
  CHECK(a.target_names == b.target_names);
  CHECK(a.node_features == b.node_features);
  CHECK(a.edge_features == b.edge_features);
  CHECK(a.targets == b.targets);
  CHECK(a.target_level == b.target_level);
}

// Writes `b` to a file without validation, as a foreign tool might, so the reader's checks can be
// reached: raw datasets only.
void write_raw(const std::filesystem::path& path, const GraphBatch& b) {
  H5File f = H5File::create(path);
  f.write<std::int64_t>("/node_offsets", b.node_offsets, {b.node_offsets.size()});
  f.write<std::int64_t>("/edge_offsets", b.edge_offsets, {b.edge_offsets.size()});
  f.write<std::int64_t>("/edge_index", b.edge_index, {b.edge_index.size() / 2, 2});
  f.write<double>("/node_features", b.node_features, {b.node_features.size() / 2, 2});
  f.write<double>("/edge_features", b.edge_features, {b.edge_features.size(), 1});
  f.write<double>("/targets", b.targets, {b.targets.size(), 1});
  f.close();
}

}  // namespace

TEST_CASE("A graph batch survives a write-read round trip", "[graph_batch]") {
  anneal::test::TempDir dir;
  const GraphBatch b = small_batch();
  SECTION("at the root, node targets") {
    {
      H5File f = H5File::create(dir / "b.h5");
      write_graph_batch(f, b);
      f.close();
    }
    const GraphBatch r = read_graph_batch(H5File::open_read(dir / "b.h5"));
    require_equal(r, b);
    CHECK(r.num_graphs() == 2);
    CHECK(r.num_nodes() == 5);
    CHECK(r.num_edges() == 5);
    CHECK(r.graph_nodes(1) == 2);
  }
  SECTION("in a group, graph targets, no edge features, two target columns") {
    GraphBatch g = b;
    g.edge_feature_names.clear();
    g.edge_features.clear();
    g.target_level = TargetLevel::graph;
    g.target_names = {"energy", "gap"};
    g.targets = {1.5, 2.5, 3.5, 4.5};
    {
      H5File f = H5File::create(dir / "g.h5");
      write_graph_batch(f, g, "/train/batch");
      f.close();
    }
    const H5File f = H5File::open_read(dir / "g.h5");
    CHECK_FALSE(f.exists("/train/batch/edge_features"));
    CHECK(f.string_attribute("/train/batch/targets", "level") == "graph");
    CHECK(f.string_attribute("/train/batch/node_features", "names") == R"(["a","b"])");
    require_equal(read_graph_batch(f, "/train/batch"), g);
  }
  SECTION("without targets, and without names (a hand-made file)") {
    {
      H5File f = H5File::create(dir / "raw.h5");
      f.write<std::int64_t>("/node_offsets", b.node_offsets, {3});
      f.write<std::int64_t>("/edge_offsets", std::vector<std::int64_t>{0, 0, 0}, {3});
      f.write<std::int64_t>("/edge_index", std::vector<std::int64_t>{}, {0, 2});
      f.write<double>("/node_features", b.node_features, {5, 2});
      f.close();
    }
    const GraphBatch r = read_graph_batch(H5File::open_read(dir / "raw.h5"));
    CHECK(r.num_edges() == 0);
    CHECK(r.target_dim() == 0);
    CHECK(r.edge_feature_dim() == 0);
    CHECK(r.node_feature_names == std::vector<std::string>{"node_feature_0", "node_feature_1"});
  }
}

TEST_CASE("Graph batches append and slice by graph with local edge ids", "[graph_batch]") {
  GraphBatch a = small_batch();
  GraphBatch both = a;
  both.append(small_batch());
  CHECK(both.num_graphs() == 4);
  CHECK(both.node_offsets == std::vector<std::int64_t>{0, 3, 5, 8, 10});
  CHECK(both.edge_offsets == std::vector<std::int64_t>{0, 3, 5, 8, 10});
  both.validate("appended");
  const GraphBatch middle = both.slice(1, 2);  // the path, then the triangle again
  CHECK(middle.node_offsets == std::vector<std::int64_t>{0, 2, 5});
  CHECK(middle.edge_index == std::vector<std::int64_t>{0, 1, 1, 0, 0, 1, 1, 2, 2, 0});
  CHECK(middle.targets == std::vector<double>{-4, -5, -1, -2, -3});
  CHECK(middle.edge_features == std::vector<double>{13, 14, 10, 11, 12});
  middle.validate("slice");
  require_equal(both.slice(0, 2), a);
  CHECK_THROWS_WITH(both.slice(3, 2), Contains("graphs [3, 5) are not in a batch of 4 graphs"));
  GraphBatch other = small_batch();
  other.node_feature_names = {"a", "c"};
  CHECK_THROWS_AS(a.append(other), anneal::Error);

  GraphBatch graph_level = small_batch();
  graph_level.target_level = TargetLevel::graph;
  graph_level.targets = {7, 8};
  GraphBatch twice = graph_level;
  twice.append(graph_level);
  CHECK(twice.slice(1, 2).targets == std::vector<double>{8, 7});
}

TEST_CASE("Reading a graph batch rejects bad files with the file, dataset, graph and row", "[graph_batch]") {
  anneal::test::TempDir dir;
  const auto path = dir / "train.h5";
  const auto read_error = [&](const GraphBatch& b) {
    write_raw(path, b);
    try {
      read_graph_batch(H5File::open_read(path));
    } catch (const anneal::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  GraphBatch b = small_batch();
  SECTION("NaN and Inf features and targets") {
    b.node_features[9] = std::numeric_limits<double>::quiet_NaN();  // row 4: graph 1, local node 1
    const std::string e = read_error(b);
    CHECK_THAT(e, Contains("train.h5") && Contains("node_features row 4 (graph 1, local row 1) column 1 holds NaN"));
    b = small_batch();
    b.edge_features[2] = -std::numeric_limits<double>::infinity();
    CHECK_THAT(read_error(b), Contains("edge_features row 2 (graph 0, local row 2) column 0 holds -Inf"));
    b = small_batch();
    b.targets[3] = std::numeric_limits<double>::infinity();
    CHECK_THAT(read_error(b), Contains("targets row 3 (graph 1, local row 0) column 0 holds +Inf"));
  }
  SECTION("offsets that do not end at the rows") {
    b.node_offsets = {0, 3, 4};
    CHECK_THAT(read_error(b), Contains("train.h5") && Contains("node_offsets end at 4, but node_features has 5 rows"));
    b = small_batch();
    b.edge_offsets = {0, 3, 6};
    CHECK_THAT(read_error(b), Contains("edge_offsets end at 6, but edge_index has 5 rows"));
  }
  SECTION("decreasing offsets, offsets not from 0, a graph without nodes") {
    b.node_offsets = {0, 3, 2};
    CHECK_THAT(read_error(b), Contains("node_offsets decrease at graph 1 (from 3 to 2)"));
    b = small_batch();
    b.edge_offsets = {1, 3, 5};
    CHECK_THAT(read_error(b), Contains("edge_offsets should start at 0, but starts at 1"));
    b = small_batch();
    b.node_offsets = {0, 0, 5};
    CHECK_THAT(read_error(b), Contains("graph 0 has no nodes"));
  }
  SECTION("edge ids outside their own graph (ids are local)") {
    b.edge_index[7] = 2;  // edge 3 = graph 1's local edge 0: dst 2 in a 2-node graph
    CHECK_THAT(read_error(b),
               Contains("edge_index row 3 (graph 1, local edge 0) has dst 2, outside its graph's 2 nodes"));
    b = small_batch();
    b.edge_index[0] = -1;
    CHECK_THAT(read_error(b), Contains("edge_index row 0 (graph 0, local edge 0) has src -1"));
  }
  SECTION("offsets of another length than the graphs") {
    b.edge_offsets = {0, 5};
    CHECK_THAT(read_error(b), Contains("edge_offsets has 2 entries, but 2 graphs need 3"));
  }
  SECTION("an empty batch") {
    GraphBatch empty;
    {
      H5File f = H5File::create(path);
      f.write<std::int64_t>("/node_offsets", std::vector<std::int64_t>{0}, {1});
      f.write<std::int64_t>("/edge_offsets", std::vector<std::int64_t>{0}, {1});
      f.write<std::int64_t>("/edge_index", std::vector<std::int64_t>{}, {0, 2});
      f.write<double>("/node_features", std::vector<double>{}, {0, 2});
      f.close();
    }
    CHECK_THROWS_WITH(read_graph_batch(H5File::open_read(path)),
                      Contains("train.h5") && Contains("the batch holds no graphs"));
    CHECK_THROWS_WITH(empty.validate("memory"), Contains("the batch holds no graphs"));
  }
  SECTION("missing datasets, wrong shapes, names that do not fit") {
    {
      H5File f = H5File::create(path);
      f.write<std::int64_t>("/node_offsets", b.node_offsets, {3});
      f.close();
    }
    CHECK_THROWS_WITH(read_graph_batch(H5File::open_read(path)), Contains("train.h5") && Contains("edge_offsets"));
    {
      H5File f = H5File::create(path);
      write_graph_batch(f, b);
      f.set_attribute("/node_features", "names", std::string(R"(["only one"])"));
      f.close();
    }
    CHECK_THROWS_WITH(read_graph_batch(H5File::open_read(path)),
                      Contains("attribute 'names' of '/node_features' lists 1 names for 2 columns"));
    {
      H5File f = H5File::create(path);
      write_graph_batch(f, b);
      f.set_attribute("/targets", "level", std::string("edge"));
      f.close();
    }
    CHECK_THROWS_WITH(read_graph_batch(H5File::open_read(path)), Contains("should be \"node\" or \"graph\""));
  }
}

TEST_CASE("Writing refuses a batch that reading would refuse", "[graph_batch]") {
  anneal::test::TempDir dir;
  GraphBatch b = small_batch();
  b.node_features.pop_back();
  H5File f = H5File::create(dir / "bad.h5");
  CHECK_THROWS_WITH(
      write_graph_batch(f, b),
      Contains("bad.h5") &&
          Contains("node_features holds 9 values, but 5 rows (the last node offset) of 2 columns need 10"));
  b = small_batch();
  b.node_features[0] = std::nan("");
  CHECK_THROWS_WITH(b.validate("generated batch"), Contains("'generated batch': node_features row 0 (graph 0"));
}
