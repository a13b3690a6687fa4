// The graph models against independent answers: contraction by construction on random parameters,
// the CGS fixed point against a dense solve of the same maps, whole-model gradients against finite
// differences, batched against one-graph-at-a-time evaluation, and awkward graphs (isolated nodes,
// self-loops, duplicate edges, several components).
#include <Eigen/Dense>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "nn/autograd.hpp"
#include "nn/ops.hpp"
#include "physics/graph/cgs_model.hpp"
#include "physics/graph/graph_training.hpp"
#include "physics/graph/ignn_model.hpp"
#include "solvers/implicit/linear_fixed_point.hpp"
#include "tests/unit/nn/gradcheck.hpp"

namespace {

using namespace anneal;
using namespace anneal::physics::graph;

// Two graphs: graph 0 has a self-loop, a duplicate edge and an isolated node; graph 1 has two
// components. Features are random.
io::GraphBatch awkward_batch(std::uint64_t seed) {
  io::GraphBatch b;
  b.node_feature_names = {"f0", "f1", "f2"};
  b.edge_feature_names = {"e0", "e1"};
  b.target_names = {"y"};
  b.node_offsets = {0, 6, 11};
  b.edge_index = {0, 1, 1, 0, 1, 2, 2, 1, 2, 2, 0, 1, 3, 4, 4, 3,  // graph 0 (node 5 isolated)
                  0, 1, 1, 0, 1, 2, 2, 0, 3, 4, 4, 3};             // graph 1: {0,1,2} and {3,4}
  b.edge_offsets = {0, 8, 14};
  RandomStream rng(seed, 0);
  for (int i = 0; i < 11 * 3; ++i) b.node_features.push_back(rng.uniform() * 2 - 1);
  for (int i = 0; i < 14 * 2; ++i) b.edge_features.push_back(rng.uniform() * 2);
  for (int i = 0; i < 11; ++i) b.targets.push_back(rng.uniform());
  b.validate("test batch");
  return b;
}

ModelOptions small_options(ModelKind kind) {
  ModelOptions o;
  o.kind = kind;
  o.hidden = 6;
  o.heads = 3;
  o.layers = 1;
  o.activation = nn::Activation::tanh;
  o.solver.iteration.tolerance = 1e-14;
  o.solver.iteration.max_iterations = 5000;
  o.ignn_iteration.tolerance = 1e-14;
  o.ignn_iteration.max_iterations = 5000;
  return o;
}

const ModelSizes kSizes{3, 2, 1};

// Scales every parameter, so that logits and gates leave any gentle range.
void scale_parameters(nn::Module& m, double factor) {
  for (nn::Tensor p : m.parameters()) p.copy_(nn::mul(p.detach(), factor));
}

}  // namespace

TEST_CASE("every CGS head contracts by construction, for random parameters of any size", "[cgs]") {
  const GraphInput input = make_graph_input(awkward_batch(1), nn::DType::f64);
  for (Contraction contraction : {Contraction::softmax, Contraction::clipped}) {
    for (std::uint64_t seed = 0; seed < 5; ++seed) {
      ModelOptions o = small_options(ModelKind::cgs);
      o.contraction = contraction;
      RandomStream rng(seed, 0);
      CgsModel model(o, kSizes, rng);
      scale_parameters(model, 1.0 + 10.0 * static_cast<double>(seed));
      const auto maps = model.maps(input);
      const double norm = solvers::max_row_abs_sum(input.edges, maps.a, input.nodes());
      if (contraction == Contraction::softmax) {
        CHECK(norm < 1.0);
      } else {
        CHECK(norm <= 1.0 + 1e-15);
      }
    }
  }
}

TEST_CASE("the CGS fixed point equals a dense solve of the encoder's maps; γ = 1 included", "[cgs]") {
  const io::GraphBatch batch = awkward_batch(2);
  const GraphInput input = make_graph_input(batch, nn::DType::f64);
  for (double gamma : {0.5, 1.0}) {
    ModelOptions o = small_options(ModelKind::cgs);
    o.gamma = gamma;
    RandomStream rng(3, 0);
    CgsModel model(o, kSizes, rng);
    const auto maps = model.maps(input);
    const auto x = solvers::linear_fixed_point(input.edges, maps.a, maps.b, gamma, o.solver).to_vector();
    const auto a = maps.a.to_vector(), b = maps.b.to_vector();
    const std::int64_t n = input.nodes(), heads = o.heads;
    for (std::int64_t h = 0; h < heads; ++h) {
      Eigen::MatrixXd m = Eigen::MatrixXd::Identity(n, n);
      Eigen::VectorXd rhs(n);
      for (std::int64_t e = 0; e < input.edges.size(); ++e)
        m(input.edges.dst[e], input.edges.src[e]) -= gamma * a[e * heads + h];
      for (std::int64_t i = 0; i < n; ++i) rhs(i) = b[i * heads + h];
      const Eigen::VectorXd exact = m.fullPivLu().solve(rhs);
      for (std::int64_t i = 0; i < n; ++i) CHECK(x[i * heads + h] == Approx(exact(i)).margin(1e-11));
      // The isolated node has no incoming edge: its fixed point is its bias.
      CHECK(x[5 * heads + h] == Approx(b[5 * heads + h]).margin(1e-14));
    }
  }
}

TEST_CASE("whole-model gradients equal finite differences (cgs, ignn; f64)", "[cgs]") {
  const GraphInput input = make_graph_input(awkward_batch(4), nn::DType::f64);
  for (ModelKind kind : {ModelKind::cgs, ModelKind::ignn}) {
    for (Contraction contraction : {Contraction::softmax, Contraction::clipped}) {
      if (kind == ModelKind::ignn && contraction == Contraction::clipped) continue;
      ModelOptions o = small_options(kind);
      o.contraction = contraction;
      o.gamma = 0.9;
      RandomStream rng(5, 0);
      auto model = make_model(o, kSizes, rng);
      // A few parameter tensors on the way to the fixed point and past it (checking all is slow).
      std::vector<nn::Tensor> checked;
      for (const auto& [name, p] : model->named_parameters())
        if (name == "edge_map.1.weight" || name == "edge_map.1.bias" || name == "bias_map.1.bias" ||
            name == "node_encoder.0.bias" || name == "weight" || name == "injection.1.bias" || name == "decoder.1.bias")
          checked.push_back(p);
      REQUIRE(!checked.empty());
      test::GradcheckOptions fd;
      fd.h = 1e-4;  // the clipped map has kinks; a small step keeps clear of them
      test::require_gradcheck([&](const std::vector<nn::Tensor>&) { return model->forward(input); }, checked, 1e-6, fd);
    }
  }
}

TEST_CASE("batched and one-graph-at-a-time predictions agree (cgs, mpnn, ignn)", "[cgs]") {
  const io::GraphBatch batch = awkward_batch(6);
  const TargetScaling scaling = TargetScaling::fit(batch);
  for (ModelKind kind : {ModelKind::cgs, ModelKind::mpnn, ModelKind::ignn}) {
    RandomStream rng(7, 0);
    auto model = make_model(small_options(kind), kSizes, rng);
    const auto together = predict(*model, batch, scaling, nn::DType::f64, 0).values;
    const auto apart = predict(*model, batch, scaling, nn::DType::f64, 1).values;
    REQUIRE(together.size() == apart.size());
    for (std::size_t i = 0; i < apart.size(); ++i) CHECK(together[i] == Approx(apart[i]).margin(1e-10));
  }
}

TEST_CASE("IGNN keeps ‖W‖∞ ≤ κ for any raw weight", "[cgs]") {
  ModelOptions o = small_options(ModelKind::ignn);
  o.kappa = 0.9;
  RandomStream rng(8, 0);
  IgnnModel model(o, kSizes, rng);
  scale_parameters(model, 50.0);
  const nn::Tensor w = model.contracted_weight();
  const auto v = w.to_vector();
  const std::int64_t d = w.size(0);
  for (std::int64_t i = 0; i < d; ++i) {
    double row = 0;
    for (std::int64_t j = 0; j < d; ++j) row += std::abs(v[i * d + j]);
    CHECK(row <= 0.9 + 1e-12);
  }
}

TEST_CASE("training CGS lowers the validation error on pore-like data", "[cgs]") {
  // Targets that need the whole graph: the steady state of a random-walk averaging on each graph,
  // solved exactly here, so the test does not depend on the generators.
  io::GraphBatch data;
  for (std::uint64_t g = 0; g < 80; ++g) {
    io::GraphBatch one = awkward_batch(100 + g);
    const GraphInput in = make_graph_input(one, nn::DType::f64);
    const std::int64_t n = in.nodes();
    Eigen::MatrixXd m = Eigen::MatrixXd::Identity(n, n);
    Eigen::VectorXd rhs(n);
    for (std::int64_t i = 0; i < n; ++i) rhs(i) = one.node_features[i * 3];
    for (std::int64_t e = 0; e < in.edges.size(); ++e) m(in.edges.dst[e], in.edges.src[e]) -= 0.3;
    const Eigen::VectorXd y = m.fullPivLu().solve(rhs);
    for (std::int64_t i = 0; i < n; ++i) one.targets[i] = y(i);
    if (g == 0)
      data = one;
    else
      data.append(one);
  }
  ModelOptions o = small_options(ModelKind::cgs);
  o.hidden = 16;
  o.gamma = 1.0;  // 0.3 per edge with up to 3 edges per row needs γ · gate > 0.9
  o.solver.iteration.tolerance = 1e-10;
  RandomStream rng(9, 0);
  auto model = make_model(o, kSizes, rng);
  const TargetScaling scaling = TargetScaling::fit(data);
  TrainOptions t;
  t.epochs = 1;
  t.batch_graphs = 8;
  t.validation_fraction = 0.25;
  t.progress = false;
  const double before = train_model(*model, data, scaling, t, nn::DType::f64).validation_mse;
  t.epochs = 100;
  t.learning_rate = 1e-2;
  const TrainResult after = train_model(*model, data, scaling, t, nn::DType::f64);
  INFO("validation MSE " << before << " after one epoch, " << after.validation_mse << " after 100 more; train loss " << after.history.train_loss.back());
  CHECK(after.validation_mse < 0.1 * before);
  CHECK(after.unconverged_solves == 0);
}
