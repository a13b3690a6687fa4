#include "physics/graph/pore_network.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/error.hpp"
#include "physics/graph/spd_solve.hpp"

namespace anneal::physics::graph {
namespace {

std::int64_t find_root(std::vector<std::int64_t>& parent, std::int64_t i) {
  while (parent[i] != i) i = parent[i] = parent[parent[i]];
  return i;
}

// Every network gets an inlet and an outlet: a small or unlucky draw may leave a face region
// empty, and a network without both has no flow to learn.
void ensure_fixed_faces(const std::vector<Point3>& positions, std::vector<PoreKind>& kind) {
  const auto n = static_cast<std::int64_t>(positions.size());
  const auto has = [&](PoreKind k) { return std::find(kind.begin(), kind.end(), k) != kind.end(); };
  // The pore extreme in x (lowest for the inlet) among those not of the other kind, if any.
  const auto extreme = [&](PoreKind other, bool lowest) {
    std::int64_t best = -1;
    for (int pass = 0; pass < 2 && best < 0; ++pass)
      for (std::int64_t i = 0; i < n; ++i) {
        if (pass == 0 && kind[i] == other) continue;
        if (best < 0 || (lowest ? positions[i][0] < positions[best][0] : positions[i][0] > positions[best][0]))
          best = i;
      }
    return best;
  };
  if (!has(PoreKind::inlet)) kind[extreme(PoreKind::outlet, true)] = PoreKind::inlet;
  if (!has(PoreKind::outlet)) kind[extreme(PoreKind::inlet, false)] = PoreKind::outlet;
}

}  // namespace

void check_options(const PoreNetworkOptions& o) {
  ANNEAL_CHECK(o.mean_degree > 0, "pore network: the mean degree should be positive, got {}", o.mean_degree);
  ANNEAL_CHECK(o.median_diameter > 0 && std::isfinite(o.median_diameter),
               "pore network: the median pore diameter should be positive, got {}", o.median_diameter);
  ANNEAL_CHECK(o.sigma_ln_diameter >= 0 && std::isfinite(o.sigma_ln_diameter),
               "pore network: sigma of ln(diameter) should be ≥ 0, got {}", o.sigma_ln_diameter);
  ANNEAL_CHECK(o.throat_fraction > 0 && o.throat_fraction <= 1,
               "pore network: the throat fraction should be in (0, 1], got {}", o.throat_fraction);
  ANNEAL_CHECK(o.viscosity > 0 && std::isfinite(o.viscosity), "pore network: the viscosity should be positive, got {}",
               o.viscosity);
  ANNEAL_CHECK(o.face_width > 0 && o.face_width < 0.5, "pore network: the face width should be in (0, 0.5), got {}",
               o.face_width);
  ANNEAL_CHECK(
      std::isfinite(o.inlet_pressure) && std::isfinite(o.outlet_pressure) && o.inlet_pressure != o.outlet_pressure,
      "pore network: inlet and outlet pressures should be finite and differ, got {} and {}", o.inlet_pressure,
      o.outlet_pressure);
}

PoreNetwork make_pore_network(std::int64_t pores, const PoreNetworkOptions& options, RandomStream& rng) {
  check_options(options);
  ANNEAL_CHECK(pores >= 2, "pore network: needs at least 2 pores (an inlet and an outlet), got {}", pores);
  GeometricGraph geometry = random_geometric_graph(pores, options.mean_degree, rng);
  std::vector<double> diameter(static_cast<std::size_t>(pores));
  for (double& d : diameter) d = options.median_diameter * std::exp(options.sigma_ln_diameter * rng.normal());
  std::vector<PoreKind> kind(diameter.size(), PoreKind::free);
  for (std::int64_t i = 0; i < pores; ++i) {
    const double x = geometry.positions[i][0];
    if (x < options.face_width) kind[i] = PoreKind::inlet;
    if (x > 1 - options.face_width) kind[i] = PoreKind::outlet;
  }
  ensure_fixed_faces(geometry.positions, kind);

  // Components by union-find; keep those that hold a fixed pore.
  std::vector<std::int64_t> parent(diameter.size());
  std::iota(parent.begin(), parent.end(), std::int64_t{0});
  for (const auto& [i, j] : geometry.pairs) parent[find_root(parent, i)] = find_root(parent, j);
  std::vector<char> anchored(diameter.size(), 0);
  for (std::int64_t i = 0; i < pores; ++i)
    if (kind[i] != PoreKind::free) anchored[find_root(parent, i)] = 1;
  std::vector<std::int64_t> new_id(diameter.size(), -1);
  PoreNetwork net;
  for (std::int64_t i = 0; i < pores; ++i) {
    if (!anchored[find_root(parent, i)]) continue;
    new_id[i] = net.pores();
    net.positions.push_back(geometry.positions[i]);
    net.diameter.push_back(diameter[i]);
    net.kind.push_back(kind[i]);
  }
  net.dropped = pores - net.pores();

  for (const auto& [i, j] : geometry.pairs) {
    if (new_id[i] < 0) continue;  // j shares i's component
    const Point3 &a = geometry.positions[i], &b = geometry.positions[j];
    const double length = std::hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    ANNEAL_CHECK(length > 0, "pore network: pores {} and {} coincide", i, j);
    const double dt = options.throat_fraction * std::min(diameter[i], diameter[j]);
    net.throats.emplace_back(new_id[i], new_id[j]);
    net.throat_diameter.push_back(dt);
    net.throat_length.push_back(length);
    net.conductance.push_back(std::numbers::pi * std::pow(dt, 4) / (128 * options.viscosity * length));
  }
  solve_pore_network(net, options);
  return net;
}

void solve_pore_network(PoreNetwork& net, const PoreNetworkOptions& options) {
  const std::int64_t n = net.pores();
  net.pressure.assign(static_cast<std::size_t>(n), 0.0);
  std::vector<std::int64_t> unknown(static_cast<std::size_t>(n), -1);
  std::int64_t free = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (net.kind[i] == PoreKind::inlet) net.pressure[i] = options.inlet_pressure;
    if (net.kind[i] == PoreKind::outlet) net.pressure[i] = options.outlet_pressure;
    if (net.kind[i] == PoreKind::free) unknown[i] = free++;
  }
  // Kirchhoff at the free pores; throats to fixed pores move their known term to the right.
  std::vector<MatrixEntry> entries;
  entries.reserve(4 * net.throats.size());
  std::vector<double> rhs(static_cast<std::size_t>(free), 0.0);
  for (std::size_t t = 0; t < net.throats.size(); ++t) {
    const auto [i, j] = net.throats[t];
    const double g = net.conductance[t];
    const std::int64_t ui = unknown[i], uj = unknown[j];
    if (ui >= 0) entries.push_back({ui, ui, g});
    if (uj >= 0) entries.push_back({uj, uj, g});
    if (ui >= 0 && uj >= 0) {
      entries.push_back({ui, uj, -g});
      entries.push_back({uj, ui, -g});
    } else if (ui >= 0) {
      rhs[ui] += g * net.pressure[j];
    } else if (uj >= 0) {
      rhs[uj] += g * net.pressure[i];
    }
  }
  const SpdSolution solution = solve_spd(free, entries, rhs, "pore network pressure solve");
  for (std::int64_t i = 0; i < n; ++i)
    if (unknown[i] >= 0) net.pressure[i] = solution.x[unknown[i]];
  net.residual = solution.relative_residual;
}

GraphSystem pore_network_system(const PoreNetwork& net, const PoreNetworkOptions& options) {
  GraphSystem s;
  s.nodes = net.pores();
  s.node_feature_names = {"inlet", "outlet", "fixed_pressure", "diameter"};
  // ln(g/ĝ) beside g/ĝ: Hagen–Poiseuille conductances spread over decades (g ∝ d⁴), and the steady
  // pressure weighs neighbours by g, so a model reads the logarithm far more easily.
  s.edge_feature_names = {"conductance", "length", "log_conductance"};
  s.target_names = {"pressure"};
  s.residual = net.residual;
  s.dropped_nodes = net.dropped;

  const double dp = options.inlet_pressure - options.outlet_pressure;
  const auto scaled = [&](double p) { return (p - options.outlet_pressure) / dp; };
  s.node_features.reserve(4 * static_cast<std::size_t>(s.nodes));
  s.targets.reserve(static_cast<std::size_t>(s.nodes));
  s.positions.reserve(3 * static_cast<std::size_t>(s.nodes));
  for (std::int64_t i = 0; i < s.nodes; ++i) {
    const bool inlet = net.kind[i] == PoreKind::inlet, outlet = net.kind[i] == PoreKind::outlet;
    s.node_features.insert(s.node_features.end(),
                           {inlet ? 1.0 : 0.0, outlet ? 1.0 : 0.0, inlet || outlet ? scaled(net.pressure[i]) : 0.0,
                            net.diameter[i] / options.median_diameter});
    s.targets.push_back(scaled(net.pressure[i]));
    s.positions.insert(s.positions.end(), net.positions[i].begin(), net.positions[i].end());
  }

  const double g_hat = median(net.conductance, 1.0);
  const double mean_length = net.throat_length.empty()
                                 ? 1.0
                                 : std::accumulate(net.throat_length.begin(), net.throat_length.end(), 0.0) /
                                       static_cast<double>(net.throat_length.size());
  s.edges = both_directions(net.throats);
  s.edge_features.reserve(3 * s.edges.size());
  for (std::size_t t = 0; t < net.throats.size(); ++t) {
    const double g = net.conductance[t] / g_hat, length = net.throat_length[t] / mean_length;
    s.edge_features.insert(s.edge_features.end(), {g, length, std::log(g), g, length, std::log(g)});
  }
  return s;
}

}  // namespace anneal::physics::graph
