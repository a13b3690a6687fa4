#include "physics/turbulence/seed_grid.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/mpi_env.hpp"

namespace anneal::physics::turbulence {
namespace {

std::vector<double> even_nodes(double lo, double hi, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  return x;
}

std::vector<double> every(const std::vector<double>& x, std::size_t stride) {
  std::vector<double> out;
  for (std::size_t i = 0; i < x.size(); i += stride) out.push_back(x[i]);
  return out;
}

}  // namespace

SeedGrid make_seed_grid(const FlowFileInfo& info, const SeedSpec& spec) {
  const int d = info.dimensions();
  const std::array<const std::vector<double>*, 3> axes = {&info.grid.x, &info.grid.y, &info.grid.z};
  const char* names = "xyz";
  SeedGrid out;
  out.grid.units = info.grid.units;
  std::array<std::vector<double>*, 3> target = {&out.grid.x, &out.grid.y, &out.grid.z};
  ANNEAL_CHECK(spec.stride >= 1, "the seed stride must be at least 1");
  ANNEAL_CHECK(spec.counts.empty() || spec.counts.size() == static_cast<std::size_t>(d),
               "--seeds gives {} counts for {}-D data (write e.g. {})", spec.counts.size(), d,
               d == 2 ? "256x128" : "64x64x64");
  ANNEAL_CHECK(spec.box.empty() || spec.box.size() == static_cast<std::size_t>(2 * d),
               "--box needs {} numbers (lo and hi per axis), got {}", 2 * d, spec.box.size());
  for (int a = 0; a < d; ++a) {
    const auto& nodes = *axes[static_cast<std::size_t>(a)];
    // The domain a periodic axis covers ends one spacing past its last node.
    const double lo = nodes.front();
    const double hi = info.periodic[static_cast<std::size_t>(a)] ? nodes.front() + static_cast<double>(nodes.size()) *
                                                                                  (nodes[1] - nodes[0])
                                                               : nodes.back();
    if (spec.counts.empty() && spec.box.empty()) {
      ANNEAL_CHECK(nodes.size() >= 2 * spec.stride, "--stride {} leaves fewer than two seeds along {}", spec.stride,
                   names[a]);
      *target[static_cast<std::size_t>(a)] = every(nodes, spec.stride);
      out.periodic[static_cast<std::size_t>(a)] =
          info.periodic[static_cast<std::size_t>(a)] && nodes.size() % spec.stride == 0;
      continue;
    }
    const double b0 = spec.box.empty() ? lo : spec.box[2 * static_cast<std::size_t>(a)];
    const double b1 = spec.box.empty() ? hi : spec.box[2 * static_cast<std::size_t>(a) + 1];
    ANNEAL_CHECK(b1 > b0, "--box: the {} range [{}, {}] is empty", names[a], b0, b1);
    const std::size_t n = spec.counts.empty() ? nodes.size() : spec.counts[static_cast<std::size_t>(a)];
    ANNEAL_CHECK(n >= 2, "--seeds: at least two seeds along {}", names[a]);
    if (info.periodic[static_cast<std::size_t>(a)] && b0 == lo && b1 == hi) {
      *target[static_cast<std::size_t>(a)] = io::periodic_axis(lo, hi, n);  // the whole period, evenly
      out.periodic[static_cast<std::size_t>(a)] = true;
    } else {
      *target[static_cast<std::size_t>(a)] = even_nodes(b0, b1, n);
    }
  }
  return out;
}

BlockRange local_planes(const SeedGrid& seeds) { return block_range(seeds.planes(), mpi::size(), mpi::rank()); }

template <int D>
std::vector<Vec<D>> local_seed_positions(const SeedGrid& seeds, const BlockRange& planes,
                                         const std::vector<double>& frame_velocity, double shift_time) {
  const auto& g = seeds.grid;
  std::vector<Vec<D>> out;
  out.reserve(planes.size() * seeds.plane_size());
  Vec<D> shift{};
  if (!frame_velocity.empty())
    for (int a = 0; a < D; ++a) shift[a] = frame_velocity[static_cast<std::size_t>(a)] * shift_time;
  for (std::size_t p = planes.begin; p < planes.end; ++p) {
    const std::size_t ny = D == 3 ? g.y.size() : 1;
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < g.x.size(); ++i) {
        Vec<D> x;
        x[0] = g.x[i] + shift[0];
        if constexpr (D == 2) {
          x[1] = g.y[p] + shift[1];
        } else {
          x[1] = g.y[j] + shift[1];
          x[2] = g.z[p] + shift[2];
        }
        out.push_back(x);
      }
  }
  return out;
}

template std::vector<Vec<2>> local_seed_positions<2>(const SeedGrid&, const BlockRange&, const std::vector<double>&,
                                                     double);
template std::vector<Vec<3>> local_seed_positions<3>(const SeedGrid&, const BlockRange&, const std::vector<double>&,
                                                     double);

}  // namespace anneal::physics::turbulence
