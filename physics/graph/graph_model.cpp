#include "physics/graph/graph_model.hpp"

#include "core/error.hpp"
#include "physics/graph/cgs_model.hpp"
#include "physics/graph/ignn_model.hpp"
#include "physics/graph/mpnn_model.hpp"

namespace anneal::physics::graph {

ModelKind parse_model_kind(std::string_view name) {
  if (name == "cgs") return ModelKind::cgs;
  if (name == "mpnn") return ModelKind::mpnn;
  if (name == "ignn") return ModelKind::ignn;
  ANNEAL_THROW("unknown model '{}' (use cgs, mpnn or ignn)", name);
}

std::string to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::cgs:
      return "cgs";
    case ModelKind::mpnn:
      return "mpnn";
    case ModelKind::ignn:
      return "ignn";
  }
  return "?";
}

Contraction parse_contraction(std::string_view name) {
  if (name == "softmax") return Contraction::softmax;
  if (name == "clipped") return Contraction::clipped;
  ANNEAL_THROW("unknown contraction '{}' (use softmax or clipped)", name);
}

std::string to_string(Contraction contraction) { return contraction == Contraction::softmax ? "softmax" : "clipped"; }

nlohmann::json model_options_to_json(const ModelOptions& o, const ModelSizes& sizes) {
  return {{"kind", to_string(o.kind)},
          {"hidden", o.hidden},
          {"layers", o.layers},
          {"activation", nn::to_string(o.activation)},
          {"dtype", nn::to_string(o.dtype)},
          {"heads", o.heads},
          {"gamma", o.gamma},
          {"contraction", to_string(o.contraction)},
          {"forward_solver", solvers::to_string(o.solver.forward)},
          {"adjoint_solver", solvers::to_string(o.solver.adjoint)},
          {"tolerance", o.solver.iteration.tolerance},
          {"max_iterations", o.solver.iteration.max_iterations},
          {"anderson_memory", o.solver.iteration.anderson_memory},
          {"kappa", o.kappa},
          {"ignn_tolerance", o.ignn_iteration.tolerance},
          {"ignn_max_iterations", o.ignn_iteration.max_iterations},
          {"node_in", sizes.node_in},
          {"edge_in", sizes.edge_in},
          {"target", sizes.target}};
}

void model_options_from_json(const nlohmann::json& j, ModelOptions& o, ModelSizes& sizes) {
  try {
    o.kind = parse_model_kind(j.at("kind").get<std::string>());
    o.hidden = j.at("hidden").get<std::int64_t>();
    o.layers = j.at("layers").get<std::int64_t>();
    o.activation = nn::parse_activation(j.at("activation").get<std::string>());
    o.dtype = j.at("dtype").get<std::string>() == "f32" ? nn::DType::f32 : nn::DType::f64;
    o.heads = j.at("heads").get<std::int64_t>();
    o.gamma = j.at("gamma").get<double>();
    o.contraction = parse_contraction(j.at("contraction").get<std::string>());
    o.solver.forward = solvers::parse_linear_solve_method(j.at("forward_solver").get<std::string>());
    o.solver.adjoint = solvers::parse_linear_solve_method(j.at("adjoint_solver").get<std::string>());
    o.solver.iteration.tolerance = j.at("tolerance").get<double>();
    o.solver.iteration.max_iterations = j.at("max_iterations").get<std::int64_t>();
    o.solver.iteration.anderson_memory = j.at("anderson_memory").get<int>();
    o.kappa = j.at("kappa").get<double>();
    o.ignn_iteration.tolerance = j.at("ignn_tolerance").get<double>();
    o.ignn_iteration.max_iterations = j.at("ignn_max_iterations").get<std::int64_t>();
    sizes.node_in = j.at("node_in").get<std::int64_t>();
    sizes.edge_in = j.at("edge_in").get<std::int64_t>();
    sizes.target = j.at("target").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    ANNEAL_THROW("the model's architecture record is incomplete or damaged: {}", e.what());
  }
}

std::shared_ptr<GraphModel> make_model(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng) {
  ANNEAL_CHECK(sizes.node_in >= 1, "the graphs have no node features; a model needs at least one");
  switch (options.kind) {
    case ModelKind::cgs:
      return std::make_shared<CgsModel>(options, sizes, rng);
    case ModelKind::mpnn:
      return std::make_shared<MpnnModel>(options, sizes, rng);
    case ModelKind::ignn:
      return std::make_shared<IgnnModel>(options, sizes, rng);
  }
  ANNEAL_THROW("unknown model kind");
}

}  // namespace anneal::physics::graph
