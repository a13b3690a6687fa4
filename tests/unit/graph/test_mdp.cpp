// Random MDPs (the CGS paper's generator): sizes, Bellman optimality, agreement with value
// iteration, the optimal policy, and the graph they become (edges against the transitions).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "physics/graph/mdp.hpp"

using namespace anneal::physics::graph;

namespace {
// Value iteration from V = 0 until a sweep changes nothing above 1e-13 (γ = 0.9: ~300 sweeps).
std::vector<double> value_iteration(const Mdp& mdp) {
  std::vector<double> v(mdp.states, 0.0), next(mdp.states);
  for (int sweep = 0; sweep < 10000; ++sweep) {
    double change = 0;
    for (std::int64_t s = 0; s < mdp.states; ++s) {
      double best = -1e300;
      for (std::int64_t a = mdp.action_offsets[s]; a < mdp.action_offsets[s + 1]; ++a)
        best = std::max(best, mdp.reward[a] + mdp.discount * v[mdp.next_state[a]]);
      next[s] = best;
      change = std::max(change, std::abs(best - v[s]));
    }
    v.swap(next);
    if (change < 1e-13) break;
  }
  return v;
}
}  // namespace

TEST_CASE("Random MDPs have the paper's sizes", "[graph][mdp]") {
  std::int64_t fewest_states = 1000, most_states = 0, fewest_actions = 1000, most_actions = 0;
  for (std::uint64_t g = 0; g < 300; ++g) {
    anneal::RandomStream rng(1, g);
    const Mdp mdp = random_mdp(MdpOptions{}, rng);
    fewest_states = std::min(fewest_states, mdp.states);
    most_states = std::max(most_states, mdp.states);
    for (std::int64_t s = 0; s < mdp.states; ++s) {
      fewest_actions = std::min(fewest_actions, mdp.actions(s));
      most_actions = std::max(most_actions, mdp.actions(s));
    }
    for (const std::int64_t t : mdp.next_state) REQUIRE((t >= 0 && t < mdp.states));
    for (const double r : mdp.reward) REQUIRE((r >= -1 && r < 1));
    CHECK(mdp.discount == 0.9);
  }
  CHECK(fewest_states == 20);
  CHECK(most_states == 49);
  CHECK(fewest_actions == 5);
  CHECK(most_actions == 9);
}

TEST_CASE("MDP values are Bellman-optimal and equal value iteration", "[graph][mdp]") {
  for (std::uint64_t g = 0; g < 20; ++g) {
    INFO("mdp " << g);
    anneal::RandomStream rng(2, g);
    const Mdp mdp = random_mdp(MdpOptions{}, rng);
    const MdpSolution sol = solve_mdp(mdp);
    CHECK(sol.bellman_residual <= 1e-10);
    const std::vector<double> reference = value_iteration(mdp);
    for (std::int64_t s = 0; s < mdp.states; ++s) {
      CHECK(std::abs(sol.value[s] - reference[s]) < 1e-9);
      // The stored policy attains the maximum.
      double best = -1e300;
      for (std::int64_t a = mdp.action_offsets[s]; a < mdp.action_offsets[s + 1]; ++a)
        best = std::max(best, mdp.reward[a] + 0.9 * reference[mdp.next_state[a]]);
      const std::int64_t chosen = sol.policy[s];
      CHECK(chosen >= mdp.action_offsets[s]);
      CHECK(chosen < mdp.action_offsets[s + 1]);
      CHECK(mdp.reward[chosen] + 0.9 * reference[mdp.next_state[chosen]] >= best - 1e-9);
    }
  }
}

TEST_CASE("An MDP graph has one edge per action, from the next state to the state", "[graph][mdp]") {
  anneal::RandomStream rng(3, 0);
  const Mdp mdp = random_mdp(MdpOptions{}, rng);
  const MdpSolution sol = solve_mdp(mdp);
  const GraphSystem s = mdp_system(mdp, sol, MdpOptions{});
  REQUIRE(s.nodes == mdp.states);
  REQUIRE(s.num_edges() == mdp.action_offsets.back());
  for (std::int64_t state = 0; state < mdp.states; ++state) {
    for (std::int64_t a = mdp.action_offsets[state]; a < mdp.action_offsets[state + 1]; ++a) {
      CHECK(s.edges[a][0] == mdp.next_state[a]);
      CHECK(s.edges[a][1] == state);
      CHECK(s.edge_features[a] == mdp.reward[a]);
    }
    CHECK(s.node_features[2 * state] == 1.0);
    CHECK(s.node_features[2 * state + 1] == Approx(static_cast<double>(mdp.actions(state)) / 9));
    CHECK(s.targets[state] == sol.value[state]);
    // The policy's edge ends at the state and attains V there.
    const std::int64_t e = s.policy[state];
    CHECK(s.edges[e][1] == state);
    CHECK(s.edge_features[e] + 0.9 * s.targets[s.edges[e][0]] == Approx(s.targets[state]).margin(1e-10));
  }
}
