#pragma once
// Pore-network flow: creeping flow of a Newtonian fluid through pores joined by cylindrical
// throats, the standard network model of porous media (Blunt, "Multiphase flow in permeable
// media", 2017, ch. 3). Pores are a random geometric graph in the unit cube; a throat carries
// the Hagen–Poiseuille flow q_ij = g_ij (p_i − p_j), g = π d_t⁴ / (128 μ L). Pores within
// `face_width` of x = 0 are held at p_in, those within it of x = 1 at p_out, and mass conservation
// at every other pore, Σ_j g_ij (p_i − p_j) = 0, fixes the pressures.
//
// Pores in a component with no fixed pore would have an undetermined pressure (a singular
// system); they are dropped before solving and the rest renumbered in their original order.
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "physics/graph/graph_system.hpp"
#include "physics/graph/random_geometric_graph.hpp"

namespace anneal::physics::graph {

struct PoreNetworkOptions {
  double mean_degree = 6;         // of the random geometric graph (radius_for_mean_degree)
  double median_diameter = 0.02;  // pore diameters are log-normal: ln d ~ N(ln median, sigma²)
  double sigma_ln_diameter = 0.4;
  double throat_fraction = 0.5;  // throat diameter = fraction · min(its two pores' diameters)
  double viscosity = 1.0;        // μ
  double face_width = 0.1;       // inlet pores x < width, outlet pores x > 1 − width
  double inlet_pressure = 1.0;
  double outlet_pressure = 0.0;
};

enum class PoreKind : std::uint8_t { free, inlet, outlet };

struct PoreNetwork {
  std::vector<Point3> positions;
  std::vector<double> diameter;
  std::vector<PoreKind> kind;
  std::vector<NodePair> throats;  // i < j
  std::vector<double> throat_diameter, throat_length, conductance;
  std::vector<double> pressure;  // solved (solve_pore_network)
  std::int64_t dropped = 0;      // pores removed as unconnected to any fixed pore
  double residual = 0;           // relative residual of the interior solve

  std::int64_t pores() const { return static_cast<std::int64_t>(positions.size()); }
};

// Checks the options (positive sizes, 0 < fraction ≤ 1, 0 < width < 0.5, p_in ≠ p_out).
void check_options(const PoreNetworkOptions& options);

// The geometry and conductances of `pores` pores (before dropping) from `rng`: 3n uniforms for
// the positions, then n normals for the diameters. If no pore lies in a face region, the pore
// nearest that face joins it, so every network has an inlet and an outlet. Drops unconnected
// pores and solves for the pressures.
PoreNetwork make_pore_network(std::int64_t pores, const PoreNetworkOptions& options, RandomStream& rng);

// Pressures of the fixed pores, and of the free pores by a sparse SPD solve of Kirchhoff's law;
// sets `pressure` and `residual`. The network must have no component without a fixed pore.
void solve_pore_network(PoreNetwork& network, const PoreNetworkOptions& options);

// The scale-free training example. Node features [inlet, outlet, fixed pressure (scaled, 0 for free
// pores), d / median_diameter]; edge features per directed throat [g / ĝ, L / L̄] with ĝ the
// network's median conductance and L̄ its mean throat length; target [(p − p_out) / (p_in − p_out)].
// Extra: positions.
GraphSystem pore_network_system(const PoreNetwork& network, const PoreNetworkOptions& options);

inline GraphSystem generate_pore_network(std::int64_t pores, const PoreNetworkOptions& options, RandomStream& rng) {
  return pore_network_system(make_pore_network(pores, options, rng), options);
}

}  // namespace anneal::physics::graph
