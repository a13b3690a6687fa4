#include "physics/graph/mdp.hpp"

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace anneal::physics::graph {
namespace {
using SparseMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;

std::vector<double> evaluate_policy(const Mdp& mdp, const std::vector<std::int64_t>& policy) {
  const auto n = static_cast<int>(mdp.states);
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(2 * static_cast<std::size_t>(n));
  Eigen::VectorXd r(n);
  for (int s = 0; s < n; ++s) {
    const std::int64_t a = policy[s];
    triplets.emplace_back(s, s, 1.0);
    triplets.emplace_back(s, static_cast<int>(mdp.next_state[a]), -mdp.discount);  // summed with the 1 on a self-loop
    r[s] = mdp.reward[a];
  }
  SparseMatrix M(n, n);
  M.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SparseLU<SparseMatrix> lu(M);
  ANNEAL_CHECK(lu.info() == Eigen::Success, "mdp: the policy evaluation solve failed ({})", lu.lastErrorMessage());
  const Eigen::VectorXd v = lu.solve(r);
  return {v.data(), v.data() + n};
}

double q_value(const Mdp& mdp, const std::vector<double>& value, std::int64_t a) {
  return mdp.reward[a] + mdp.discount * value[mdp.next_state[a]];
}
}  // namespace

void check_options(const MdpOptions& o) {
  ANNEAL_CHECK(o.min_states >= 1 && o.max_states >= o.min_states,
               "mdp: the state range should satisfy 1 ≤ min ≤ max, got [{}, {}]", o.min_states, o.max_states);
  ANNEAL_CHECK(o.min_actions >= 1 && o.max_actions >= o.min_actions,
               "mdp: the action range should satisfy 1 ≤ min ≤ max, got [{}, {}]", o.min_actions, o.max_actions);
  ANNEAL_CHECK(o.discount >= 0 && o.discount < 1, "mdp: the discount should be in [0, 1), got {}", o.discount);
}

Mdp random_mdp(const MdpOptions& options, RandomStream& rng) {
  check_options(options);
  const auto uniform_in = [&](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(hi - lo + 1)));
  };
  Mdp mdp;
  mdp.discount = options.discount;
  mdp.states = uniform_in(options.min_states, options.max_states);
  mdp.action_offsets.assign(1, 0);
  for (std::int64_t s = 0; s < mdp.states; ++s) {
    const std::int64_t actions = uniform_in(options.min_actions, options.max_actions);
    for (std::int64_t a = 0; a < actions; ++a) {
      mdp.next_state.push_back(uniform_in(0, mdp.states - 1));
      mdp.reward.push_back(2 * rng.uniform() - 1);
    }
    mdp.action_offsets.push_back(mdp.action_offsets.back() + actions);
  }
  return mdp;
}

MdpSolution solve_mdp(const Mdp& mdp) {
  MdpSolution sol;
  sol.policy.resize(static_cast<std::size_t>(mdp.states));
  for (std::int64_t s = 0; s < mdp.states; ++s) {
    const auto first = mdp.reward.begin() + mdp.action_offsets[s],
               last = mdp.reward.begin() + mdp.action_offsets[s + 1];
    sol.policy[s] = std::max_element(first, last) - mdp.reward.begin();
  }
  // Policy iteration ends after at most (number of policies) sweeps and in practice after a
  // handful; the cap only guards against a bug.
  constexpr std::int64_t kMaxSweeps = 10000;
  for (bool stable = false; !stable;) {
    ANNEAL_CHECK(sol.iterations < kMaxSweeps, "mdp: policy iteration did not settle in {} sweeps", kMaxSweeps);
    ++sol.iterations;
    sol.value = evaluate_policy(mdp, sol.policy);
    stable = true;
    for (std::int64_t s = 0; s < mdp.states; ++s) {
      const double current = q_value(mdp, sol.value, sol.policy[s]);
      std::int64_t best = sol.policy[s];
      double best_q = current;
      for (std::int64_t a = mdp.action_offsets[s]; a < mdp.action_offsets[s + 1]; ++a) {
        const double q = q_value(mdp, sol.value, a);
        if (q > best_q) {
          best_q = q;
          best = a;
        }
      }
      if (best_q > current + 1e-12 * (1 + std::abs(current))) {
        sol.policy[s] = best;
        stable = false;
      }
    }
  }
  double scale = 0;
  for (std::int64_t s = 0; s < mdp.states; ++s) {
    double best = -std::numeric_limits<double>::infinity();
    for (std::int64_t a = mdp.action_offsets[s]; a < mdp.action_offsets[s + 1]; ++a)
      best = std::max(best, q_value(mdp, sol.value, a));
    sol.bellman_residual = std::max(sol.bellman_residual, std::abs(sol.value[s] - best));
    scale = std::max(scale, std::abs(sol.value[s]));
  }
  ANNEAL_CHECK(sol.bellman_residual <= 1e-10 * (1 + scale),
               "mdp: policy iteration stopped with a Bellman residual of {} (values up to {})", sol.bellman_residual,
               scale);
  return sol;
}

GraphSystem mdp_system(const Mdp& mdp, const MdpSolution& solution, const MdpOptions& options) {
  GraphSystem s;
  s.nodes = mdp.states;
  s.node_feature_names = {"constant", "actions"};
  s.edge_feature_names = {"reward"};
  s.target_names = {"value"};
  s.residual = solution.bellman_residual;
  for (std::int64_t state = 0; state < mdp.states; ++state) {
    s.node_features.insert(s.node_features.end(),
                           {1.0, static_cast<double>(mdp.actions(state)) / static_cast<double>(options.max_actions)});
    s.targets.push_back(solution.value[state]);
    for (std::int64_t a = mdp.action_offsets[state]; a < mdp.action_offsets[state + 1]; ++a) {
      s.edges.push_back({mdp.next_state[a], state});
      s.edge_features.push_back(mdp.reward[a]);
    }
  }
  // Edges are in action order, so a global action index is the state's local edge index.
  s.policy = solution.policy;
  return s;
}

}  // namespace anneal::physics::graph
