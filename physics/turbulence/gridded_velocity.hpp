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
               ? sample_linear(time_slice(t), x, v)
               : sample_any<false>(velocity_, x, t, v, nullptr);
  }
  std::uint8_t gradient(const Vec<D>& x, double t, Vec<D>& v, Mat<D>& g) const override {
    return space_ == Interpolation::linear && time_interpolation_ == Interpolation::linear
               ? sample<2, 2, true>(velocity_, x, t, v, &g)
               : sample_any<true>(velocity_, x, t, v, &g);
  }
  std::uint8_t laplacian(const Vec<D>& x, double t, Vec<D>& lap) const override;
  std::string describe() const override;

  template <bool Gradient>
  std::uint8_t sample_any(const std::vector<double>& frames, const Vec<D>& x, double t, Vec<D>& v,
                          Mat<D>* g) const {
    if (space_ == Interpolation::linear)
      return time_interpolation_ == Interpolation::linear ? sample<2, 2, Gradient>(frames, x, t, v, g)
                                                          : sample<2, 4, Gradient>(frames, x, t, v, g);
    return time_interpolation_ == Interpolation::linear ? sample<4, 2, Gradient>(frames, x, t, v, g)
                                                        : sample<4, 4, Gradient>(frames, x, t, v, g);
  }

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
  bool linear_in_space_and_time() const {
    return space_ == Interpolation::linear && time_interpolation_ == Interpolation::linear;
  }

  // Bi/trilinear in space, linear in time, written out: the kernel plain particle advection spends
  // its time in.
  [[gnu::always_inline]] inline std::uint8_t sample_linear(const TimeSlice& time, const Vec<D>& x, Vec<D>& v) const {
    if (!time.inside) return particle_left_domain;
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
      const std::size_t n00 = (cell[1] * nx + cell[0]) * 2, n10 = (cell[1] * nx + next[0]) * 2;
      const std::size_t n01 = (next[1] * nx + cell[0]) * 2, n11 = (next[1] * nx + next[0]) * 2;
      const double w00 = (1 - s[0]) * (1 - s[1]), w10 = s[0] * (1 - s[1]), w01 = (1 - s[0]) * s[1], w11 = s[0] * s[1];
      for (int c = 0; c < 2; ++c) {
        const double a = w00 * f0[n00 + c] + w10 * f0[n10 + c] + w01 * f0[n01 + c] + w11 * f0[n11 + c];
        const double b = w00 * f1[n00 + c] + w10 * f1[n10 + c] + w01 * f1[n01 + c] + w11 * f1[n11 + c];
        v[c] = a + st * (b - a);
      }
    } else {
      const std::size_t ny = axes_[1].size();
      std::array<std::size_t, 8> node;
      std::array<double, 8> w;
      for (int corner = 0; corner < 8; ++corner) {
        const bool bx = corner & 1, by = corner & 2, bz = corner & 4;
        node[corner] = (((bz ? next[2] : cell[2]) * ny + (by ? next[1] : cell[1])) * nx + (bx ? next[0] : cell[0])) * 3;
        w[corner] = (bx ? s[0] : 1 - s[0]) * (by ? s[1] : 1 - s[1]) * (bz ? s[2] : 1 - s[2]);
      }
      for (int c = 0; c < 3; ++c) {
        double a = 0, b = 0;
        for (int corner = 0; corner < 8; ++corner) {
          a += w[corner] * f0[node[corner] + c];
          b += w[corner] * f1[node[corner] + c];
        }
        v[c] = a + st * (b - a);
      }
    }
    return particle_ok;
  }

 private:
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
