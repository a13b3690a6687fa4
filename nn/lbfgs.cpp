#include "nn/lbfgs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace anneal::nn {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (std::size_t k = 0; k < a.size(); ++k) sum += a[k] * b[k];
  return sum;
}

// ‖a‖∞, NaN if any element is (std::max would drop it and report a clean norm).
double max_abs(const std::vector<double>& a) {
  double m = 0;
  for (double v : a) {
    if (std::isnan(v)) return nan;
    m = std::max(m, std::abs(v));
  }
  return m;
}

// Minimiser of the cubic with the given values and slopes at a and b (Nocedal & Wright eq. 3.59);
// NaN where the cubic has no minimiser.
double cubic_minimizer(double a, double fa, double ga, double b, double fb, double gb) {
  const double d1 = ga + gb - 3 * (fa - fb) / (a - b);
  const double disc = d1 * d1 - ga * gb;
  if (!(disc >= 0)) return nan;
  const double d2 = std::copysign(std::sqrt(disc), b - a);
  return b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
}

struct Trial {
  double alpha, value, slope;
};

}  // namespace

LineSearchResult strong_wolfe_line_search(const std::function<LineSearchPoint(double)>& phi, LineSearchPoint at_zero,
                                          double initial_step, const WolfeOptions& options) {
  const double c1 = options.c1, c2 = options.c2, f0 = at_zero.value, g0 = at_zero.slope;
  ANNEAL_CHECK(0 < c1 && c1 < c2 && c2 < 1, "line search: need 0 < c1 < c2 < 1, got c1 = {}, c2 = {}", c1, c2);
  ANNEAL_CHECK(std::isfinite(f0) && std::isfinite(g0) && g0 < 0,
               "line search: need a finite value and a negative slope at step 0 (a descent direction), got {} and {}",
               f0, g0);
  ANNEAL_CHECK(std::isfinite(initial_step) && initial_step > 0, "line search: the initial step must be > 0, got {}",
               initial_step);
  ANNEAL_CHECK(options.max_evaluations > 0, "line search: max_evaluations must be > 0");

  LineSearchResult result;
  result.value = f0;
  result.slope = g0;
  const auto evaluate = [&](double alpha) {
    const LineSearchPoint p = phi(alpha);
    ++result.evaluations;
    return Trial{alpha, p.value, p.slope};
  };
  // A NaN or infinite value fails sufficient decrease, so the search backs off from it.
  const auto sufficient = [&](const Trial& t) { return std::isfinite(t.value) && t.value <= f0 + c1 * t.alpha * g0; };
  const auto curvature = [&](const Trial& t) { return std::abs(t.slope) <= -c2 * g0; };
  const auto accept = [&](const Trial& t, bool wolfe) {
    result.step = t.alpha;
    result.value = t.value;
    result.slope = t.slope;
    result.wolfe = wolfe;
    return result;
  };
  // `lo` is always step 0 or the trial of lowest value among those of sufficient decrease: the
  // answer when the budget runs out.
  const auto fallback = [&](const Trial& lo) { return lo.alpha > 0 ? accept(lo, false) : result; };

  // Alg. 3.6: the bracket between lo and hi holds a strong-Wolfe point; shrink it.
  const auto zoom = [&](Trial lo, Trial hi) {
    while (result.evaluations < options.max_evaluations) {
      const double left = std::min(lo.alpha, hi.alpha), right = std::max(lo.alpha, hi.alpha);
      const double width = right - left;
      if (width <= options.min_interval || width <= 4 * std::numeric_limits<double>::epsilon() * right) break;
      double alpha = cubic_minimizer(lo.alpha, lo.value, lo.slope, hi.alpha, hi.value, hi.slope);
      if (!std::isfinite(alpha)) alpha = 0.5 * (left + right);
      // Away from the ends, so that every trial shrinks the bracket by a tenth at least.
      alpha = std::clamp(alpha, left + 0.1 * width, right - 0.1 * width);
      const Trial t = evaluate(alpha);
      if (!sufficient(t) || t.value >= lo.value) {
        hi = t;
      } else {
        if (curvature(t)) return accept(t, true);
        if (t.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = t;
      }
    }
    return fallback(lo);
  };

  // Alg. 3.5: grow the step until it brackets a strong-Wolfe point or is one.
  Trial previous{0.0, f0, g0};
  double alpha = initial_step;
  while (result.evaluations < options.max_evaluations && std::isfinite(alpha)) {
    const Trial t = evaluate(alpha);
    if (!sufficient(t) || (previous.alpha > 0 && t.value >= previous.value)) return zoom(previous, t);
    if (curvature(t)) return accept(t, true);
    if (t.slope >= 0) return zoom(t, previous);
    // Still descending: extrapolate with the cubic through both points, kept within 1.1 to 10
    // times the current step so the search neither stalls nor runs away.
    const double lower = t.alpha + 0.1 * (t.alpha - previous.alpha), upper = 10 * t.alpha;
    double next = cubic_minimizer(previous.alpha, previous.value, previous.slope, t.alpha, t.value, t.slope);
    if (!std::isfinite(next)) next = 2 * t.alpha;
    alpha = std::clamp(next, lower, upper);
    previous = t;
  }
  return fallback(previous);
}

// ---- L-BFGS

std::string to_string(LbfgsStop reason) {
  switch (reason) {
    case LbfgsStop::gradient_tolerance:
      return "gradient norm below tolerance_grad";
    case LbfgsStop::change_tolerance:
      return "change in loss or parameters below tolerance_change";
    case LbfgsStop::max_iterations:
      return "max_iterations reached";
    case LbfgsStop::max_evaluations:
      return "max_evaluations reached";
    case LbfgsStop::line_search_failed:
      return "line search found no decrease, even along steepest descent";
  }
  return "unknown";
}

std::string to_string(const LbfgsStatus& s) {
  return fmt::format("L-BFGS {} ({}) after {} iterations, {} evaluations: loss {:.6e}, |grad|_inf {:.3e}",
                     s.converged ? "converged" : "did NOT converge", to_string(s.reason), s.iterations, s.evaluations,
                     s.loss, s.gradient_norm);
}

Lbfgs::Lbfgs(std::vector<Tensor> parameters, const LbfgsOptions& options)
    : Optimizer(std::move(parameters), options.learning_rate), options_(options) {
  const auto& o = options;
  ANNEAL_CHECK(o.learning_rate > 0, "L-BFGS: learning_rate must be > 0, got {}", o.learning_rate);
  ANNEAL_CHECK(o.max_iterations > 0, "L-BFGS: max_iterations must be > 0, got {}", o.max_iterations);
  ANNEAL_CHECK(o.max_evaluations >= 0, "L-BFGS: max_evaluations must be >= 0, got {}", o.max_evaluations);
  ANNEAL_CHECK(o.history_size > 0, "L-BFGS: history_size must be > 0, got {}", o.history_size);
  ANNEAL_CHECK(o.tolerance_grad >= 0 && o.tolerance_change >= 0, "L-BFGS: tolerances must be >= 0, got {} and {}",
               o.tolerance_grad, o.tolerance_change);
  ANNEAL_CHECK(0 < o.c1 && o.c1 < o.c2 && o.c2 < 1, "L-BFGS: need 0 < c1 < c2 < 1, got c1 = {}, c2 = {}", o.c1, o.c2);
  ANNEAL_CHECK(o.max_line_search_evaluations > 0, "L-BFGS: max_line_search_evaluations must be > 0");
  for (const auto& p : this->parameters()) size_ += p.numel();
}

void Lbfgs::step() {
  ANNEAL_THROW(
      "L-BFGS evaluates the loss several times per step: call step(closure) with a closure that zeroes the "
      "gradients, computes the loss, calls backward() and returns the loss");
}

std::vector<double> Lbfgs::flat_parameters() const {
  std::vector<double> x;
  x.reserve(static_cast<std::size_t>(size_));
  for (const auto& p : parameters()) {
    const auto v = p.to_vector();
    x.insert(x.end(), v.begin(), v.end());
  }
  return x;
}

std::vector<double> Lbfgs::flat_gradient() const {
  std::vector<double> g;
  g.reserve(static_cast<std::size_t>(size_));
  for (std::size_t i = 0; i < parameters().size(); ++i) {
    const Tensor grad = gradient(i);
    if (!grad.defined()) {
      g.insert(g.end(), static_cast<std::size_t>(parameters()[i].numel()), 0.0);  // not in the loss
      continue;
    }
    const auto v = grad.to_vector();
    g.insert(g.end(), v.begin(), v.end());
  }
  return g;
}

void Lbfgs::set_parameters(const std::vector<double>& x0, double alpha, const std::vector<double>& d) {
  std::size_t at = 0;
  for (Tensor p : parameters()) {
    dispatch(p.dtype(), [&]<class T>() {
      T* x = p.data<T>();
      // α = 0 restores x0 exactly, even where d is not finite.
      for (std::int64_t k = 0; k < p.numel(); ++k, ++at)
        x[k] = static_cast<T>(alpha == 0 ? x0[at] : x0[at] + alpha * d[at]);
    });
  }
}

std::vector<double> Lbfgs::direction(const std::vector<double>& g) const {
  // Two-loop recursion (N&W Alg. 7.4) with H0 = γ I, γ = sᵀy / yᵀy from the newest pair (eq. 7.20).
  const std::size_t m = s_.size();
  std::vector<double> q(g.size()), alpha(m), rho(m);
  for (std::size_t k = 0; k < g.size(); ++k) q[k] = -g[k];
  for (std::size_t j = m; j-- > 0;) {
    rho[j] = 1 / dot(y_[j], s_[j]);
    alpha[j] = rho[j] * dot(s_[j], q);
    for (std::size_t k = 0; k < q.size(); ++k) q[k] -= alpha[j] * y_[j][k];
  }
  const double gamma = dot(s_[m - 1], y_[m - 1]) / dot(y_[m - 1], y_[m - 1]);
  for (double& v : q) v *= gamma;
  for (std::size_t j = 0; j < m; ++j) {
    const double beta = rho[j] * dot(y_[j], q);
    for (std::size_t k = 0; k < q.size(); ++k) q[k] += (alpha[j] - beta) * s_[j][k];
  }
  return q;
}

double Lbfgs::step(const std::function<double()>& closure) {
  const LbfgsOptions& o = options_;
  const std::int64_t max_evaluations =
      o.max_evaluations > 0 ? o.max_evaluations : std::max<std::int64_t>(2, o.max_iterations * 5 / 4);
  status_ = LbfgsStatus{};
  std::int64_t evaluations = 0;
  double loss = closure();
  ++evaluations;
  ANNEAL_CHECK(std::isfinite(loss), "L-BFGS: the loss is {} at the starting parameters", loss);
  std::vector<double> g = flat_gradient();
  std::vector<double> x = flat_parameters();

  const auto finish = [&](LbfgsStop reason) {
    status_.evaluations = evaluations;
    status_.loss = loss;
    status_.gradient_norm = max_abs(g);
    status_.reason = reason;
    status_.converged = reason == LbfgsStop::gradient_tolerance || reason == LbfgsStop::change_tolerance;
    count_step();
    return loss;
  };
  if (max_abs(g) <= o.tolerance_grad) return finish(LbfgsStop::gradient_tolerance);

  // The latest trial of the line search, kept so that the accepted point needs no re-evaluation.
  double last_alpha = nan, last_loss = nan;
  std::vector<double> last_grad, d;
  for (std::int64_t iteration = 1; iteration <= o.max_iterations; ++iteration) {
    if (evaluations >= max_evaluations) return finish(LbfgsStop::max_evaluations);
    status_.iterations = iteration;
    LineSearchResult found;
    while (true) {
      double initial = learning_rate();
      if (s_.empty()) {
        // Steepest descent has no scale: start with a step of length ≤ 1 in parameter space.
        d.assign(g.size(), 0.0);
        double g1 = 0;
        for (std::size_t k = 0; k < g.size(); ++k) d[k] = -g[k], g1 += std::abs(g[k]);
        initial *= std::min(1.0, 1.0 / g1);
      } else {
        d = direction(g);
      }
      const double slope = dot(g, d);
      const bool descent = std::isfinite(slope) && slope < 0;
      if (descent) {
        WolfeOptions wolfe{o.c1, o.c2, 0, 0.0};
        wolfe.max_evaluations =
            std::max<std::int64_t>(1, std::min(o.max_line_search_evaluations, max_evaluations - evaluations));
        const double d_max = max_abs(d);
        wolfe.min_interval = d_max > 0 ? o.tolerance_change / d_max : 0.0;
        const auto phi = [&](double alpha) {
          set_parameters(x, alpha, d);
          last_alpha = alpha;
          last_loss = closure();
          ++evaluations;
          last_grad = flat_gradient();
          return LineSearchPoint{last_loss, dot(last_grad, d)};
        };
        found = strong_wolfe_line_search(phi, {loss, slope}, initial, wolfe);
        if (found.step > 0) break;
      }
      set_parameters(x, 0.0, d);  // back to where the search began
      if (s_.empty()) return finish(LbfgsStop::line_search_failed);
      // The curvature model misleads here: forget it and retry along steepest descent.
      s_.clear();
      y_.clear();
      if (evaluations >= max_evaluations) return finish(LbfgsStop::max_evaluations);
    }

    if (found.step != last_alpha) {  // the search fell back to an earlier trial
      set_parameters(x, found.step, d);
      last_loss = closure();
      ++evaluations;
      last_grad = flat_gradient();
    }
    // The step actually taken, after rounding to the parameters' dtype.
    std::vector<double> x_new = flat_parameters(), s(x.size()), y(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) s[k] = x_new[k] - x[k], y[k] = last_grad[k] - g[k];
    const double ys = dot(y, s);
    // Strong Wolfe makes yᵀs > 0; keep the pair only if that survived rounding, or H loses definiteness.
    if (ys > std::numeric_limits<double>::epsilon() * std::sqrt(dot(s, s) * dot(y, y))) {
      if (static_cast<std::int64_t>(s_.size()) == o.history_size) {
        s_.erase(s_.begin());
        y_.erase(y_.begin());
      }
      s_.push_back(s);
      y_.push_back(y);
    }
    const double loss_change = std::abs(last_loss - loss);
    x = std::move(x_new);
    g = last_grad;
    loss = last_loss;
    if (max_abs(g) <= o.tolerance_grad) return finish(LbfgsStop::gradient_tolerance);
    if (max_abs(s) < o.tolerance_change || loss_change < o.tolerance_change) return finish(LbfgsStop::change_tolerance);
  }
  return finish(LbfgsStop::max_iterations);
}

NamedTensors Lbfgs::state() const {
  NamedTensors out = Optimizer::state();
  out.emplace_back("history", Tensor::scalar(static_cast<double>(s_.size()), DType::f64));
  for (std::size_t k = 0; k < s_.size(); ++k) {
    out.emplace_back("s/" + std::to_string(k), Tensor::from_vector(s_[k], {size_}, DType::f64));
    out.emplace_back("y/" + std::to_string(k), Tensor::from_vector(y_[k], {size_}, DType::f64));
  }
  return out;
}

void Lbfgs::load_state(const NamedTensors& state) {
  StateReader reader(state, "L-BFGS");
  read_base_state(reader);
  const double stored = reader.peek("history");
  ANNEAL_CHECK(stored >= 0 && stored <= static_cast<double>(options_.history_size) && std::floor(stored) == stored,
               "L-BFGS state: history holds {} pairs, this optimizer keeps at most {}", stored, options_.history_size);
  const auto n = static_cast<std::size_t>(stored);
  std::vector<Tensor> s(n), y(n);
  for (std::size_t k = 0; k < n; ++k) {
    s[k] = Tensor::empty({size_}, DType::f64);
    y[k] = Tensor::empty({size_}, DType::f64);
    reader.read("s/" + std::to_string(k), s[k]);
    reader.read("y/" + std::to_string(k), y[k]);
  }
  reader.commit();
  s_.clear();
  y_.clear();
  for (std::size_t k = 0; k < n; ++k) {
    s_.push_back(s[k].to_vector());
    y_.push_back(y[k].to_vector());
  }
}

}  // namespace anneal::nn
