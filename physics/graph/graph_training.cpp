#include "physics/graph/graph_training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "nn/adam.hpp"
#include "nn/autograd.hpp"
#include "nn/grad_clip.hpp"
#include "nn/ops.hpp"

namespace anneal::physics::graph {
namespace {

// The graphs `ids` of `data` as one batch.
io::GraphBatch gather(const io::GraphBatch& data, const std::vector<std::int64_t>& ids) {
  io::GraphBatch batch = data.slice(ids.front(), 1);
  for (std::size_t k = 1; k < ids.size(); ++k) batch.append(data.slice(ids[k], 1));
  return batch;
}

io::GraphBatch standardised(io::GraphBatch batch, const TargetScaling& s) {
  const std::size_t t = s.mean.size();
  for (std::size_t i = 0; i < batch.targets.size(); ++i)
    batch.targets[i] = (batch.targets[i] - s.mean[i % t]) / s.scale[i % t];
  return batch;
}

void worst_of(SolveDiagnostics& worst, const SolveDiagnostics& d) {
  worst.forward_iterations = std::max(worst.forward_iterations, d.forward_iterations);
  worst.adjoint_iterations = std::max(worst.adjoint_iterations, d.adjoint_iterations);
  worst.forward_residual = std::max(worst.forward_residual, d.forward_residual);
  worst.adjoint_residual = std::max(worst.adjoint_residual, d.adjoint_residual);
  worst.converged = worst.converged && d.converged;
  worst.amplification = std::max(worst.amplification, d.amplification);
}

}  // namespace

TargetScaling TargetScaling::fit(const io::GraphBatch& data) {
  const std::size_t t = static_cast<std::size_t>(data.target_dim());
  const std::size_t n = static_cast<std::size_t>(data.num_nodes());
  TargetScaling s;
  s.mean.assign(t, 0.0);
  s.scale.assign(t, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < t; ++c) s.mean[c] += data.targets[i * t + c] / static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < t; ++c)
      s.scale[c] += std::pow(data.targets[i * t + c] - s.mean[c], 2) / static_cast<double>(n);
  for (double& v : s.scale) v = v > 0 ? std::sqrt(v) : 1.0;  // a constant target is left unscaled
  return s;
}

double mean_squared_error(const std::vector<double>& prediction, const std::vector<double>& target) {
  ANNEAL_CHECK(prediction.size() == target.size() && !target.empty(), "MSE of {} predictions against {} targets",
               prediction.size(), target.size());
  double s = 0;
  for (std::size_t i = 0; i < target.size(); ++i) s += (prediction[i] - target[i]) * (prediction[i] - target[i]);
  return s / static_cast<double>(target.size());
}

Prediction predict(const GraphModel& model, const io::GraphBatch& data, const TargetScaling& scaling, nn::DType dtype,
                   std::int64_t batch_graphs) {
  nn::NoGrad no_record;
  const Stopwatch watch;
  const std::int64_t g = data.num_graphs(), per = batch_graphs > 0 ? batch_graphs : g;
  const std::size_t t = scaling.mean.size();
  Prediction p;
  p.values.reserve(data.targets.size());
  for (std::int64_t first = 0; first < g; first += per) {
    const GraphInput input = make_graph_input(data.slice(first, std::min(per, g - first)), dtype);
    const std::vector<double> out = model.forward(input).to_vector();
    worst_of(p.worst, model.diagnostics());
    for (std::size_t i = 0; i < out.size(); ++i)
      p.values.push_back(out[i] * scaling.scale[i % t] + scaling.mean[i % t]);
  }
  p.seconds = watch.seconds();
  return p;
}

std::int64_t training_graphs(std::int64_t graphs, const TrainOptions& options) {
  ANNEAL_CHECK(options.validation_fraction >= 0 && options.validation_fraction < 1,
               "validation_fraction must lie in [0, 1), got {}", options.validation_fraction);
  const auto validation = static_cast<std::int64_t>(std::floor(options.validation_fraction * static_cast<double>(graphs)));
  ANNEAL_CHECK(graphs - validation >= 1, "no graphs left to train on ({} graphs, {} held out)", graphs, validation);
  return graphs - validation;
}

TrainResult train_model(GraphModel& model, const io::GraphBatch& data, const TargetScaling& scaling,
                        const TrainOptions& options, nn::DType dtype) {
  ANNEAL_CHECK(options.epochs >= 1 && options.batch_graphs >= 1, "training needs epochs ≥ 1 and batch_graphs ≥ 1");
  const std::int64_t graphs = data.num_graphs();
  const std::int64_t training = training_graphs(graphs, options), validation = graphs - training;
  const io::GraphBatch validation_data = validation > 0 ? data.slice(training, validation) : io::GraphBatch{};
  const io::GraphBatch scaled = standardised(data, scaling);

  nn::AdamOptions adam;
  adam.learning_rate = options.learning_rate;
  nn::Adam optimizer(model.parameters(), adam);
  RandomStream rng(options.seed, 0x9a7b);
  std::vector<std::int64_t> order(static_cast<std::size_t>(training));
  const std::int64_t batches = (training + options.batch_graphs - 1) / options.batch_graphs;

  TrainResult result;
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("train", options.epochs);
  const Stopwatch watch;
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const double progress_fraction = static_cast<double>(epoch) / static_cast<double>(options.epochs);
    const double rate = options.min_learning_rate + 0.5 * (options.learning_rate - options.min_learning_rate) *
                                                        (1 + std::cos(M_PI * progress_fraction));
    optimizer.set_learning_rate(rate);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    SolveDiagnostics worst;
    for (std::int64_t b = 0; b < batches; ++b) {
      const auto first = order.begin() + b * options.batch_graphs;
      const std::vector<std::int64_t> ids(first,
                                          first + std::min(options.batch_graphs, training - b * options.batch_graphs));
      const GraphInput input = make_graph_input(gather(scaled, ids), dtype);
      optimizer.zero_grad();
      const nn::Tensor loss = nn::mean(nn::square(nn::sub(model.forward(input), input.targets)));
      loss.backward();
      if (options.clip_norm > 0) nn::clip_grad_norm(model.parameters(), options.clip_norm);
      optimizer.step();
      const SolveDiagnostics d = model.diagnostics();
      if (!d.converged) ++result.unconverged_solves;
      worst_of(worst, d);
      loss_sum += loss.item();
    }
    const double train_loss = loss_sum / static_cast<double>(batches);
    ANNEAL_CHECK(std::isfinite(train_loss), "training diverged at epoch {} (loss {}); lower the learning rate",
                 epoch + 1, train_loss);
    double validation_mse = std::nan("");
    if (validation > 0)
      validation_mse = mean_squared_error(predict(model, validation_data, scaling, dtype, options.batch_graphs).values,
                                          validation_data.targets);
    TrainHistory& h = result.history;
    h.epoch.push_back(epoch + 1);
    h.train_loss.push_back(train_loss);
    h.validation_mse.push_back(validation_mse);
    h.seconds.push_back(watch.seconds());
    h.learning_rate.push_back(rate);
    h.max_forward_iterations.push_back(worst.forward_iterations);
    h.max_adjoint_iterations.push_back(worst.adjoint_iterations);
    if (progress) progress->update(epoch + 1, fmt::format("loss {:.3e}  val MSE {:.3e}", train_loss, validation_mse));
  }
  result.seconds = watch.seconds();
  result.validation_mse = result.history.validation_mse.back();
  if (progress) progress->finish(fmt::format("val MSE {:.3e}", result.validation_mse));
  if (result.unconverged_solves > 0)
    log::warn(
        "{} training batches had a fixed-point solve that missed its tolerance; see the history's "
        "iteration counts, or raise max_iterations / use the direct solver",
        result.unconverged_solves);
  return result;
}

}  // namespace anneal::physics::graph
