// MessagePassing (nn/message_passing.hpp): the forward pass against a hand-written loop over edges
// and nodes, gradients against finite differences, batching as a disjoint union, and learning a
// graph quantity (in-degree) that only message passing can see.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/adam.hpp"
#include "nn/message_passing.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;

namespace {

// 5 nodes: 1 receives from 0, 2 and 3; 2 from 4 and 0; 0 from 1; 3 and 4 receive nothing.
// 0 -> 1 and 1 -> 0 are both present with different features, so swapping src and dst shows.
EdgeIndex small_graph() { return EdgeIndex::from_pairs(std::vector<std::int64_t>{0, 1, 2, 1, 3, 1, 1, 0, 4, 2, 0, 2}); }

// Row `r` of a [rows, cols] f64 tensor's values.
std::vector<double> row(const std::vector<double>& values, std::int64_t cols, std::int64_t r) {
  return {values.begin() + r * cols, values.begin() + (r + 1) * cols};
}

// x W + b for one Linear layer, from its parameters.
std::vector<double> affine(const Linear& layer, const std::vector<double>& x) {
  const std::vector<double> w = layer.weight().to_vector(), b = layer.bias().to_vector();
  const std::int64_t out = layer.out_features();
  REQUIRE(static_cast<std::int64_t>(x.size()) == layer.in_features());
  std::vector<double> y = b;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::int64_t k = 0; k < out; ++k)
      y[static_cast<std::size_t>(k)] += x[i] * w[i * static_cast<std::size_t>(out) + static_cast<std::size_t>(k)];
  return y;
}

// The layer's formula, evaluated edge by edge and node by node (one-Linear MLPs only).
std::vector<double> reference_forward(const MessagePassing& mp, const Tensor& h, const EdgeIndex& edges,
                                      const Tensor& edge_features) {
  const auto& sz = mp.sizes();
  const std::int64_t n = h.size(0), f = sz.node_in, m = sz.message;
  const std::vector<double> hv = h.to_vector();
  const std::vector<double> ev = edge_features.defined() ? edge_features.to_vector() : std::vector<double>{};
  std::vector<std::vector<double>> messages;
  for (std::int64_t e = 0; e < edges.size(); ++e) {
    std::vector<double> in = row(hv, f, edges.src[static_cast<std::size_t>(e)]);
    const std::vector<double> dst = row(hv, f, edges.dst[static_cast<std::size_t>(e)]);
    in.insert(in.end(), dst.begin(), dst.end());
    if (sz.edge_in > 0) {
      const std::vector<double> fe = row(ev, sz.edge_in, e);
      in.insert(in.end(), fe.begin(), fe.end());
    }
    messages.push_back(affine(*mp.edge_mlp().layers()[0], in));
  }
  std::vector<double> out;
  for (std::int64_t node = 0; node < n; ++node) {
    std::vector<double> agg(static_cast<std::size_t>(m), 0.0);
    int count = 0;
    for (std::int64_t e = 0; e < edges.size(); ++e) {
      if (edges.dst[static_cast<std::size_t>(e)] != node) continue;
      for (std::size_t k = 0; k < agg.size(); ++k) {
        const double v = messages[static_cast<std::size_t>(e)][k];
        agg[k] = mp.aggregation() == Aggregation::max ? (count == 0 ? v : std::max(agg[k], v)) : agg[k] + v;
      }
      ++count;
    }
    if (mp.aggregation() == Aggregation::mean && count > 0)
      for (auto& a : agg) a /= count;
    std::vector<double> in = row(hv, f, node);
    in.insert(in.end(), agg.begin(), agg.end());
    std::vector<double> y = affine(*mp.node_mlp().layers()[0], in);
    if (mp.residual())
      for (std::size_t k = 0; k < y.size(); ++k) y[k] += in[k];
    out.insert(out.end(), y.begin(), y.end());
  }
  return out;
}

}  // namespace

TEST_CASE("graph: MessagePassing forward matches the formula edge by edge", "[nn][graph]") {
  const EdgeIndex edges = small_graph();
  const Tensor h = randn64({5, 3}, 20);
  const Tensor ef = randn64({edges.size(), 2}, 21);
  for (Aggregation agg : {Aggregation::sum, Aggregation::mean, Aggregation::max}) {
    for (bool with_edges : {false, true}) {
      for (bool residual : {false, true}) {
        DYNAMIC_SECTION(to_string(agg) << (with_edges ? ", edge features" : "") << (residual ? ", residual" : "")) {
          anneal::RandomStream rng(30, 0);
          const MessagePassing mp({.node_in = 3, .edge_in = with_edges ? 2 : 0, .message = 4, .node_out = 3}, agg,
                                  Activation::tanh, rng, DType::f64, residual);
          const Tensor e = with_edges ? ef : Tensor();
          const Tensor out = mp.forward(h, edges, e);
          REQUIRE(out.shape() == Shape{5, 3});
          CHECK(max_rel_diff(out.to_vector(), reference_forward(mp, h, edges, e), 1e-6) <= 1e-13);
        }
      }
    }
  }
  SECTION("f32, and a graph without edges") {
    anneal::RandomStream rng(31, 0);
    const MessagePassing mp({.node_in = 3, .message = 4, .node_out = 2, .hidden = {8}}, Aggregation::max,
                            Activation::silu, rng, DType::f32);
    const Tensor out = mp.forward(h.to(DType::f32), edges);
    CHECK(out.dtype() == DType::f32);
    CHECK(out.shape() == Shape{5, 2});
    const Tensor lonely = mp.forward(h.to(DType::f32), EdgeIndex{});
    CHECK(lonely.shape() == Shape{5, 2});
    for (double v : lonely.to_vector()) CHECK(std::isfinite(v));
  }
}

TEST_CASE("graph: MessagePassing gradients match finite differences", "[nn][graph]") {
  const EdgeIndex edges = small_graph();
  for (Aggregation agg : {Aggregation::sum, Aggregation::mean, Aggregation::max}) {
    DYNAMIC_SECTION(to_string(agg)) {
      anneal::RandomStream rng(40, 0);
      const MessagePassing mp({.node_in = 3, .edge_in = 2, .message = 4, .node_out = 3, .hidden = {5}}, agg,
                              Activation::tanh, rng, DType::f64, /*residual=*/true);
      // Node and edge features, then every parameter: the layer reads its parameters in place, so
      // the checker's perturbations of them reach the forward pass.
      std::vector<Tensor> inputs{randn64({5, 3}, 41), randn64({edges.size(), 2}, 42)};
      for (const Tensor& p : mp.parameters()) inputs.push_back(p);
      require_gradcheck([&](const std::vector<Tensor>& in) { return mp.forward(in[0], edges, in[1]); }, inputs);
    }
  }
}

TEST_CASE("graph: a batch of graphs is their disjoint union", "[nn][graph]") {
  anneal::RandomStream rng(50, 0);
  const MessagePassing mp({.node_in = 3, .edge_in = 1, .message = 4, .node_out = 2, .hidden = {6}}, Aggregation::sum,
                          Activation::silu, rng, DType::f64);
  const EdgeIndex a = small_graph();                                                       // 5 nodes
  const EdgeIndex b = EdgeIndex::from_pairs(std::vector<std::int64_t>{0, 1, 1, 2, 2, 0});  // 3 nodes
  const Tensor ha = randn64({5, 3}, 51), hb = randn64({3, 3}, 52);
  const Tensor ea = randn64({a.size(), 1}, 53), eb = randn64({b.size(), 1}, 54);
  EdgeIndex both = a;
  for (std::int64_t e = 0; e < b.size(); ++e) {  // b's node ids shifted by node_offsets[1] = 5
    both.src.push_back(b.src[static_cast<std::size_t>(e)] + 5);
    both.dst.push_back(b.dst[static_cast<std::size_t>(e)] + 5);
  }
  const std::vector<double> joint = mp.forward(concat({ha, hb}, 0), both, concat({ea, eb}, 0)).to_vector();
  std::vector<double> separate = mp.forward(ha, a, ea).to_vector();
  const std::vector<double> second = mp.forward(hb, b, eb).to_vector();
  separate.insert(separate.end(), second.begin(), second.end());
  CHECK(max_rel_diff(joint, separate, 1e-6) <= 1e-13);
}

TEST_CASE("graph: MessagePassing rejects inconsistent inputs", "[nn][graph]") {
  anneal::RandomStream rng(60, 0);
  const MessagePassing plain({.node_in = 2, .message = 3, .node_out = 2}, Aggregation::sum, Activation::tanh, rng,
                             DType::f64);
  const MessagePassing with_edges({.node_in = 2, .edge_in = 3, .message = 3, .node_out = 2}, Aggregation::mean,
                                  Activation::tanh, rng, DType::f64);
  const Tensor h = randn64({4, 2}, 61);
  const EdgeIndex edges = EdgeIndex::from_pairs(std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK_THROWS_AS(plain.forward(h, edges, randn64({2, 3}, 62)), anneal::Error);       // features to a layer without
  CHECK_THROWS_AS(with_edges.forward(h, edges), anneal::Error);                       // none where required
  CHECK_THROWS_AS(with_edges.forward(h, edges, randn64({2, 2}, 63)), anneal::Error);  // wrong width
  CHECK_THROWS_AS(with_edges.forward(h, edges, randn64({3, 3}, 64)), anneal::Error);  // wrong count
  CHECK_THROWS_AS(plain.forward(randn64({4, 3}, 65), edges), anneal::Error);          // wrong node width
  CHECK_THROWS_AS(plain.forward(h, EdgeIndex::from_pairs(std::vector<std::int64_t>{0, 4})), anneal::Error);
  CHECK_THROWS_AS(plain.forward(h, EdgeIndex{{0, 1}, {1}}), anneal::Error);
  CHECK_THROWS_AS(EdgeIndex::from_pairs(std::vector<std::int64_t>{0, 1, 2}), anneal::Error);
  CHECK_THROWS_AS(MessagePassing({.node_in = 2, .message = 3, .node_out = 4}, Aggregation::sum, Activation::tanh, rng,
                                 DType::f64, /*residual=*/true),
                  anneal::Error);
  CHECK(parse_aggregation("max") == Aggregation::max);
  CHECK(to_string(parse_aggregation("mean")) == "mean");
  CHECK_THROWS_AS(parse_aggregation("median"), anneal::Error);
}

namespace {

// Erdős–Rényi digraphs (each ordered pair an edge with probability p), batched as one disjoint
// graph. The input feature of every node is 1; the target is its in-degree.
struct Batch {
  std::int64_t nodes = 0;
  EdgeIndex edges;
  std::vector<double> in_degree;
};

Batch random_graphs(std::int64_t count, std::uint64_t first_stream, double p) {
  Batch batch;
  for (std::int64_t g = 0; g < count; ++g) {
    anneal::RandomStream rng(2024, first_stream + static_cast<std::uint64_t>(g));  // one stream per graph
    const auto n = static_cast<std::int64_t>(10 + rng.uniform_int(21));            // 10..30 nodes
    batch.in_degree.resize(static_cast<std::size_t>(batch.nodes + n), 0.0);
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        if (i != j && rng.uniform() < p) {
          batch.edges.src.push_back(batch.nodes + i);
          batch.edges.dst.push_back(batch.nodes + j);
          batch.in_degree[static_cast<std::size_t>(batch.nodes + j)] += 1.0;
        }
    batch.nodes += n;
  }
  return batch;
}

}  // namespace

TEST_CASE("graph: a message-passing net learns node in-degree", "[nn][graph]") {
  // Every node looks the same (feature 1), so only the aggregation over incoming edges can tell
  // the in-degree. Held-out graphs come from other random streams.
  const Batch train = random_graphs(20, 0, 0.2), test = random_graphs(10, 1000, 0.2);
  const double max_train = *std::max_element(train.in_degree.begin(), train.in_degree.end());
  const double max_test = *std::max_element(test.in_degree.begin(), test.in_degree.end());
  INFO("train: " << train.nodes << " nodes, " << train.edges.size() << " edges, max in-degree " << max_train);
  INFO("test: " << test.nodes << " nodes, " << test.edges.size() << " edges, max in-degree " << max_test);

  anneal::RandomStream rng(7, 0);
  const MessagePassing mp({.node_in = 1, .message = 8, .node_out = 1, .hidden = {16}}, Aggregation::sum,
                          Activation::silu, rng, DType::f32);
  Adam adam(mp.parameters(), {.learning_rate = 1e-2});
  const Tensor x_train = Tensor::ones({train.nodes, 1}), x_test = Tensor::ones({test.nodes, 1});
  const Tensor y_train = Tensor::from_vector(train.in_degree, {train.nodes, 1});

  const auto start = std::chrono::steady_clock::now();
  double loss_value = 0.0;
  const int steps = 600;
  for (int step = 0; step < steps; ++step) {
    adam.zero_grad();
    const Tensor loss = mean(square(sub(mp.forward(x_train, train.edges), y_train)));
    loss.backward();
    adam.step();
    loss_value = loss.item();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> predicted;
  {
    NoGrad no_grad;
    predicted = mp.forward(x_test, test.edges).to_vector();
  }
  double mae = 0.0;
  for (std::size_t i = 0; i < predicted.size(); ++i) mae += std::abs(predicted[i] - test.in_degree[i]);
  mae /= static_cast<double>(predicted.size());
  INFO("final training MSE " << loss_value << ", held-out MAE " << mae << ", " << steps << " Adam steps in " << seconds
                             << " s");
  CHECK(mae < 0.05);
}
