#pragma once
// `anneal cgs train` and `anneal cgs eval`: a model trained on a graph-batch file (written by
// `anneal cgs generate` or by the user, docs/file-format.md) is saved with everything needed to use
// it, and applied to other files with the metrics written beside the predictions.
//
// Model file (an nn checkpoint, so it also holds the optimizer and can be inspected like one):
//   /model/<parameter path>     the weights
//   /architecture               attributes: `json` (ModelOptions + sizes), `node_features`,
//                               `edge_features`, `targets` (the column names it was trained on),
//                               `system`; datasets target_mean [T], target_scale [T]
//   /history/*                  per epoch: train_loss, validation_mse, seconds, learning_rate,
//                               max_forward_iterations, max_adjoint_iterations
//   /meta                       provenance (the training data's SHA-256 among it)
// Eval file: the input batch (node_offsets, edge_offsets, edge_index, features, targets, extras),
//   /predictions [N][T], /graph_mse [G], and attributes on "/": mse, mape, policy_accuracy (MDPs),
//   model, solver figures, eval_seconds, nodes, edges.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/provenance.hpp"
#include "physics/graph/graph_training.hpp"

namespace anneal::physics::graph {

struct TrainRunOptions {
  std::filesystem::path data, output;
  ModelOptions model;
  TrainOptions train;
  std::uint64_t init_seed = 0;  // the weights' initialisation
  io::Provenance provenance;
};

struct TrainRunResult {
  TrainResult train;
  std::int64_t parameters = 0;
};

TrainRunResult run_train(const TrainRunOptions& options);

struct LoadedModel {
  ModelOptions options;
  ModelSizes sizes;
  TargetScaling scaling;
  std::vector<std::string> node_features, edge_features, targets;
  std::string system;
  std::shared_ptr<GraphModel> model;
};

// Changes to how a trained model solves its fixed points (the weights do not depend on it), e.g.
// Anderson with a longer memory for one large graph. Empty / 0: as trained.
struct SolverOverrides {
  std::string forward_solver;
  std::int64_t max_iterations = 0;
  double tolerance = 0;
  int anderson_memory = 0;
};

LoadedModel load_model(const std::filesystem::path& path, const SolverOverrides& overrides = {});

struct EvalRunOptions {
  std::filesystem::path model, data, output;
  std::int64_t batch_graphs = 0;  // graphs per forward pass (0: all at once)
  SolverOverrides solver;
  io::Provenance provenance;
};

struct Metrics {
  double mse = 0;
  double mape = 0;  // mean |ŷ − y| / |y| over nodes with |y| ≥ 1e-3 max|y| (zero targets would divide by 0)
  double policy_accuracy = -1;  // MDPs: fraction of states whose greedy action under ŷ is optimal; −1 otherwise
  std::int64_t graphs = 0, nodes = 0, edges = 0;
  Prediction prediction;
};

Metrics run_eval(const EvalRunOptions& options);

// MAPE as defined in Metrics.
double mean_absolute_percentage_error(const std::vector<double>& prediction, const std::vector<double>& target);

}  // namespace anneal::physics::graph
