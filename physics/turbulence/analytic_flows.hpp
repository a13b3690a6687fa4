#pragma once
// Velocity fields in closed form, with exact gradients and Laplacians: the test cases whose FTLE
// and barrier fields are known, the demo's double gyre, and a way to turn any of them into gridded
// data (so the same checks run through the HDF5 path).
#include <memory>
#include <numbers>

#include "physics/turbulence/flow_data.hpp"
#include "physics/turbulence/velocity_field.hpp"

namespace anneal::physics::turbulence {

// u = (a x, −a y): FTLE = a for every T.
std::unique_ptr<VelocityField<2>> linear_strain(double a);
// u = (γ y, 0): FTLE = asinh(γT/2)/T.
std::unique_ptr<VelocityField<2>> simple_shear(double gamma);
// u = Ω (−y, x): FTLE = 0.
std::unique_ptr<VelocityField<2>> rigid_rotation(double omega);

// The double gyre of Shadden, Lekien & Marsden (Physica D 212, 2005) on [0, 2] × [0, 1]:
// ψ = A sin(π f(x, t)) sin(π y), f = ε sin(ωt) x² + (1 − 2ε sin(ωt)) x.
struct DoubleGyre {
  double A = 0.1;
  double epsilon = 0.25;
  double omega = 2 * std::numbers::pi / 10;
};
std::unique_ptr<VelocityField<2>> double_gyre(const DoubleGyre& parameters);
// Steady double gyre (ε = 0): the FTLE on the separatrix x = 1 from y0 over T (either sign),
// |ln(sin πy0 / sin πy_T)| / |T| with tan(πy_T/2) = tan(πy0/2) e^{−π²AT}.
double steady_double_gyre_ftle_on_separatrix(double A, double y0, double T);

// Decaying Taylor–Green vortex, an exact Navier–Stokes solution on the 2π-periodic square:
// u = U (sin x cos y, −cos x sin y) e^{−2νt}, ω = 2U sin x sin y e^{−2νt}.
std::unique_ptr<VelocityField<2>> taylor_green(double U, double nu);
// Its trajectory-averaged vorticity: sin x sin y is constant along trajectories, so
// ω̄_L(x0) = 2U sin x0 sin y0 (e^{−2νt0} − e^{−2ν(t0+T)}) / (2νT) (→ 2U sin x0 sin y0 e^{−2νt0} as ν → 0).
double taylor_green_mean_vorticity(double U, double nu, double x0, double y0, double t0, double T);

// Arnold–Beltrami–Childress flow, steady, 2π-periodic: u = (A sin z + C cos y, B sin x + A cos z,
// C sin y + B cos x). Beltrami (∇×u = u), so Δu = −u.
std::unique_ptr<VelocityField<3>> abc_flow(double A, double B, double C);

// Samples `field` at the nodes of `grid` at `times` into FlowData (velocity only), the layout a
// file holds; `periodic` marks axes whose nodes are x0 + iΔx with period nΔx.
template <int D>
FlowData sample_on_grid(const VelocityField<D>& field, const io::RectilinearGrid& grid,
                        const std::array<bool, 3>& periodic, const std::vector<double>& times);

}  // namespace anneal::physics::turbulence
