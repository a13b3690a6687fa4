#pragma once
// The two methods, as networks with their losses (Mojgani, Balajewicz & Hassanzadeh 2023):
//
//   pinn   (Eulerian) one network u(x, t); residual r = u_t + f(u) u_x − ν u_xx.
//   lpinn  (Lagrangian) two branches over the label x₀ of a characteristic and t:
//            X(x₀, t) = x₀ + c·D(x₀, t)   with  X_t = f(u),   X(x₀, 0) = x₀
//            u(x₀, t)                     with  u_t = ν u_xx, u(x₀, 0) = u0(x₀)
//          u_xx is taken in the physical coordinate x = X, by the chain rule:
//            u_xx = (u_{x₀x₀} X_{x₀} − u_{x₀} X_{x₀x₀}) / X_{x₀}³;
//          the authors' released code uses u_{x₀x₀}, exact only while X_{x₀} = 1 (constant speed):
//          DiffusionForm::released reproduces it.
//
// c is the characteristic speed scale (β, or max|u0| for Burgers): the displacement network then
// outputs O(1) values for any β, and the characteristic residual (X_t − f(u))/c and initial
// loss ((X − x₀)/c)² are measured in the same units as the state's.
//
// Constraints: soft adds initial (and, on Dirichlet domains, boundary) losses; hard builds them in,
// u = u0 + t·φ·N and D = t·φ·N_D, with φ = 1 (periodic) or 4(x − a)(b − x)/L² (Dirichlet).
// Periodicity is always exact through the (cos ωx, sin ωx) encoding.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "nn/mlp.hpp"
#include "nn/module.hpp"
#include "physics/lpinn/field_jet.hpp"
#include "physics/lpinn/problem.hpp"

namespace anneal::physics::lpinn {

enum class Method { pinn, lpinn };
enum class Constraints { soft, hard };
enum class DiffusionForm { physical, released };
std::string to_string(Method method);
std::string to_string(Constraints constraints);
std::string to_string(DiffusionForm form);

struct NetworkSpec {
  std::int64_t depth = 4;   // hidden layers
  std::int64_t width = 50;  // neurons per hidden layer
  nn::Activation activation = nn::Activation::tanh;
};

struct LossWeights {
  double residual = 1;        // the PDE residual (the state's, for lpinn)
  double characteristic = 1;  // lpinn: X_t = f(u)
  double initial = 1;         // soft constraints: t = 0
  double boundary = 1;        // soft constraints on Dirichlet domains
};

struct ModelOptions {
  Method method = Method::lpinn;
  NetworkSpec network;  // each branch of an lpinn has this shape
  Constraints constraints = Constraints::hard;
  DiffusionForm diffusion = DiffusionForm::physical;
  LossWeights weights;
  double speed_scale = 0;  // c; 0: from the problem (|β|, or max|u0| for Burgers; at least 1e-12)
  nn::DType dtype = nn::DType::f64;
};

// Where the losses are evaluated: interior collocation points, t = 0 points, boundary points
// (Dirichlet, soft only; x is x_min or x_max).
struct Batch {
  Points interior, initial, boundary;
};

struct Losses {
  nn::Tensor total;
  std::vector<std::pair<std::string, nn::Tensor>> terms;  // named parts, unweighted
};

// The solution on a grid, [nt][nx]; for lpinn also where the characteristics went.
struct Prediction {
  std::vector<double> u;
  std::vector<double> characteristics;  // lpinn: X(x₀_j, t_i), [nt][labels], unwrapped
  std::vector<double> labels;           // lpinn: the x₀_j
  std::int64_t crossed_rows = 0;        // lpinn: time rows where X(·, t) was not monotone
};

class Model : public nn::Module {
 public:
  Model(const Problem& problem, const ModelOptions& options);
  virtual Losses loss(const Batch& batch) const = 0;
  // u on the grid x × t (x increasing inside the domain).
  virtual Prediction predict(const std::vector<double>& x, const std::vector<double>& t) const = 0;
  const Problem& problem() const { return problem_; }
  const ModelOptions& options() const { return options_; }
  double speed_scale() const { return speed_scale_; }

 protected:
  std::shared_ptr<nn::Mlp> make_network(const std::string& name, RandomStream& rng);
  FieldJet network_field(const nn::Mlp& net, const Points& points, Orders orders) const;
  Orders interior_orders() const;  // what the residual needs: u_xx only where ν > 0
  // f(u)·w and w − f(u), with f = β a scalar (no tensor of β is built) or f = u.
  nn::Tensor speed_times(const nn::Tensor& u, const nn::Tensor& w) const;
  nn::Tensor minus_speed(const nn::Tensor& w, const nn::Tensor& u) const;

  Problem problem_;
  ModelOptions options_;
  InputEncoding encoding_;
  double speed_scale_;
};

class Pinn : public Model {
 public:
  Pinn(const Problem& problem, const ModelOptions& options, RandomStream& rng);
  FieldJet solution(const Points& points, Orders orders = {}) const;
  Losses loss(const Batch& batch) const override;
  Prediction predict(const std::vector<double>& x, const std::vector<double>& t) const override;

 private:
  std::shared_ptr<nn::Mlp> net_;
};

class Lpinn : public Model {
 public:
  Lpinn(const Problem& problem, const ModelOptions& options, RandomStream& rng);
  FieldJet position(const Points& labels, Orders orders = {}) const;  // X(x₀, t)
  FieldJet state(const Points& labels, Orders orders = {}) const;     // u(x₀, t)
  // u_xx in the physical coordinate (or the released form's u_{x₀x₀}).
  nn::Tensor diffusion_term(const FieldJet& position, const FieldJet& state) const;
  Losses loss(const Batch& batch) const override;
  // Inverts X(·, t) = x for every grid point (bracketing on a fine label grid, then Newton on the
  // network), so that u is reported on the same Eulerian grid as the pinn's.
  Prediction predict(const std::vector<double>& x, const std::vector<double>& t) const override;

 private:
  std::shared_ptr<nn::Mlp> displacement_, state_;
};

std::unique_ptr<Model> make_model(const Problem& problem, const ModelOptions& options, RandomStream& rng);

}  // namespace anneal::physics::lpinn
