#pragma once
// L-BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4 two-loop recursion) with a
// line search that enforces the strong Wolfe conditions (Alg. 3.5 bracketing, Alg. 3.6 zoom with
// cubic interpolation). The interface is PyTorch's: step(closure) runs up to max_iterations
// iterations, calling the closure (zero grads, loss, backward, return the loss) at every trial
// point. How the last step() ended is in status(): a run that stopped short of a tolerance says so.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/optimizer.hpp"

namespace anneal::nn {

// ---- strong-Wolfe line search on φ(α) = f(x + α d)

struct WolfeOptions {
  double c1 = 1e-4;  // sufficient decrease: φ(α) ≤ φ(0) + c1 α φ'(0)
  double c2 = 0.9;   // curvature: |φ'(α)| ≤ c2 |φ'(0)|; 0 < c1 < c2 < 1
  std::int64_t max_evaluations = 25;
  double min_interval = 0.0;  // zoom gives up once the bracket [α_lo, α_hi] is narrower than this
};

struct LineSearchPoint {
  double value;  // φ(α)
  double slope;  // φ'(α)
};

struct LineSearchResult {
  double step = 0;  // α; 0 when no point of sufficient decrease was found
  double value = 0;
  double slope = 0;
  std::int64_t evaluations = 0;
  // Both strong-Wolfe conditions hold at `step`. When false but step > 0, `step` is the point of
  // lowest value among those of sufficient decrease (the budget or the bracket ran out).
  bool wolfe = false;
};

// `at_zero` is φ(0), φ'(0) with φ'(0) < 0; `initial_step` > 0 is the first trial α.
LineSearchResult strong_wolfe_line_search(const std::function<LineSearchPoint(double)>& phi, LineSearchPoint at_zero,
                                          double initial_step, const WolfeOptions& options = {});

// ---- L-BFGS

struct LbfgsOptions {
  double learning_rate = 1.0;        // scales the first trial step of each line search
  std::int64_t max_iterations = 20;  // per step() call
  std::int64_t max_evaluations = 0;  // closure calls per step(); 0 means 5/4 of max_iterations
  std::int64_t history_size = 10;    // m, the stored (s, y) pairs
  double tolerance_grad = 1e-7;      // converged once ‖g‖∞ ≤ this
  double tolerance_change = 1e-9;    // converged once |Δloss| or ‖Δθ‖∞ falls below this (0: off)
  double c1 = 1e-4;
  double c2 = 0.9;
  std::int64_t max_line_search_evaluations = 25;
};

enum class LbfgsStop {
  gradient_tolerance,  // converged: ‖g‖∞ ≤ tolerance_grad
  change_tolerance,    // converged: the loss or the parameters stopped moving
  max_iterations,      // not converged
  max_evaluations,     // not converged
  line_search_failed,  // not converged: no decrease along steepest descent either
};

struct LbfgsStatus {
  std::int64_t iterations = 0;   // in the last step() call
  std::int64_t evaluations = 0;  // closure calls in the last step() call
  double loss = 0;               // at the parameters left in place
  double gradient_norm = 0;      // ‖g‖∞ there
  bool converged = false;
  LbfgsStop reason = LbfgsStop::max_iterations;
};
std::string to_string(LbfgsStop reason);
std::string to_string(const LbfgsStatus& status);  // one line for logs

class Lbfgs : public Optimizer {
 public:
  Lbfgs(std::vector<Tensor> parameters, const LbfgsOptions& options = {});

  // Runs up to max_iterations iterations from the current parameters; returns the final loss.
  // The curvature history carries over to the next call.
  double step(const std::function<double()>& closure) override;
  void step() override;  // throws: L-BFGS must re-evaluate the loss, it needs a closure
  const LbfgsStatus& status() const { return status_; }
  const LbfgsOptions& options() const { return options_; }

  // {"step", "learning_rate", "history"} and the stored pairs "s/k", "y/k" (k = 0 oldest), each an
  // f64 vector over all parameters flattened in order.
  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 private:
  std::vector<double> flat_parameters() const;
  std::vector<double> flat_gradient() const;
  void set_parameters(const std::vector<double>& x0, double alpha, const std::vector<double>& d);
  std::vector<double> direction(const std::vector<double>& g) const;  // −H g by the two-loop recursion

  LbfgsOptions options_;
  std::int64_t size_ = 0;  // total number of parameter elements
  std::vector<std::vector<double>> s_, y_;
  LbfgsStatus status_;
};

}  // namespace anneal::nn
