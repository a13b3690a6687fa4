#pragma once
// Random deterministic Markov decision processes, the generator of the convergent graph solver
// paper's graph value iteration experiment (Park, Choo & Park, "Convergent graph solvers", ICLR
// 2022): states uniform in [20, 49], actions per state uniform in [5, 9], each (s, a) leading to a
// next state s' uniform over all states with a reward r ~ U(−1, 1), discount γ = 0.9. The optimal
// values solve the Bellman optimality equation V(s) = max_a [r(s, a) + γ V(s'(s, a))].
//
// Edge convention: one edge per (state, action), src = s' (the next state) and dst = s, because
// V(s) is computed from V(s'): messages flow against the transition. Edges are ordered by state,
// then action, so the local edge index of (s, a) is action_offsets[s] + a. Self-loops (s' = s) and
// parallel edges (two actions to the same s') are legitimate.
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "physics/graph/graph_system.hpp"

namespace anneal::physics::graph {

struct MdpOptions {
  std::int64_t min_states = 20, max_states = 49;
  std::int64_t min_actions = 5, max_actions = 9;
  double discount = 0.9;
};

struct Mdp {
  std::int64_t states = 0;
  std::vector<std::int64_t> action_offsets;  // [states + 1]: state s owns actions [offsets[s], offsets[s+1])
  std::vector<std::int64_t> next_state;      // per action
  std::vector<double> reward;                // per action
  double discount = 0.9;

  std::int64_t actions(std::int64_t s) const { return action_offsets[s + 1] - action_offsets[s]; }
};

struct MdpSolution {
  std::vector<double> value;         // V*
  std::vector<std::int64_t> policy;  // per state, the global action index (into next_state, reward)
  std::int64_t iterations = 0;       // policy-iteration sweeps
  double bellman_residual = 0;       // max_s |V(s) − max_a (r + γ V(s'))|
};

void check_options(const MdpOptions& options);

// Draws the state count, then per state its action count and per action s' and r, in that order.
Mdp random_mdp(const MdpOptions& options, RandomStream& rng);

// Exact V* by policy iteration (Howard 1960): evaluate the policy by a sparse LU solve of
// (I − γ P_π) V = r_π, improve greedily (switching only for a gain above 1e-12 (1 + |Q|), so
// rounding cannot make it cycle), stop when the policy is stable. Starts from the greedy policy
// on immediate rewards. Throws if the final Bellman residual exceeds 1e-10 (1 + max |V|).
MdpSolution solve_mdp(const Mdp& mdp);

// Node features [1, actions / max_actions]; edge feature [reward]; target [V*]; extra policy: the
// local edge index of each state's optimal action.
GraphSystem mdp_system(const Mdp& mdp, const MdpSolution& solution, const MdpOptions& options);

inline GraphSystem generate_mdp(const MdpOptions& options, RandomStream& rng) {
  const Mdp mdp = random_mdp(options, rng);
  return mdp_system(mdp, solve_mdp(mdp), options);
}

}  // namespace anneal::physics::graph
