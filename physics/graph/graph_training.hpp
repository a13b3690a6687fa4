#pragma once
// Training and applying the node-level graph models: standardised targets, mini-batches of whole
// graphs (a batch is one disjoint graph), Adam with a cosine learning-rate decay and gradient
// clipping, a held-out validation split, the loss history and progress lines. Predictions come
// back in the data's own units.
#include <cstdint>
#include <vector>

#include "io/graph_batch.hpp"
#include "physics/graph/graph_model.hpp"

namespace anneal::physics::graph {

// Per target column: the model predicts (y − mean) / scale.
struct TargetScaling {
  std::vector<double> mean, scale;
  static TargetScaling fit(const io::GraphBatch& data);  // over every node of `data` (the training graphs)
};

struct TrainOptions {
  std::int64_t epochs = 100;
  std::int64_t batch_graphs = 16;  // graphs per mini-batch
  double learning_rate = 3e-3;     // cosine decay to min_learning_rate over the epochs
  double min_learning_rate = 3e-5;
  double clip_norm = 10.0;           // global gradient norm (0: no clipping)
  double validation_fraction = 0.1;  // the last graphs of the file, never trained on
  std::uint64_t seed = 0;            // shuffling
  bool progress = true;
};

struct TrainHistory {
  std::vector<std::int64_t> epoch;
  std::vector<double> train_loss;      // mean standardised MSE over the epoch's batches
  std::vector<double> validation_mse;  // in the targets' units
  std::vector<double> seconds;         // since the start of training
  std::vector<double> learning_rate;
  std::vector<std::int64_t> max_forward_iterations, max_adjoint_iterations;  // implicit models
};

struct TrainResult {
  TrainHistory history;
  double seconds = 0;
  double validation_mse = 0;
  std::int64_t unconverged_solves = 0;  // batches whose forward or adjoint solve missed its tolerance
};

// The graphs trained on: the first ones, all but the validation fraction (rounded down).
std::int64_t training_graphs(std::int64_t graphs, const TrainOptions& options);

TrainResult train_model(GraphModel& model, const io::GraphBatch& data, const TargetScaling& scaling,
                        const TrainOptions& options, nn::DType dtype);

struct Prediction {
  std::vector<double> values;  // [N][T], the targets' units
  SolveDiagnostics worst;      // the worst solve over the batches
  double seconds = 0;
};

// Without recording gradients, `batch_graphs` graphs at a time (0: all at once).
Prediction predict(const GraphModel& model, const io::GraphBatch& data, const TargetScaling& scaling, nn::DType dtype,
                   std::int64_t batch_graphs = 0);

double mean_squared_error(const std::vector<double>& prediction, const std::vector<double>& target);

}  // namespace anneal::physics::graph
