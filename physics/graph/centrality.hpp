#pragma once
// Node centralities of random directed graphs, the linear fixed points x = W x + b that a
// convergent graph solver learns.
//
// Edge (src, dst) is a link src → dst and the message direction: rank flows along links.
//
// PageRank (Page, Brin, Motwani & Winograd 1999) with damping α, P the row-stochastic link matrix
// (P_ij = 1/outdeg(i) for a link i → j). Dangling nodes (no out-links) follow the usual convention
// of jumping to a uniformly random node, so with d the dangling indicator and Σ x = 1:
//   x = α Pᵀ x + (α dᵀx + 1 − α) / n · 1.
// The bracket is a scalar, so x is proportional to y = (I − α Pᵀ)⁻¹ 1, P with zero rows at dangling
// nodes (Del Corso, Gullì & Romani, "Fast PageRank computation via a sparse linear system", 2005):
// one sparse LU solve and a normalisation give the exact x.
//
// Katz centrality (Katz 1953): x = β Aᵀ x + 1, A_ij = 1 for a link i → j, with β = fraction / Δ
// where Δ = min(max out-degree, max in-degree) bounds ρ(A) (a matrix norm), so β ρ(A) ≤ fraction < 1
// and the Neumann series Σ_k (βAᵀ)^k 1 converges.
#include <array>
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "physics/graph/graph_system.hpp"

namespace anneal::physics::graph {

enum class Centrality { pagerank, katz };

struct CentralityOptions {
  std::int64_t min_out_degree = 1;  // each node links to uniform_int in [min, max] distinct other
  std::int64_t max_out_degree = 5;  // nodes (capped at n − 1); min 0 allows dangling nodes
  double damping = 0.85;            // PageRank α
  double katz_fraction = 0.5;       // Katz β = fraction / Δ
};

struct DirectedGraph {
  std::int64_t nodes = 0;
  std::vector<std::array<std::int64_t, 2>> links;  // (src, dst), grouped by src, no self-loops or duplicates
};

void check_options(const CentralityOptions& options);

// Node by node: one uniform_int for the out-degree, then distinct targets by rejection.
DirectedGraph random_directed_graph(std::int64_t nodes, const CentralityOptions& options, RandomStream& rng);

struct CentralitySolution {
  std::vector<double> x;  // PageRank: Σ x = 1; Katz: x ≥ 1
  double beta = 0;        // Katz β (0 for PageRank)
  double residual = 0;    // max_i |x − (W x + b)|_i / max_i |x_i| of the defining equation
};

CentralitySolution pagerank(const DirectedGraph& graph, double damping);
double katz_beta(const DirectedGraph& graph, double fraction);
CentralitySolution katz(const DirectedGraph& graph, double beta);

// Node features [out-degree / mean degree, in-degree / mean degree] (mean = links / nodes; 1 when
// there are none); edge feature [weight], the coefficient of x_src in x_dst's equation (α/outdeg(src)
// for PageRank, β for Katz); target [n x] for PageRank (mean 1), [x] for Katz.
GraphSystem centrality_system(const DirectedGraph& graph, Centrality kind, const CentralitySolution& solution,
                              double damping);

GraphSystem generate_centrality(std::int64_t nodes, Centrality kind, const CentralityOptions& options,
                                RandomStream& rng);

}  // namespace anneal::physics::graph
