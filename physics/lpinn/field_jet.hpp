#pragma once
// A scalar field's value and the derivatives the residuals of w_t + f(w) w_x = ν w_xx need, at N
// points, as differentiable [N, 1] tensors; and the inputs' encoding that produces them.
//
// Jets of network outputs come from nn's forward Taylor propagation; jets of known functions
// (u0(x), t, the Dirichlet factor (x − a)(b − x)) are constants. Products follow Leibniz, so a
// hard-constrained ansatz u = u0 + t·φ(x)·N(x, t) has exact derivatives without a second pass.
#include <vector>

#include "nn/jet.hpp"
#include "nn/tensor.hpp"
#include "physics/lpinn/problem.hpp"

namespace anneal::physics::lpinn {

struct FieldJet {
  nn::Tensor value, d_x, d_t, d_xx;  // each [N, 1]; x is x₀ for the Lagrangian branches
};
// A derivative is carried only where both operands carry it (an undefined tensor is "not wanted").
FieldJet operator+(const FieldJet& a, const FieldJet& b);
FieldJet operator*(const FieldJet& a, const FieldJet& b);  // Leibniz: (ab)'' = a''b + 2a'b' + ab''
FieldJet operator*(double c, const FieldJet& a);

// Which x-derivatives a loss needs (d/dt is always carried). A pinn for pure convection needs no
// u_xx, and an lpinn for it no x-derivative at all: each stream left out is a pass through every
// layer saved, forward and backward.
struct Orders {
  bool x = true;   // d/dx (implied by xx)
  bool xx = true;  // d²/dx²
};

// Points (x_i, t_i) where residuals or predictions are wanted.
struct Points {
  std::vector<double> x, t;
  std::size_t size() const { return x.size(); }
};

// The jet of a known function g(x, t) at `points` from its sampled value and derivatives.
FieldJet known_field(const std::vector<double>& value, const std::vector<double>& d_x,
                     const std::vector<double>& d_t, const std::vector<double>& d_xx, nn::DType dtype);
FieldJet initial_field(const InitialCondition& u0, const Points& points, nn::DType dtype);  // u0(x)
FieldJet coordinate_field(const Points& points, nn::DType dtype);                           // g = x
// t·φ(x): zero at t = 0, and on a Dirichlet domain also at both ends, φ = 4(x − a)(b − x)/L²;
// φ = 1 on a periodic one. `with_time` false drops the factor t (boundary-only constraints).
FieldJet constraint_factor(const Problem& problem, const Points& points, bool with_time, nn::DType dtype);

// Network inputs as a jet along x (first and second derivatives) and t (first): on a periodic
// domain (cos ωx, sin ωx, τ), which makes every network exactly periodic in x; otherwise (ξ, τ),
// with ξ = 2(x − x_min)/L − 1 and τ = 2t/t_end − 1 so that inputs lie in [−1, 1].
class InputEncoding {
 public:
  explicit InputEncoding(const Problem& problem);
  std::int64_t features() const { return periodic_ ? 3 : 2; }
  nn::Jet encode(const Points& points, nn::DType dtype, Orders orders = {}) const;

 private:
  bool periodic_;
  double x_min_, length_, t_end_;
};

// The jet of a network's output (column 0) as a FieldJet, for a jet encoded with `orders`.
FieldJet field_from_jet(const nn::Jet& jet, Orders orders);

}  // namespace anneal::physics::lpinn
