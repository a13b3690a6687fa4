// anneal cgs generate | train | eval: convergent graph solvers and their baselines on graph
// systems with exact answers (docs/cgs.md).
#include "apps/command.hpp"
#include "apps/python_render.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "physics/graph/cgs_run.hpp"
#include "physics/graph/generate_run.hpp"

namespace anneal::apps {
namespace {

namespace gr = physics::graph;

struct GenerateCommandOptions {
  CommonOptions common;
  gr::GenerateOptions run;
  std::string output, nodes;
};

struct TrainCommandOptions {
  CommonOptions common;
  gr::TrainRunOptions run;
  std::string model = "cgs", activation = "silu", dtype = "f64", contraction = "softmax", forward = "auto",
              adjoint = "auto";
  bool quiet = false;
};

struct EvalCommandOptions {
  CommonOptions common;
  gr::EvalRunOptions run;
  std::string plot;
  bool no_plot = false;
};

// "50:200" or "1000" -> [min, max]
std::pair<std::int64_t, std::int64_t> parse_range(const std::string& text) {
  try {
    const std::size_t colon = text.find(':');
    std::size_t used = 0;
    const long lo = std::stol(text.substr(0, colon), &used);
    ANNEAL_CHECK(used == (colon == std::string::npos ? text.size() : colon), "bad");
    if (colon == std::string::npos) return {lo, lo};
    const std::string rest = text.substr(colon + 1);
    const long hi = std::stol(rest, &used);
    ANNEAL_CHECK(used == rest.size(), "bad");
    return {lo, hi};
  } catch (...) {
    ANNEAL_THROW("--nodes expects a count or a range like 50:200, got '{}'", text);
  }
}

void run_generate(const GenerateCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  gr::GenerateOptions options = o.run;
  if (!o.nodes.empty()) std::tie(options.min_nodes, options.max_nodes) = parse_range(o.nodes);
  io::Provenance provenance = scope.provenance();
  provenance.config_json.clear();  // the generator's own record of every option, defaults included
  const gr::GenerateSummary s = gr::generate_dataset(options, o.output, provenance);
  log::info("{} {} graphs: {} nodes, {} edges; exact solves to relative residual {:.1e}{}; wrote {}", s.graphs,
            options.system, s.nodes, s.edges, s.max_residual,
            s.dropped_nodes > 0 ? fmt::format(" ({} nodes without a fixed pressure dropped)", s.dropped_nodes) : "",
            o.output);
}

void run_train(const TrainCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  gr::TrainRunOptions options = o.run;
  options.model.kind = gr::parse_model_kind(o.model);
  options.model.activation = nn::parse_activation(o.activation);
  ANNEAL_CHECK(o.dtype == "f32" || o.dtype == "f64", "--dtype must be f32 or f64, got '{}'", o.dtype);
  options.model.dtype = o.dtype == "f32" ? nn::DType::f32 : nn::DType::f64;
  options.model.contraction = gr::parse_contraction(o.contraction);
  options.model.solver.forward = solvers::parse_linear_solve_method(o.forward);
  options.model.solver.adjoint = solvers::parse_linear_solve_method(o.adjoint);
  options.model.ignn_iteration.tolerance = options.model.solver.iteration.tolerance;
  options.model.ignn_iteration.max_iterations = options.model.solver.iteration.max_iterations;
  options.train.progress = !o.quiet;
  options.provenance = scope.provenance({options.data});
  const gr::TrainRunResult r = gr::run_train(options);
  log::info("{}: validation MSE {:.3e} after {} epochs in {:.1f} s; wrote {}", o.model, r.train.validation_mse,
            options.train.epochs, r.train.seconds, options.output.string());
}

void run_eval(const EvalCommandOptions& o, const CLI::App& command) {
  const CommandScope scope(command, o.common);
  gr::EvalRunOptions options = o.run;
  options.provenance = scope.provenance({options.data, options.model});
  const gr::Metrics m = gr::run_eval(options);
  log::info("{} graphs, {} nodes: MSE {:.3e}, MAPE {:.3e}{}; {:.3f} s; wrote {}", m.graphs, m.nodes, m.mse, m.mape,
            m.policy_accuracy >= 0 ? fmt::format(", policy accuracy {:.3f}", m.policy_accuracy) : "",
            m.prediction.seconds, options.output.string());
  if (!o.no_plot) {
    const std::string png = o.plot.empty() ? std::filesystem::path(options.output).replace_extension(".png").string() : o.plot;
    if (run_post({"cgs", options.output.string(), "-o", png}, png)) log::info("wrote {}", png);
  }
}

}  // namespace

void register_cgs(CLI::App& app) {
  CLI::App* cgs = app.add_subcommand("cgs", "Convergent graph solvers: learned contracting maps on graphs");
  cgs->require_subcommand(1);

  auto g = std::make_shared<GenerateCommandOptions>();
  CLI::App* gen = cgs->add_subcommand("generate", "Generate graph systems with exact answers (HDF5 graph batch)");
  gen->add_option("--system", g->run.system, "pore, heat, pagerank, katz or mdp")->capture_default_str();
  gen->add_option("--graphs", g->run.graphs, "Number of graphs")->capture_default_str();
  gen->add_option("--nodes", g->nodes, "Nodes per graph: N or MIN:MAX (default 50:200; mdp: 20-49 states)");
  gen->add_option("--seed", g->run.seed, "Seed (graph g uses stream g: independent of threads)")->capture_default_str();
  gen->add_option("--mean-degree", g->run.mean_degree, "Mean degree of pore and heat networks")->capture_default_str();
  gen->add_option("--pore-sigma", g->run.pore.sigma_ln_diameter, "σ of ln(pore diameter)")->capture_default_str();
  gen->add_option("--damping", g->run.centrality.damping, "PageRank damping α")->capture_default_str();
  gen->add_option("--discount", g->run.mdp.discount, "MDP discount")->capture_default_str();
  gen->add_option("-o,--output", g->output, "Output HDF5 file")->required();
  add_common_options(*gen, g->common);
  gen->callback([g, gen] { run_generate(*g, *gen); });

  auto t = std::make_shared<TrainCommandOptions>();
  CLI::App* train = cgs->add_subcommand("train", "Train cgs, mpnn or ignn on a graph batch; writes a model file");
  train->add_option("--data", t->run.data, "Training graphs (HDF5 graph batch)")->required()->check(CLI::ExistingFile);
  train->add_option("-o,--output", t->run.output, "Model file to write")->required();
  train->add_option("--model", t->model, "cgs, mpnn or ignn")->capture_default_str();
  train->add_option("--hidden", t->run.model.hidden, "Hidden width")->capture_default_str();
  train->add_option("--layers", t->run.model.layers, "Message-passing rounds (cgs encoder, mpnn stack)")->capture_default_str();
  train->add_option("--heads", t->run.model.heads, "cgs: fixed-point heads")->capture_default_str();
  train->add_option("--gamma", t->run.model.gamma, "cgs: γ in (0, 1]")->capture_default_str();
  train->add_option("--contraction", t->contraction, "cgs: softmax (smooth) or clipped (the authors')")->capture_default_str();
  train->add_option("--forward-solver", t->forward, "cgs: picard, anderson, direct or auto (direct up to 20000 nodes)")->capture_default_str();
  train->add_option("--adjoint-solver", t->adjoint, "cgs: picard, anderson, direct or auto (direct up to 20000 nodes)")->capture_default_str();
  train->add_option("--tolerance", t->run.model.solver.iteration.tolerance, "Fixed-point relative tolerance")->capture_default_str();
  train->add_option("--max-iterations", t->run.model.solver.iteration.max_iterations, "Fixed-point iteration cap")->capture_default_str();
  train->add_option("--anderson-memory", t->run.model.solver.iteration.anderson_memory, "Iterates Anderson mixes")->capture_default_str();
  train->add_option("--kappa", t->run.model.kappa, "ignn: ‖W‖∞ bound κ < 1")->capture_default_str();
  train->add_option("--activation", t->activation, "tanh, silu, relu, gelu, ...")->capture_default_str();
  train->add_option("--dtype", t->dtype, "f32 or f64")->capture_default_str();
  train->add_option("--epochs", t->run.train.epochs, "Epochs")->capture_default_str();
  train->add_option("--batch-graphs", t->run.train.batch_graphs, "Graphs per mini-batch")->capture_default_str();
  train->add_option("--learning-rate", t->run.train.learning_rate, "Adam's initial rate (cosine decay)")->capture_default_str();
  train->add_option("--min-learning-rate", t->run.train.min_learning_rate, "Rate at the last epoch")->capture_default_str();
  train->add_option("--clip-norm", t->run.train.clip_norm, "Global gradient-norm clip (0: none)")->capture_default_str();
  train->add_option("--validation-fraction", t->run.train.validation_fraction, "Last graphs held out")->capture_default_str();
  train->add_option("--seed", t->run.init_seed, "Seed of the initial weights")->capture_default_str();
  train->add_option("--shuffle-seed", t->run.train.seed, "Seed of the batch order")->capture_default_str();
  train->add_flag("--quiet", t->quiet, "No progress lines");
  add_common_options(*train, t->common);
  train->callback([t, train] { run_train(*t, *train); });

  auto e = std::make_shared<EvalCommandOptions>();
  CLI::App* eval = cgs->add_subcommand("eval", "Apply a trained model to a graph batch; predictions and metrics");
  eval->add_option("--model", e->run.model, "Model file from `anneal cgs train`")->required()->check(CLI::ExistingFile);
  eval->add_option("--data", e->run.data, "Graphs to evaluate (HDF5 graph batch)")->required()->check(CLI::ExistingFile);
  eval->add_option("-o,--output", e->run.output, "Output HDF5 file")->required();
  eval->add_option("--batch-graphs", e->run.batch_graphs, "Graphs per forward pass (0: all)")->capture_default_str();
  eval->add_option("--forward-solver", e->run.solver.forward_solver, "Override the solver: picard, anderson, direct or auto");
  eval->add_option("--max-iterations", e->run.solver.max_iterations, "Override the iteration cap");
  eval->add_option("--tolerance", e->run.solver.tolerance, "Override the relative tolerance of the solves");
  eval->add_option("--anderson-memory", e->run.solver.anderson_memory, "Override Anderson's memory (iterates mixed)");
  eval->add_option("--plot", e->plot, "PNG of the result (default: the output with .png)");
  eval->add_flag("--no-plot", e->no_plot, "Do not draw the PNG");
  add_common_options(*eval, e->common);
  eval->callback([e, eval] { run_eval(*e, *eval); });
}

}  // namespace anneal::apps
