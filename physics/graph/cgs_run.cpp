#include "physics/graph/cgs_run.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/rng.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "nn/adam.hpp"
#include "nn/checkpoint.hpp"
#include "physics/graph/graph_system.hpp"

namespace anneal::physics::graph {
namespace {

constexpr double kAmplificationWarning = 1e3;

std::string names_json(const std::vector<std::string>& names) { return nlohmann::json(names).dump(); }

std::vector<std::string> names_from(const io::H5File& file, const char* name) {
  return nlohmann::json::parse(file.string_attribute("/architecture", name)).get<std::vector<std::string>>();
}

void require_same(const std::vector<std::string>& model, const std::vector<std::string>& data, const char* what,
                  const std::filesystem::path& model_file, const std::filesystem::path& data_file) {
  ANNEAL_CHECK(model == data, "'{}' has {} {}, but the model '{}' was trained on {}", data_file.string(), what,
               nlohmann::json(data).dump(), model_file.string(), nlohmann::json(model).dump());
}

// The generator's name for the batch (`anneal cgs generate` writes it), "user" otherwise.
std::string system_of(const io::H5File& file) {
  return file.has_attribute("/", "system") ? file.string_attribute("/", "system") : std::string("user");
}

// Fraction of states whose greedy action under the predicted values is the optimal one. The
// greedy action of state s maximises reward(e) + discount · V̂(src(e)) over the edges e into s
// (physics/graph/mdp.hpp: an edge runs from the next state to the state acting).
double policy_accuracy(const io::GraphBatch& batch, const GraphExtras& extras, const std::vector<double>& values,
                       double discount) {
  const auto reward_column = std::find(batch.edge_feature_names.begin(), batch.edge_feature_names.end(), "reward");
  ANNEAL_CHECK(reward_column != batch.edge_feature_names.end(), "policy accuracy needs an edge feature 'reward'");
  const auto r = static_cast<std::size_t>(reward_column - batch.edge_feature_names.begin());
  const auto fe = static_cast<std::size_t>(batch.edge_feature_dim());
  std::int64_t right = 0;
  for (std::int64_t g = 0; g < batch.num_graphs(); ++g) {
    const std::int64_t n0 = batch.node_offsets[g], e0 = batch.edge_offsets[g];
    std::vector<double> best(static_cast<std::size_t>(batch.graph_nodes(g)), -std::numeric_limits<double>::infinity());
    std::vector<std::int64_t> choice(best.size(), -1);
    for (std::int64_t e = e0; e < batch.edge_offsets[g + 1]; ++e) {
      const std::int64_t src = batch.edge_index[2 * e], dst = batch.edge_index[2 * e + 1];
      const double q = batch.edge_features[static_cast<std::size_t>(e) * fe + r] + discount * values[n0 + src];
      if (q > best[dst]) {
        best[dst] = q;
        choice[dst] = e - e0;
      }
    }
    for (std::int64_t s = 0; s < batch.graph_nodes(g); ++s) right += choice[s] == extras.policy[n0 + s] ? 1 : 0;
  }
  return static_cast<double>(right) / static_cast<double>(batch.num_nodes());
}

double mdp_discount(const io::H5File& file) {
  ANNEAL_CHECK(file.has_attribute("/meta", "config"), "'{}': an MDP batch needs /meta config with mdp.discount",
               file.path().string());
  const auto config = nlohmann::json::parse(file.string_attribute("/meta", "config"));
  ANNEAL_CHECK(config.contains("mdp") && config["mdp"].contains("discount"), "'{}': /meta config has no mdp.discount",
               file.path().string());
  return config["mdp"]["discount"].get<double>();
}

}  // namespace

double mean_absolute_percentage_error(const std::vector<double>& prediction, const std::vector<double>& target) {
  double largest = 0;
  for (double y : target) largest = std::max(largest, std::abs(y));
  double sum = 0;
  std::int64_t count = 0;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (std::abs(target[i]) < 1e-3 * largest || largest == 0) continue;
    sum += std::abs(prediction[i] - target[i]) / std::abs(target[i]);
    ++count;
  }
  return count > 0 ? sum / static_cast<double>(count) : 0.0;
}

TrainRunResult run_train(const TrainRunOptions& options) {
  const auto input = io::H5File::open_read(options.data);
  const io::GraphBatch data = io::read_graph_batch(input);
  const std::string system = system_of(input);
  const ModelSizes sizes{data.node_feature_dim(), data.edge_feature_dim(), data.target_dim()};
  RandomStream init(options.init_seed, 0x1417);
  std::shared_ptr<GraphModel> model = make_model(options.model, sizes, init);
  // Scaled by the training graphs alone: the validation graphs stay unseen.
  const TargetScaling scaling = TargetScaling::fit(data.slice(0, training_graphs(data.num_graphs(), options.train)));
  log::info("{}: {} parameters; {} graphs, {} nodes, {} edges in '{}'", to_string(options.model.kind),
            model->parameter_count(), data.num_graphs(), data.num_nodes(), data.num_edges(), options.data.string());
  io::AtomicOutput out(options.output, {options.data});  // fail before training, not after
  TrainRunResult result;
  result.parameters = model->parameter_count();
  result.train = train_model(*model, data, scaling, options.train, options.model.dtype);

  // The model file takes the checkpoint layout so that every nn tool reads it; `cgs train` does not
  // resume, so the optimizer state stored is a fresh one's, not the trainer's.
  nn::Adam optimizer(model->parameters());
  const TrainHistory& h = result.train.history;
  nn::save_checkpoint(
      out.temp_path(), *model, optimizer, {h.epoch.back(), RandomStream(options.train.seed, 0).state()},
      options.provenance, [&](io::H5File& file) {
        file.create_group("/architecture");
        file.set_attribute("/architecture", "json", model_options_to_json(options.model, sizes).dump());
        file.set_attribute("/architecture", "node_features", names_json(data.node_feature_names));
        file.set_attribute("/architecture", "edge_features", names_json(data.edge_feature_names));
        file.set_attribute("/architecture", "targets", names_json(data.target_names));
        file.set_attribute("/architecture", "system", system);
        file.write<double>("/architecture/target_mean", scaling.mean, {scaling.mean.size()});
        file.write<double>("/architecture/target_scale", scaling.scale, {scaling.scale.size()});
        file.write<std::int64_t>("/history/epoch", h.epoch, {h.epoch.size()});
        file.write<double>("/history/train_loss", h.train_loss, {h.epoch.size()});
        file.write<double>("/history/validation_mse", h.validation_mse, {h.epoch.size()});
        file.write<double>("/history/seconds", h.seconds, {h.epoch.size()});
        file.write<double>("/history/learning_rate", h.learning_rate, {h.epoch.size()});
        file.write<std::int64_t>("/history/max_forward_iterations", h.max_forward_iterations, {h.epoch.size()});
        file.write<std::int64_t>("/history/max_adjoint_iterations", h.max_adjoint_iterations, {h.epoch.size()});
        file.set_attribute("/", "validation_mse", result.train.validation_mse);
        file.set_attribute("/", "train_seconds", result.train.seconds);
        file.set_attribute("/", "parameters", result.parameters);
      });
  // save_checkpoint wrote the temporary name atomically itself; move it to the final name.
  out.commit();
  return result;
}

LoadedModel load_model(const std::filesystem::path& path, const SolverOverrides& overrides) {
  LoadedModel loaded;
  {
    const auto file = io::H5File::open_read(path);
    ANNEAL_CHECK(file.has_attribute("/architecture", "json"),
                 "'{}' is not a model written by `anneal cgs train` (no /architecture)", path.string());
    model_options_from_json(nlohmann::json::parse(file.string_attribute("/architecture", "json")), loaded.options,
                            loaded.sizes);
    loaded.node_features = names_from(file, "node_features");
    loaded.edge_features = names_from(file, "edge_features");
    loaded.targets = names_from(file, "targets");
    loaded.system = file.string_attribute("/architecture", "system");
    loaded.scaling.mean = file.read<double>("/architecture/target_mean").data;
    loaded.scaling.scale = file.read<double>("/architecture/target_scale").data;
  }
  solvers::LinearFixedPointOptions& solver = loaded.options.solver;
  if (!overrides.forward_solver.empty()) solver.forward = solvers::parse_linear_solve_method(overrides.forward_solver);
  if (overrides.max_iterations > 0)
    solver.iteration.max_iterations = loaded.options.ignn_iteration.max_iterations = overrides.max_iterations;
  if (overrides.tolerance > 0) solver.iteration.tolerance = loaded.options.ignn_iteration.tolerance = overrides.tolerance;
  if (overrides.anderson_memory > 0) solver.iteration.anderson_memory = overrides.anderson_memory;
  RandomStream unused(0, 0);  // the weights come from the file
  loaded.model = make_model(loaded.options, loaded.sizes, unused);
  nn::Adam optimizer(loaded.model->parameters());
  nn::load_checkpoint(path, *loaded.model, optimizer);
  return loaded;
}

Metrics run_eval(const EvalRunOptions& options) {
  const LoadedModel loaded = load_model(options.model, options.solver);
  const auto input = io::H5File::open_read(options.data);
  const io::GraphBatch batch = io::read_graph_batch(input);
  const GraphExtras extras = read_graph_extras(input, batch);
  require_same(loaded.node_features, batch.node_feature_names, "node features", options.model, options.data);
  require_same(loaded.edge_features, batch.edge_feature_names, "edge features", options.model, options.data);
  require_same(loaded.targets, batch.target_names, "targets", options.model, options.data);

  io::AtomicOutput out(options.output, {options.data, options.model});
  Metrics m;
  m.graphs = batch.num_graphs();
  m.nodes = batch.num_nodes();
  m.edges = batch.num_edges();
  m.prediction = predict(*loaded.model, batch, loaded.scaling, loaded.options.dtype, options.batch_graphs);
  m.mse = mean_squared_error(m.prediction.values, batch.targets);
  m.mape = mean_absolute_percentage_error(m.prediction.values, batch.targets);
  if (!extras.policy.empty())
    m.policy_accuracy = policy_accuracy(batch, extras, m.prediction.values, mdp_discount(input));
  if (!m.prediction.worst.converged)
    log::warn("a fixed-point solve missed its tolerance (relative residual {:.2e} after {} iterations)",
              m.prediction.worst.forward_residual, m.prediction.worst.forward_iterations);
  // A contraction with factor close to 1 on these graphs: the answer amplifies b by this much, so it
  // is ill-conditioned (typical of an under-trained model with γ = 1 whose gates saturated).
  if (m.prediction.worst.amplification > kAmplificationWarning)
    log::warn("the learned maps amplify their input up to {:.1e}× on these graphs (nearly singular): the "
              "predictions are ill-conditioned; train longer, or use a smaller --gamma",
              m.prediction.worst.amplification);

  std::vector<double> graph_mse(static_cast<std::size_t>(m.graphs));
  const auto t = static_cast<std::size_t>(batch.target_dim());
  for (std::int64_t g = 0; g < m.graphs; ++g) {
    const auto begin = static_cast<std::size_t>(batch.node_offsets[g]) * t,
               end = static_cast<std::size_t>(batch.node_offsets[g + 1]) * t;
    graph_mse[static_cast<std::size_t>(g)] =
        mean_squared_error(std::vector<double>(m.prediction.values.begin() + static_cast<std::ptrdiff_t>(begin),
                                               m.prediction.values.begin() + static_cast<std::ptrdiff_t>(end)),
                           std::vector<double>(batch.targets.begin() + static_cast<std::ptrdiff_t>(begin),
                                               batch.targets.begin() + static_cast<std::ptrdiff_t>(end)));
  }
  {
    auto file = io::H5File::create(out.temp_path());
    io::write_graph_batch(file, batch);
    if (!extras.positions.empty())
      file.write<double>("/positions", extras.positions, {static_cast<std::size_t>(m.nodes), 3});
    if (!extras.policy.empty()) file.write<std::int64_t>("/policy", extras.policy, {static_cast<std::size_t>(m.nodes)});
    file.write<double>("/predictions", m.prediction.values, {static_cast<std::size_t>(m.nodes), t});
    file.write<double>("/graph_mse", graph_mse, {graph_mse.size()});
    file.set_attribute("/", "mse", m.mse);
    file.set_attribute("/", "mape", m.mape);
    if (m.policy_accuracy >= 0) file.set_attribute("/", "policy_accuracy", m.policy_accuracy);
    file.set_attribute("/", "model", to_string(loaded.options.kind));
    file.set_attribute("/", "system", system_of(input));
    file.set_attribute("/", "eval_seconds", m.prediction.seconds);
    file.set_attribute("/", "nodes", m.nodes);
    file.set_attribute("/", "edges", m.edges);
    file.set_attribute("/", "forward_iterations", m.prediction.worst.forward_iterations);
    file.set_attribute("/", "forward_residual", m.prediction.worst.forward_residual);
    file.set_attribute("/", "converged", std::int64_t{m.prediction.worst.converged ? 1 : 0});
    file.set_attribute("/", "amplification", m.prediction.worst.amplification);
    io::write_provenance(file, options.provenance);
    file.close();
  }
  out.commit();
  return m;
}

}  // namespace anneal::physics::graph
