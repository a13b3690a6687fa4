// The DCDM network and loss against independent facts: the authors' 64³ model has 97 457
// parameters (their Keras summary); a change of the input moves the output only within the
// receptive radius the distributed solver uses as its halo; the loss equals its definition written
// out in plain loops, is invariant to the scale of q, and its gradient matches finite differences.
#include <catch2/catch.hpp>

#include <cmath>

#include "nn/ops.hpp"
#include "physics/poisson/dcdm_loss.hpp"
#include "physics/poisson/dcdm_network.hpp"
#include "physics/poisson/dcdm_proposer.hpp"
#include "solvers/krylov/conjugate_directions.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal;
using namespace anneal::physics::poisson;
using anneal::test::require_gradcheck;

namespace {

solvers::CsrMatrix box_laplacian(long n) {
  solvers::CellLattice lattice;
  lattice.cells = {n, n, n};
  std::vector<solvers::CellType> types(static_cast<std::size_t>(lattice.count()), solvers::CellType::fluid);
  auto a = solvers::assemble_laplacian(lattice, types);
  a.data[0] += 1.0;  // pin one cell: SPD, still symmetric
  return a;
}

}  // namespace

TEST_CASE("DCDM network: the paper's architecture has the authors' 97 457 parameters", "[poisson]") {
  RandomStream rng(1, 0);
  const DcdmNetwork paper(DcdmArchitecture{}, rng);
  CHECK(paper.parameter_count() == 97457);
  DcdmArchitecture two_channels;
  two_channels.in_channels = 2;
  CHECK(DcdmNetwork(two_channels, rng).parameter_count() == 97457 + 27 * 16);
}

TEST_CASE("DCDM network: outputs farther than the receptive radius do not see an input change", "[poisson]") {
  DcdmArchitecture arch;
  arch.channels = 2;
  arch.full_units = 1;
  arch.coarse_units = 1;
  arch.post_units = 1;
  RandomStream rng(2, 0);
  const DcdmNetwork net(arch, rng, nn::DType::f64);
  const long n = 40;  // along x; a thin slab in y and z keeps it cheap
  auto x = nn::Tensor::randn({1, 1, 2, 2, n}, rng, nn::DType::f64);
  nn::NoGrad no_tape;
  const auto before = net.forward(x).to_vector();
  const long at = 20;
  for (long k = 0; k < 2; ++k)
    for (long j = 0; j < 2; ++j) x.data<double>()[(k * 2 + j) * n + at] += 1.0;
  const auto after = net.forward(x).to_vector();
  const int radius = arch.receptive_radius();
  long farthest_change = -1;
  for (long i = 0; i < n; ++i)
    if (before[static_cast<std::size_t>(i)] != after[static_cast<std::size_t>(i)])
      farthest_change = std::max(farthest_change, std::abs(i - at));
  INFO("radius " << radius << ", farthest change " << farthest_change);
  CHECK(farthest_change <= radius);
  CHECK(farthest_change >= radius - 2);  // the bound is not loose either
}

TEST_CASE("DCDM network: a model for one input channel refuses two, with a clear message", "[poisson]") {
  RandomStream rng(3, 0);
  const DcdmNetwork net(DcdmArchitecture{}, rng);
  const auto x = nn::Tensor::zeros({1, 2, 4, 4, 4});
  CHECK_THROWS_WITH(net.forward(x), Catch::Contains("trained for 1 input channel"));
  CHECK_THROWS_WITH(net.forward(nn::Tensor::zeros({1, 1, 4, 4, 5})), Catch::Contains("even"));
}

TEST_CASE("DCDM loss: equals its definition, is invariant to the scale of q, and has the right gradient",
          "[poisson]") {
  const auto a = box_laplacian(3);
  const long n = a.rows;
  RandomStream rng(4, 0);
  auto q = nn::Tensor::randn({2, n}, rng, nn::DType::f64);
  const auto b = nn::Tensor::randn({2, n}, rng, nn::DType::f64);

  double expected = 0;
  for (long s = 0; s < 2; ++s) {
    std::vector<double> qs(q.data<double>() + s * n, q.data<double>() + (s + 1) * n), aq(static_cast<std::size_t>(n));
    solvers::multiply(a, qs, aq);
    double qb = 0, qaq = 0;
    for (long i = 0; i < n; ++i) {
      qb += qs[static_cast<std::size_t>(i)] * b.data<double>()[s * n + i];
      qaq += qs[static_cast<std::size_t>(i)] * aq[static_cast<std::size_t>(i)];
    }
    for (long i = 0; i < n; ++i) {
      const double r = b.data<double>()[s * n + i] - qb / qaq * aq[static_cast<std::size_t>(i)];
      expected += r * r / 2;
    }
  }
  CHECK(dcdm_loss(a, q, b).item() == Approx(expected).epsilon(1e-13));
  CHECK(dcdm_loss(a, nn::mul(q, -37.5), b).item() == Approx(expected).epsilon(1e-12));

  require_gradcheck([&](const std::vector<nn::Tensor>& in) { return dcdm_loss(a, in[0], b); }, {q}, 1e-7);
  require_gradcheck([&](const std::vector<nn::Tensor>& in) { return apply_symmetric_operator(a, in[0]); }, {q}, 1e-9);
}

TEST_CASE("DCDM network: the loss gradient reaches the weights correctly (finite differences)", "[poisson]") {
  const auto a = box_laplacian(4);
  DcdmArchitecture arch;
  arch.channels = 2;
  arch.full_units = 0;
  arch.coarse_units = 1;
  arch.post_units = 0;
  RandomStream rng(5, 0);
  const DcdmNetwork net(arch, rng, nn::DType::f64);
  const auto b = nn::Tensor::randn({1, 1, 4, 4, 4}, rng, nn::DType::f64);
  // Perturb the input lift's weights (every path of the net runs through them).
  auto weights = net.named_parameters();
  nn::Tensor lift;
  for (auto& [name, t] : weights)
    if (name == "lift.weight") lift = t;
  REQUIRE(lift.defined());
  const auto f = [&](const std::vector<nn::Tensor>&) { return dcdm_loss(a, net.forward(b), b); };
  // A small step: ReLU kinks closer than 4h to a pre-activation would spoil the difference quotient.
  anneal::test::GradcheckOptions options;
  options.h = 1e-7;
  require_gradcheck(f, {lift}, 1e-5, options);
}

TEST_CASE("DCDM proposer: pads odd grids, zeroes solid cells, matches the network on even grids", "[poisson]") {
  DcdmArchitecture arch;
  arch.channels = 3;
  RandomStream rng(6, 0);
  auto net = std::make_shared<const DcdmNetwork>(arch, rng, nn::DType::f64);
  std::vector<double> r(4 * 4 * 4), q(r.size());
  for (auto& v : r) v = rng.normal();
  const DcdmProposer even(net, {4, 4, 4}, {});
  even(r, q);
  nn::NoGrad no_tape;
  std::vector<double> scaled = r;
  for (auto& v : scaled) v *= 8.0;  // unit RMS: √64
  const auto direct = net->forward(nn::Tensor::from_vector(scaled, {1, 1, 4, 4, 4}, nn::DType::f64)).to_vector();
  for (std::size_t i = 0; i < r.size(); ++i) CHECK(q[i] == direct[i]);

  // 3 × 4 × 4 with a solid cell: the result is the padded 4 × 4 × 4 image's, cropped, solid → 0.
  std::vector<double> r3(3 * 4 * 4), q3(r3.size());
  std::vector<std::uint8_t> types(r3.size(), 0);
  types[5] = 1;
  for (auto& v : r3) v = rng.normal();
  DcdmProposer(net, {3, 4, 4}, types)(r3, q3);
  std::vector<double> padded(4 * 4 * 4, 0.0);
  for (long k = 0; k < 4; ++k)
    for (long j = 0; j < 4; ++j)
      for (long i = 0; i < 3; ++i)
        padded[static_cast<std::size_t>((k * 4 + j) * 4 + i)] = std::sqrt(48.0) * r3[static_cast<std::size_t>((k * 4 + j) * 3 + i)];
  const auto full = net->forward(nn::Tensor::from_vector(padded, {1, 1, 4, 4, 4}, nn::DType::f64)).to_vector();
  for (long k = 0; k < 4; ++k)
    for (long j = 0; j < 4; ++j)
      for (long i = 0; i < 3; ++i) {
        const auto c = static_cast<std::size_t>((k * 4 + j) * 3 + i);
        CHECK(q3[c] == Approx(c == 5 ? 0.0 : full[static_cast<std::size_t>((k * 4 + j) * 4 + i)]).epsilon(1e-12).margin(1e-14));
      }
}
