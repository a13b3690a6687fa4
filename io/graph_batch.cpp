#include "io/graph_batch.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/schema.hpp"

namespace anneal::io {
namespace {

// "node_features" under the root group "/", "batch/node_features" under "/batch": the name a user
// sees in h5ls, without the leading slash that would read as noise in a sentence.
std::string dataset_name(std::string_view root, std::string_view name) {
  std::string r(root);
  while (!r.empty() && r.front() == '/') r.erase(r.begin());
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r.empty() ? std::string(name) : r + "/" + std::string(name);
}

std::string full_path(std::string_view root, std::string_view name) { return "/" + dataset_name(root, name); }

// The graph that owns row `row` of a ragged array cut by `offsets` (non-decreasing, checked before).
std::int64_t graph_of(const std::vector<std::int64_t>& offsets, std::int64_t row) {
  const auto it = std::upper_bound(offsets.begin(), offsets.end(), row);
  return static_cast<std::int64_t>(it - offsets.begin()) - 1;
}

std::string describe_value(double v) { return std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"); }

// Offsets of a ragged array: G+1 entries from 0, never decreasing, ending at the rows the data has.
void check_offsets(const std::vector<std::int64_t>& offsets, std::string_view where, const std::string& name,
                   std::int64_t graphs) {
  ANNEAL_CHECK(static_cast<std::int64_t>(offsets.size()) == graphs + 1,
               "'{}': {} has {} entries, but {} graphs need {} (one more than the graphs)", where, name, offsets.size(),
               graphs, graphs + 1);
  ANNEAL_CHECK(offsets.front() == 0, "'{}': {} should start at 0, but starts at {}", where, name, offsets.front());
  for (std::int64_t g = 0; g < graphs; ++g)
    ANNEAL_CHECK(offsets[g + 1] >= offsets[g], "'{}': {} decrease at graph {} (from {} to {})", where, name, g,
                 offsets[g], offsets[g + 1]);
}

// A [rows][cols] f64 array, row r belonging to graph graph_of(offsets, r).
void check_finite_rows(const std::vector<double>& values, std::int64_t cols, const std::vector<std::int64_t>& offsets,
                       std::string_view where, const std::string& name) {
  if (cols == 0) return;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) [[likely]]
      continue;
    const auto row = static_cast<std::int64_t>(i) / cols;
    const std::int64_t g = graph_of(offsets, row);
    ANNEAL_THROW("'{}': {} row {} (graph {}, local row {}) column {} holds {}", where, name, row, g, row - offsets[g],
                 static_cast<std::int64_t>(i) % cols, describe_value(values[i]));
  }
}

void check_size(std::size_t actual, std::int64_t rows, std::int64_t cols, std::string_view where,
                const std::string& name, const char* rows_from) {
  ANNEAL_CHECK(static_cast<std::int64_t>(actual) == rows * cols,
               "'{}': {} holds {} values, but {} rows ({}) of {} columns need {}", where, name, actual, rows, rows_from,
               cols, rows * cols);
}

void validate_batch(const GraphBatch& b, std::string_view where, std::string_view root) {
  const auto name = [&](std::string_view n) { return dataset_name(root, n); };
  ANNEAL_CHECK(b.node_offsets.size() >= 2,
               "'{}': the batch holds no graphs ({} has {} entries; a batch of G graphs has G+1)", where,
               name("node_offsets"), b.node_offsets.size());
  const std::int64_t graphs = b.num_graphs();
  check_offsets(b.node_offsets, where, name("node_offsets"), graphs);
  check_offsets(b.edge_offsets, where, name("edge_offsets"), graphs);
  for (std::int64_t g = 0; g < graphs; ++g)
    ANNEAL_CHECK(b.graph_nodes(g) > 0, "'{}': graph {} has no nodes ({} [{}] = [{}] = {}); every graph needs one",
                 where, g, name("node_offsets"), g, g + 1, b.node_offsets[g]);

  const std::int64_t nodes = b.num_nodes(), edges = b.num_edges();
  const std::int64_t target_rows = b.target_level == TargetLevel::node ? nodes : graphs;
  check_size(b.node_features.size(), nodes, b.node_feature_dim(), where, name("node_features"), "the last node offset");
  check_size(b.edge_features.size(), edges, b.edge_feature_dim(), where, name("edge_features"), "the last edge offset");
  check_size(b.edge_index.size(), edges, 2, where, name("edge_index"), "the last edge offset");
  check_size(b.targets.size(), target_rows, b.target_dim(), where, name("targets"),
             b.target_level == TargetLevel::node ? "one per node" : "one per graph");

  for (std::int64_t g = 0; g < graphs; ++g) {
    const std::int64_t n = b.graph_nodes(g);
    for (std::int64_t e = b.edge_offsets[g]; e < b.edge_offsets[g + 1]; ++e) {
      for (int k = 0; k < 2; ++k) {
        const std::int64_t id = b.edge_index[2 * e + k];
        ANNEAL_CHECK(id >= 0 && id < n,
                     "'{}': {} row {} (graph {}, local edge {}) has {} {}, outside its graph's {} nodes (ids are "
                     "local to the graph: 0..{})",
                     where, name("edge_index"), e, g, e - b.edge_offsets[g], k == 0 ? "src" : "dst", id, n, n - 1);
      }
    }
  }

  check_finite_rows(b.node_features, b.node_feature_dim(), b.node_offsets, where, name("node_features"));
  check_finite_rows(b.edge_features, b.edge_feature_dim(), b.edge_offsets, where, name("edge_features"));
  if (b.target_level == TargetLevel::node) {
    check_finite_rows(b.targets, b.target_dim(), b.node_offsets, where, name("targets"));
  } else {
    std::vector<std::int64_t> per_graph(static_cast<std::size_t>(graphs) + 1);
    for (std::int64_t g = 0; g <= graphs; ++g) per_graph[g] = g;
    check_finite_rows(b.targets, b.target_dim(), per_graph, where, name("targets"));
  }
}

void write_names(H5File& file, const std::string& dataset, const std::vector<std::string>& names) {
  file.set_attribute(dataset, "names", nlohmann::json(names).dump());
}

// Column names from the JSON attribute `names`; files written by other tools (h5py) may lack it,
// and then the columns are called <prefix>0, <prefix>1, ...
std::vector<std::string> read_names(const H5File& file, const std::string& dataset, std::size_t columns,
                                    const std::string& prefix) {
  std::vector<std::string> names;
  if (!file.has_attribute(dataset, "names")) {
    for (std::size_t c = 0; c < columns; ++c) names.push_back(prefix + std::to_string(c));
    return names;
  }
  const std::string text = file.string_attribute(dataset, "names");
  try {
    names = nlohmann::json::parse(text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    ANNEAL_THROW("'{}': attribute 'names' of '{}' should be a JSON list of strings, but is '{}'", file.path().string(),
                 dataset, text);
  }
  ANNEAL_CHECK(names.size() == columns, "'{}': attribute 'names' of '{}' lists {} names for {} columns",
               file.path().string(), dataset, names.size(), columns);
  return names;
}

std::vector<std::int64_t> read_offsets(const H5File& file, const std::string& dataset) {
  require_dataset(file, dataset, {DType::i64, DType::i32}, {kAny});
  return file.read<std::int64_t>(dataset).data;
}

// A [rows][cols] float dataset; a 1-D one reads as one column.
Array<double> read_table(const H5File& file, const std::string& dataset) {
  const DatasetInfo info = file.dataset_info(dataset);
  if (info.shape.size() == 1) {
    require_dataset(file, dataset, {DType::f64, DType::f32}, {kAny});
    Array<double> a = file.read<double>(dataset);
    a.shape.push_back(1);
    return a;
  }
  require_dataset(file, dataset, {DType::f64, DType::f32}, {kAny, kAny});
  return file.read<double>(dataset);
}

}  // namespace

void GraphBatch::append(const GraphBatch& other) {
  ANNEAL_CHECK(node_feature_names == other.node_feature_names && edge_feature_names == other.edge_feature_names &&
                   target_names == other.target_names && target_level == other.target_level,
               "cannot append a batch of graphs whose feature or target names or target level differ");
  const std::int64_t n0 = num_nodes(), e0 = num_edges();
  for (std::int64_t g = 0; g < other.num_graphs(); ++g) {
    node_offsets.push_back(n0 + other.node_offsets[g + 1]);
    edge_offsets.push_back(e0 + other.edge_offsets[g + 1]);
  }
  edge_index.insert(edge_index.end(), other.edge_index.begin(), other.edge_index.end());
  node_features.insert(node_features.end(), other.node_features.begin(), other.node_features.end());
  edge_features.insert(edge_features.end(), other.edge_features.begin(), other.edge_features.end());
  targets.insert(targets.end(), other.targets.begin(), other.targets.end());
}

GraphBatch GraphBatch::slice(std::int64_t first, std::int64_t count) const {
  ANNEAL_CHECK(first >= 0 && count >= 0 && first + count <= num_graphs(),
               "graphs [{}, {}) are not in a batch of {} graphs", first, first + count, num_graphs());
  GraphBatch out;
  out.node_feature_names = node_feature_names;
  out.edge_feature_names = edge_feature_names;
  out.target_names = target_names;
  out.target_level = target_level;
  const std::int64_t n0 = node_offsets[first], n1 = node_offsets[first + count];
  const std::int64_t e0 = edge_offsets[first], e1 = edge_offsets[first + count];
  for (std::int64_t g = first; g < first + count; ++g) {
    out.node_offsets.push_back(node_offsets[g + 1] - n0);
    out.edge_offsets.push_back(edge_offsets[g + 1] - e0);
  }
  const auto copy = []<class T>(const std::vector<T>& from, std::int64_t begin, std::int64_t end, std::int64_t width,
                                std::vector<T>& to) {
    to.assign(from.begin() + begin * width, from.begin() + end * width);
  };
  copy(edge_index, e0, e1, 2, out.edge_index);
  copy(node_features, n0, n1, node_feature_dim(), out.node_features);
  copy(edge_features, e0, e1, edge_feature_dim(), out.edge_features);
  if (target_level == TargetLevel::node)
    copy(targets, n0, n1, target_dim(), out.targets);
  else
    copy(targets, first, first + count, target_dim(), out.targets);
  return out;
}

void GraphBatch::validate(std::string_view where) const { validate_batch(*this, where, "/"); }

void write_graph_batch(H5File& file, const GraphBatch& batch, std::string_view root) {
  // Refuse to write what read_graph_batch would refuse to read.
  validate_batch(batch, file.path().string(), root);
  const auto G = static_cast<std::size_t>(batch.num_graphs());
  const auto N = static_cast<std::size_t>(batch.num_nodes());
  const auto E = static_cast<std::size_t>(batch.num_edges());
  file.write<std::int64_t>(full_path(root, "node_offsets"), batch.node_offsets, {G + 1});
  file.write<std::int64_t>(full_path(root, "edge_offsets"), batch.edge_offsets, {G + 1});
  file.write<std::int64_t>(full_path(root, "edge_index"), batch.edge_index, {E, 2});
  const std::string nf = full_path(root, "node_features");
  file.write<double>(nf, batch.node_features, {N, batch.node_feature_names.size()});
  write_names(file, nf, batch.node_feature_names);
  if (batch.edge_feature_dim() > 0) {
    const std::string ef = full_path(root, "edge_features");
    file.write<double>(ef, batch.edge_features, {E, batch.edge_feature_names.size()});
    write_names(file, ef, batch.edge_feature_names);
  }
  if (batch.target_dim() > 0) {
    const std::string t = full_path(root, "targets");
    const bool node = batch.target_level == TargetLevel::node;
    file.write<double>(t, batch.targets, {node ? N : G, batch.target_names.size()});
    write_names(file, t, batch.target_names);
    file.set_attribute(t, "level", std::string(node ? "node" : "graph"));
  }
}

namespace {

// <root>/<kind>_features with one row per node or edge (`rows`, where <kind>_offsets end) and its
// column names.
void read_features(const H5File& file, std::string_view root, const std::string& kind, std::int64_t rows,
                   std::vector<double>& values, std::vector<std::string>& names) {
  const std::string name = kind + "_features", path = full_path(root, name);
  Array<double> table = read_table(file, path);
  ANNEAL_CHECK(static_cast<std::int64_t>(table.shape[0]) == rows, "'{}': {}_offsets end at {}, but {} has {} rows (one per {})",
               file.path().string(), kind, rows, dataset_name(root, name), table.shape[0], kind);
  names = read_names(file, path, table.shape[1], kind + "_feature_");
  values = std::move(table.data);
}

}  // namespace

GraphBatch read_graph_batch(const H5File& file, std::string_view root) {
  const std::string where = file.path().string();
  GraphBatch b;
  b.node_offsets = read_offsets(file, full_path(root, "node_offsets"));
  ANNEAL_CHECK(b.node_offsets.size() >= 2,
               "'{}': the batch holds no graphs ({} has {} entries; a batch of G graphs has G+1)", where,
               dataset_name(root, "node_offsets"), b.node_offsets.size());
  b.edge_offsets = read_offsets(file, full_path(root, "edge_offsets"));
  const std::int64_t graphs = b.num_graphs();
  check_offsets(b.node_offsets, where, dataset_name(root, "node_offsets"), graphs);
  check_offsets(b.edge_offsets, where, dataset_name(root, "edge_offsets"), graphs);

  read_features(file, root, "node", b.num_nodes(), b.node_features, b.node_feature_names);

  const std::string ei = full_path(root, "edge_index");
  require_dataset(file, ei, {DType::i64, DType::i32}, {kAny, 2});
  b.edge_index = file.read<std::int64_t>(ei).data;
  ANNEAL_CHECK(static_cast<std::int64_t>(b.edge_index.size() / 2) == b.num_edges(),
               "'{}': edge_offsets end at {}, but {} has {} rows (one per edge)", where, b.num_edges(),
               dataset_name(root, "edge_index"), b.edge_index.size() / 2);

  if (file.exists(full_path(root, "edge_features")))
    read_features(file, root, "edge", b.num_edges(), b.edge_features, b.edge_feature_names);

  // Targets are optional: a file to predict on need not have them.
  const std::string t = full_path(root, "targets");
  if (file.exists(t)) {
    Array<double> targets = read_table(file, t);
    const auto rows = static_cast<std::int64_t>(targets.shape[0]);
    if (file.has_attribute(t, "level")) {
      const std::string level = file.string_attribute(t, "level");
      ANNEAL_CHECK(level == "node" || level == "graph",
                   "'{}': attribute 'level' of '{}' should be \"node\" or \"graph\", but is \"{}\"", where, t, level);
      b.target_level = level == "node" ? TargetLevel::node : TargetLevel::graph;
    } else {
      // Written without the attribute (by hand, h5py): the row count says which, nodes first.
      b.target_level = rows == b.num_nodes() ? TargetLevel::node : TargetLevel::graph;
    }
    const bool node = b.target_level == TargetLevel::node;
    ANNEAL_CHECK(rows == (node ? b.num_nodes() : graphs), "'{}': {} has {} rows, but {}-level targets need {}", where,
                 dataset_name(root, "targets"), rows, node ? "node" : "graph", node ? b.num_nodes() : graphs);
    b.target_names = read_names(file, t, targets.shape[1], "target_");
    b.targets = std::move(targets.data);
  }
  validate_batch(b, where, root);
  return b;
}

}  // namespace anneal::io
