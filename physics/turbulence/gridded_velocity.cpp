#include "physics/turbulence/gridded_velocity.hpp"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include "core/error.hpp"

namespace anneal::physics::turbulence {
namespace {

// Second derivative along one axis at node i from the three-point formula on an uneven grid;
// periodic axes wrap, and a non-periodic end takes its inner neighbour's value.
struct SecondDifference {
  std::size_t minus, centre, plus;
  double wm, wc, wp;
};

std::vector<SecondDifference> second_differences(const std::vector<double>& x, bool periodic) {
  const std::size_t n = x.size();
  ANNEAL_CHECK(n >= 3, "Δv needs at least three nodes along every axis");
  const double period = periodic ? static_cast<double>(n) * (x[1] - x[0]) : 0;
  std::vector<SecondDifference> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t c = i;
    if (!periodic) c = std::clamp<std::size_t>(i, 1, n - 2);
    const std::size_t m = c == 0 ? n - 1 : c - 1, p = c + 1 == n ? 0 : c + 1;
    const double hm = c == 0 ? x[0] - (x[n - 1] - period) : x[c] - x[m];
    const double hp = c + 1 == n ? (x[0] + period) - x[c] : x[p] - x[c];
    out[i] = {m, c, p, 2 / (hm * (hm + hp)), -2 / (hm * hp), 2 / (hp * (hm + hp))};
  }
  return out;
}

}  // namespace

std::string to_string(Interpolation interpolation) {
  return interpolation == Interpolation::linear ? "linear" : "cubic";
}

template <int D>
GriddedVelocity<D>::GriddedVelocity(std::shared_ptr<const FlowData> data, Interpolation space, Interpolation time,
                                    bool with_laplacian)
    : data_(std::move(data)), space_(space), time_interpolation_(time), velocity_(data_->velocity) {
  ANNEAL_CHECK(data_->dimensions() == D, "a {}-D velocity field was built from {}-D data", D, data_->dimensions());
  const std::array<const std::vector<double>*, 3> nodes = {&data_->grid.x, &data_->grid.y, &data_->grid.z};
  extent_.spacing = std::numeric_limits<double>::infinity();
  for (int a = 0; a < D; ++a) {
    axes_[a] = InterpolationAxis(*nodes[a], data_->periodic[a]);
    extent_.lo[a] = axes_[a].lo();
    extent_.hi[a] = axes_[a].hi();
    extent_.periodic[a] = axes_[a].periodic();
    extent_.spacing = std::min(extent_.spacing, axes_[a].min_spacing());
  }
  time_ = InterpolationAxis(data_->times, false);
  extent_.t_lo = data_->times.front();
  extent_.t_hi = data_->times.back();
  frame_stride_ = data_->nodes() * D;
  has_mask_ = !data_->mask.empty();
  ANNEAL_CHECK(data_->velocity.size() == frame_stride_ * data_->times.size(),
               "velocity data hold {} values, expected {} frames × {} nodes × {}", data_->velocity.size(),
               data_->times.size(), data_->nodes(), D);
  if (!with_laplacian) return;

  // Δv frame by frame: Σ over axes of the second difference along that axis.
  std::array<std::vector<SecondDifference>, D> stencil;
  for (int a = 0; a < D; ++a) stencil[a] = second_differences(*nodes[a], data_->periodic[a]);
  const std::size_t nx = data_->grid.x.size(), ny = data_->grid.y.size();
  const std::size_t nodes_per_frame = data_->nodes();
  laplacian_.assign(velocity_.size(), 0.0);
  tbb::parallel_for(std::size_t{0}, data_->times.size() * nodes_per_frame, [&](std::size_t item) {
    const std::size_t frame = item / nodes_per_frame, node = item % nodes_per_frame;
    const std::array<std::size_t, 3> idx = {node % nx, (node / nx) % ny, node / (nx * ny)};
    const std::array<std::size_t, 3> stride = {1, nx, nx * ny};
    const double* f = velocity_.data() + frame * frame_stride_;
    double* out = laplacian_.data() + frame * frame_stride_ + node * D;
    for (int a = 0; a < D; ++a) {
      const SecondDifference& s = stencil[a][idx[a]];
      const std::size_t base = node - idx[a] * stride[a];
      const double* fm = f + (base + s.minus * stride[a]) * D;
      const double* fc = f + (base + s.centre * stride[a]) * D;
      const double* fp = f + (base + s.plus * stride[a]) * D;
      for (int c = 0; c < D; ++c) out[c] += s.wm * fm[c] + s.wc * fc[c] + s.wp * fp[c];
    }
  });
}

template <int D>
std::uint8_t GriddedVelocity<D>::laplacian(const Vec<D>& x, double t, Vec<D>& lap) const {
  ANNEAL_CHECK(!laplacian_.empty(), "internal error: Δv was not prepared for this velocity field");
  return sample_any<false>(laplacian_, x, t, lap, nullptr);
}

template <int D>
bool GriddedVelocity<D>::masked_cell(const std::array<std::size_t, D>& cell, std::size_t tcell) const {
  const std::size_t nx = axes_[0].size(), ny = axes_[1].size();
  const std::size_t frames = data_->mask_static ? 1 : 2;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t frame = data_->mask_static ? 0 : std::min(tcell + f, data_->times.size() - 1);
    for (int corner = 0; corner < (1 << D); ++corner) {
      std::size_t node = 0, stride = 1;
      for (int a = 0; a < D; ++a) {
        std::size_t i = cell[a] + ((corner >> a) & 1);
        if (i == axes_[a].size()) i = 0;  // periodic wrap
        node += i * stride;
        stride *= a == 0 ? nx : ny;
      }
      if (data_->masked(frame, node)) return true;
    }
  }
  return false;
}

template <int D>
std::string GriddedVelocity<D>::describe() const {
  std::string shape;
  for (int a = 0; a < D; ++a) shape += (a ? "×" : "") + std::to_string(axes_[a].size());
  return fmt::format("gridded {} nodes, {} frames t ∈ [{}, {}], {} in space, {} in time", shape, data_->times.size(),
                     extent_.t_lo, extent_.t_hi, to_string(space_), to_string(time_interpolation_));
}

template class GriddedVelocity<2>;
template class GriddedVelocity<3>;

}  // namespace anneal::physics::turbulence
