#pragma once
// Velocity given on a rectilinear grid at a series of times (FlowData): interpolated bi/trilinearly
// or by tensor-product cubic Hermite in space, linearly or by cubic Hermite in time. The derivatives
// are those of the interpolant, so the variational equation and finite differences of the flow map
// see the same field. Δv (for barrier fields) comes from second differences of each frame,
// interpolated the same way.
//
// The sampling kernel is in this header so that flow-map loops inline it (GriddedVelocity is final).
#include <memory>

#include "physics/turbulence/flow_data.hpp"
#include "physics/turbulence/interpolation_axis.hpp"
#include "physics/turbulence/velocity_field.hpp"

namespace anneal::physics::turbulence {

enum class Interpolation { linear, cubic };
std::string to_string(Interpolation interpolation);

template <int D>
class GriddedVelocity final : public VelocityField<D> {
 public:
  GriddedVelocity(std::shared_ptr<const FlowData> data, Interpolation space, Interpolation time,
                  bool with_laplacian = false);

  const FieldExtent<D>& extent() const override { return extent_; }
  std::uint8_t velocity(const Vec<D>& x, double t, Vec<D>& v) const override {
    return space_ == Interpolation::linear && time_interpolation_ == Interpolation::linear
               ? sample_linear_at(t, x, v)
               : sample_any<false>(velocity_, x, t, v, nullptr);
  }
  std::uint8_t gradient(const Vec<D>& x, double t, Vec<D>& v, Mat<D>& g) const override {
    return space_ == Interpolation::linear && time_interpolation_ == Interpolation::linear
               ? sample<2, 2, true>(velocity_, x, t, v, &g)
               : sample_any<true>(velocity_, x, t, v, &g);
  }
  std::uint8_t laplacian(const Vec<D>& x, double t, Vec<D>& lap) const override;
  std::string describe() const override;
  const std::shared_ptr<const FlowData>& data() const { return data_; }

  // The two frames around t and the weight between them: shared by every particle sampled at t.
  struct TimeSlice {
    const double* f0 = nullptr;
    const double* f1 = nullptr;
    double weight = 0;
    std::size_t frame = 0;
    bool inside = false;
  };
  TimeSlice time_slice(double t) const {
    TimeSlice slice;
    double st;
    slice.inside = time_.locate(t, slice.frame, st);
    slice.weight = st;
    slice.f0 = velocity_.data() + slice.frame * frame_stride_;
    slice.f1 = slice.f0 + frame_stride_;
    return slice;
  }
  std::uint8_t sample_linear_at(double t, const Vec<D>& x, Vec<D>& v) const {
    const TimeSlice slice = time_slice(t);
    return slice.inside ? sample_linear(slice, x, v) : std::uint8_t{particle_left_domain};
  }
  bool linear_in_space_and_time() const {
    return space_ == Interpolation::linear && time_interpolation_ == Interpolation::linear;
  }

  // Bi/trilinear in space, linear in time, written out: the kernel plain particle advection spends
  // its time in.
  // `time` must be inside the data's times (callers check TimeSlice::inside once, not per sample).
  [[gnu::always_inline]] inline std::uint8_t sample_linear(const TimeSlice& time, const Vec<D>& x, Vec<D>& v) const {
    std::array<std::size_t, D> cell, next;
    std::array<double, D> s;
    for (int a = 0; a < D; ++a) {
      if (!axes_[a].locate(x[a], cell[a], s[a])) return particle_left_domain;
      next[a] = cell[a] + 1 == axes_[a].size() ? 0 : cell[a] + 1;
    }
    if (has_mask_ && masked_cell(cell, time.frame)) return particle_masked;
    const double* f0 = time.f0;
    const double* f1 = time.f1;
    const double st = time.weight;
    const std::size_t nx = axes_[0].size();
    if constexpr (D == 2) {
      // Nested lerps along x, then y; corner offsets may be negative across a periodic wrap.
      const std::size_t base = (cell[1] * nx + cell[0]) * 2;
      const std::ptrdiff_t ox = 2 * (static_cast<std::ptrdiff_t>(next[0]) - static_cast<std::ptrdiff_t>(cell[0]));
      const std::ptrdiff_t oy = 2 * (static_cast<std::ptrdiff_t>(next[1]) - static_cast<std::ptrdiff_t>(cell[1])) *
                                static_cast<std::ptrdiff_t>(nx);
      auto bilinear = [&](const double* f) {
        const double* p = f + base;
        Vec<2> out;
        for (int c = 0; c < 2; ++c) {
          const double c0 = p[c] + s[0] * (p[ox + c] - p[c]);
          const double c1 = p[oy + c] + s[0] * (p[oy + ox + c] - p[oy + c]);
          out[c] = c0 + s[1] * (c1 - c0);
        }
        return out;
      };
      const Vec<2> a = bilinear(f0), b = bilinear(f1);
      for (int c = 0; c < 2; ++c) v[c] = a[c] + st * (b[c] - a[c]);
    } else {
      // Nested lerps along x, then y, then z; corner offsets may be negative across a periodic wrap.
      const std::size_t ny = axes_[1].size();
      const std::size_t base = ((cell[2] * ny + cell[1]) * nx + cell[0]) * 3;
      const auto dx = static_cast<std::ptrdiff_t>(next[0]) - static_cast<std::ptrdiff_t>(cell[0]);
      const auto dy = (static_cast<std::ptrdiff_t>(next[1]) - static_cast<std::ptrdiff_t>(cell[1])) *
                      static_cast<std::ptrdiff_t>(nx);
      const auto dz = (static_cast<std::ptrdiff_t>(next[2]) - static_cast<std::ptrdiff_t>(cell[2])) *
                      static_cast<std::ptrdiff_t>(nx * ny);
      const std::ptrdiff_t ox = 3 * dx, oy = 3 * dy, oz = 3 * dz;
      auto trilinear = [&](const double* f) {
        const double* p = f + base;
        Vec<3> out;
        for (int c = 0; c < 3; ++c) {
          const double c00 = p[c] + s[0] * (p[ox + c] - p[c]);
          const double c10 = p[oy + c] + s[0] * (p[oy + ox + c] - p[oy + c]);
          const double c01 = p[oz + c] + s[0] * (p[oz + ox + c] - p[oz + c]);
          const double c11 = p[oz + oy + c] + s[0] * (p[oz + oy + ox + c] - p[oz + oy + c]);
          const double c0 = c00 + s[1] * (c10 - c00), c1 = c01 + s[1] * (c11 - c01);
          out[c] = c0 + s[2] * (c1 - c0);
        }
        return out;
      };
      const Vec<3> a = trilinear(f0), b = trilinear(f1);
      for (int c = 0; c < 3; ++c) v[c] = a[c] + st * (b[c] - a[c]);
    }
    return particle_ok;
  }

 private:
  template <bool Gradient>
  std::uint8_t sample_any(const std::vector<double>& frames, const Vec<D>& x, double t, Vec<D>& v,
                          Mat<D>* g) const {
    if (space_ == Interpolation::linear)
      return time_interpolation_ == Interpolation::linear ? sample<2, 2, Gradient>(frames, x, t, v, g)
                                                          : sample<2, 4, Gradient>(frames, x, t, v, g);
    return time_interpolation_ == Interpolation::linear ? sample<4, 2, Gradient>(frames, x, t, v, g)
                                                        : sample<4, 4, Gradient>(frames, x, t, v, g);
  }

  // KS, KT: nodes per axis in space and in time (2 linear, 4 cubic).
  template <int KS, int KT, bool Gradient>
  std::uint8_t sample(const std::vector<double>& frames, const Vec<D>& x, double t, Vec<D>& v, Mat<D>* g) const {
    std::array<std::array<std::size_t, KS>, D> index;
    std::array<std::array<double, KS>, D> w, dw;
    std::array<std::size_t, D> cell;
    for (int a = 0; a < D; ++a) {
      double s;
      if (!axes_[a].locate(x[a], cell[a], s)) return particle_left_domain;
      if constexpr (KS == 2)
        axes_[a].linear(cell[a], s, index[a], w[a], Gradient ? &dw[a] : nullptr);
      else
        axes_[a].cubic(cell[a], s, index[a], w[a], Gradient ? &dw[a] : nullptr);
    }
    std::size_t tcell;
    double ts;
    if (!time_.locate(t, tcell, ts)) return particle_left_domain;
    std::array<std::size_t, KT> frame;
    std::array<double, KT> tw;
    if constexpr (KT == 2)
      time_.linear(tcell, ts, frame, tw, nullptr);
    else
      time_.cubic(tcell, ts, frame, tw, nullptr);
    if (!data_->mask.empty() && masked_cell(cell, tcell)) return particle_masked;

    v.fill(0);
    if constexpr (Gradient) g->fill(0);
    const std::size_t nx = axes_[0].size(), ny = axes_[1].size();
    for (int f = 0; f < KT; ++f) {
      const double* base = frames.data() + frame[static_cast<std::size_t>(f)] * frame_stride_;
      const double wt = tw[static_cast<std::size_t>(f)];
      if (wt == 0) continue;
      if constexpr (D == 2) {
        for (int b = 0; b < KS; ++b) {
          const double* row = base + index[1][b] * nx * 2;
          for (int a = 0; a < KS; ++a) {
            const double* p = row + index[0][a] * 2;
            const double wxy = wt * w[0][a] * w[1][b];
            v[0] += wxy * p[0];
            v[1] += wxy * p[1];
            if constexpr (Gradient) {
              const double wx = wt * dw[0][a] * w[1][b], wy = wt * w[0][a] * dw[1][b];
              (*g)[0] += wx * p[0];
              (*g)[1] += wy * p[0];
              (*g)[2] += wx * p[1];
              (*g)[3] += wy * p[1];
            }
          }
        }
      } else {
        for (int c = 0; c < KS; ++c)
          for (int b = 0; b < KS; ++b) {
            const double* row = base + (index[2][c] * ny + index[1][b]) * nx * 3;
            const double wyz = wt * w[1][b] * w[2][c];
            for (int a = 0; a < KS; ++a) {
              const double* p = row + index[0][a] * 3;
              const double wxyz = w[0][a] * wyz;
              v[0] += wxyz * p[0];
              v[1] += wxyz * p[1];
              v[2] += wxyz * p[2];
              if constexpr (Gradient) {
                const double wx = wt * dw[0][a] * w[1][b] * w[2][c];
                const double wy = wt * w[0][a] * dw[1][b] * w[2][c];
                const double wz = wt * w[0][a] * w[1][b] * dw[2][c];
                for (int i = 0; i < 3; ++i) {
                  (*g)[i * 3 + 0] += wx * p[i];
                  (*g)[i * 3 + 1] += wy * p[i];
                  (*g)[i * 3 + 2] += wz * p[i];
                }
              }
            }
          }
      }
    }
    return particle_ok;
  }

  // Any corner of the cell masked in either bracketing frame.
  bool masked_cell(const std::array<std::size_t, D>& cell, std::size_t tcell) const;

  std::shared_ptr<const FlowData> data_;
  Interpolation space_, time_interpolation_;
  std::array<InterpolationAxis, D> axes_;
  InterpolationAxis time_;
  FieldExtent<D> extent_;
  std::size_t frame_stride_ = 0;   // doubles per frame: nodes · D
  const std::vector<double>& velocity_;
  std::vector<double> laplacian_;  // [nt][nodes][D], when asked for
  bool has_mask_ = false;
};

extern template class GriddedVelocity<2>;
extern template class GriddedVelocity<3>;

}  // namespace anneal::physics::turbulence
