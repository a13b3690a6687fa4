#include "physics/graph/generate_run.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"

namespace anneal::physics::graph {

const std::vector<std::string>& system_names() {
  static const std::vector<std::string> names = {"pore", "heat", "pagerank", "katz", "mdp"};
  return names;
}

void check_options(const GenerateOptions& o) {
  const auto& names = system_names();
  ANNEAL_CHECK(std::find(names.begin(), names.end(), o.system) != names.end(),
               "unknown graph system '{}'; choose one of pore, heat, pagerank, katz, mdp", o.system);
  ANNEAL_CHECK(o.graphs >= 1, "the number of graphs should be at least 1, got {}", o.graphs);
  if (o.system != "mdp") {
    ANNEAL_CHECK(o.min_nodes >= 2, "graphs need at least 2 nodes, got min_nodes = {}", o.min_nodes);
    ANNEAL_CHECK(o.min_nodes <= o.max_nodes, "min_nodes ({}) should not exceed max_nodes ({})", o.min_nodes,
                 o.max_nodes);
  }
  ANNEAL_CHECK(o.mean_degree > 0, "the mean degree should be positive, got {}", o.mean_degree);
  if (o.system == "pore") check_options(o.pore);
  if (o.system == "heat") check_options(o.heat);
  if (o.system == "pagerank" || o.system == "katz") check_options(o.centrality);
  if (o.system == "mdp") check_options(o.mdp);
}

nlohmann::json to_json(const GenerateOptions& o) {
  const PoreNetworkOptions& p = o.pore;
  const HeatNetworkOptions& h = o.heat;
  const CentralityOptions& c = o.centrality;
  const MdpOptions& m = o.mdp;
  return {{"system", o.system},
          {"graphs", o.graphs},
          {"min_nodes", o.min_nodes},
          {"max_nodes", o.max_nodes},
          {"seed", o.seed},
          {"mean_degree", o.mean_degree},
          {"pore",
           {{"median_diameter", p.median_diameter},
            {"sigma_ln_diameter", p.sigma_ln_diameter},
            {"throat_fraction", p.throat_fraction},
            {"viscosity", p.viscosity},
            {"face_width", p.face_width},
            {"inlet_pressure", p.inlet_pressure},
            {"outlet_pressure", p.outlet_pressure}}},
          {"heat",
           {{"median_conductance", h.median_conductance},
            {"sigma_ln_conductance", h.sigma_ln_conductance},
            {"min_loss", h.min_loss},
            {"max_loss", h.max_loss},
            {"heated_fraction", h.heated_fraction}}},
          {"centrality",
           {{"min_out_degree", c.min_out_degree},
            {"max_out_degree", c.max_out_degree},
            {"damping", c.damping},
            {"katz_fraction", c.katz_fraction}}},
          {"mdp",
           {{"min_states", m.min_states},
            {"max_states", m.max_states},
            {"min_actions", m.min_actions},
            {"max_actions", m.max_actions},
            {"discount", m.discount}}}};
}

std::vector<GraphSystem> generate_systems(const GenerateOptions& options) {
  check_options(options);
  GenerateOptions o = options;
  o.pore.mean_degree = o.mean_degree;
  o.heat.mean_degree = o.mean_degree;
  return generate_batch(o.graphs, o.seed, [&o](RandomStream& rng) {
    if (o.system == "mdp") return generate_mdp(o.mdp, rng);
    const std::int64_t nodes =
        o.min_nodes +
        static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(o.max_nodes - o.min_nodes + 1)));
    if (o.system == "pore") return generate_pore_network(nodes, o.pore, rng);
    if (o.system == "heat") return generate_heat_network(nodes, o.heat, rng);
    return generate_centrality(nodes, o.system == "pagerank" ? Centrality::pagerank : Centrality::katz, o.centrality,
                               rng);
  });
}

GenerateSummary summarize(const std::vector<GraphSystem>& systems) {
  GenerateSummary s;
  s.graphs = static_cast<std::int64_t>(systems.size());
  for (const GraphSystem& g : systems) {
    s.nodes += g.nodes;
    s.edges += g.num_edges();
    s.max_residual = std::max(s.max_residual, g.residual);
    s.dropped_nodes += g.dropped_nodes;
  }
  return s;
}

GenerateSummary generate_dataset(const GenerateOptions& options, const std::filesystem::path& output,
                                 const io::Provenance& provenance) {
  check_options(options);
  // Checked before the work: the output may not replace an input, and its directory must exist.
  io::AtomicOutput out(output, provenance.source_files);
  const std::vector<GraphSystem> systems = generate_systems(options);
  const GenerateSummary summary = summarize(systems);
  io::Provenance meta = provenance;
  if (meta.config_json.empty()) meta.config_json = to_json(options).dump();
  {
    io::H5File file = io::H5File::create(out.temp_path());
    write_graph_systems(file, systems);
    file.set_attribute("/", "system", options.system);
    file.set_attribute("/", "seed", static_cast<std::int64_t>(options.seed));
    file.set_attribute("/", "max_residual", summary.max_residual);
    file.set_attribute("/", "dropped_nodes", summary.dropped_nodes);
    io::write_provenance(file, meta);
    file.close();
  }
  out.commit();
  return summary;
}

}  // namespace anneal::physics::graph
