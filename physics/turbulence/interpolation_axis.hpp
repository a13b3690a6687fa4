#pragma once
// One axis of a rectilinear grid, or the time axis of a series of frames: finds the cell that holds
// a coordinate and the weights of the nodes that interpolate there. Tensor products of these give
// bi/trilinear or tricubic interpolation in space and linear or cubic interpolation in time.
//
// The cubic is the cubic Hermite interpolant with finite-difference slopes m_i = (f_{i+1} −
// f_{i−1}) / (x_{i+1} − x_{i−1}) (Catmull–Rom on an even grid): C¹, third-order accurate, four
// nodes per axis, and it works on uneven grids. Non-periodic ends use one-sided slopes.
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

namespace anneal::physics::turbulence {

class InterpolationAxis {
 public:
  InterpolationAxis() = default;
  // `nodes` strictly increasing, at least 2; a periodic axis has evenly spaced nodes and period n·Δx.
  InterpolationAxis(std::vector<double> nodes, bool periodic);

  std::size_t size() const { return n_; }
  bool periodic() const { return periodic_; }
  double lo() const { return x_.front(); }
  double hi() const { return periodic_ ? x_.front() + period_ : x_.back(); }
  double min_spacing() const { return min_spacing_; }

  // The cell [x_i, x_{i+1}) that holds x (wrapped on a periodic axis) and s = (x − x_i)/(x_{i+1} − x_i).
  // False when x lies outside a non-periodic axis.
  bool locate(double x, std::size_t& cell, double& s) const {
    const std::size_t n = n_;
    if (uniform_) {
      double u = (x - origin_) * inv_h_;
      if (periodic_) {
        // Most samples lie in the first period; wrap the others (a multiply, not a divide).
        if (!(u >= 0 && u < period_nodes_)) u -= period_nodes_ * std::floor(u * inv_period_nodes_);
        auto i = static_cast<std::size_t>(u);
        if (i >= n) i = 0, u = 0;  // u rounded up to n
        cell = i;
        s = u - static_cast<double>(i);
        return true;
      }
      const double last = static_cast<double>(n - 1);
      if (!(u >= -kSlack && u <= last + kSlack)) return false;
      u = u < 0 ? 0 : u > last ? last : u;  // not std::fmin/fmax: those are library calls here
      auto i = static_cast<std::size_t>(u);
      if (i > n - 2) i = n - 2;
      cell = i;
      s = u - static_cast<double>(i);
      return true;
    }
    return locate_uneven(x, cell, s);
  }

  // Linear: nodes {i, i+1}. Weights w, and dw = d w / dx when asked for.
  void linear(std::size_t cell, double s, std::array<std::size_t, 2>& index, std::array<double, 2>& w,
              std::array<double, 2>* dw) const {
    index = {cell, cell + 1 == x_.size() ? 0 : cell + 1};
    w = {1 - s, s};
    if (dw) {
      const double inv = 1.0 / width(cell);
      *dw = {-inv, inv};
    }
  }

  // Cubic Hermite: nodes {i−1, i, i+1, i+2}; a node that does not exist (non-periodic end) gets
  // weight 0 and a valid dummy index.
  void cubic(std::size_t cell, double s, std::array<std::size_t, 4>& index, std::array<double, 4>& w,
             std::array<double, 4>* dw) const;

 private:
  static constexpr double kSlack = 1e-10;
  bool locate_uneven(double x, std::size_t& cell, double& s) const;
  double width(std::size_t cell) const { return cell + 1 < x_.size() ? x_[cell + 1] - x_[cell] : h_; }
  // Coordinate and index of node i + offset, across the period where the axis is periodic.
  double coordinate(std::size_t cell, int offset) const;
  bool exists(std::size_t cell, int offset) const;
  std::size_t wrap(std::size_t cell, int offset) const;

  std::vector<double> x_;
  std::size_t n_ = 0;  // x_.size(), kept apart so the hot path does not recompute it
  double period_nodes_ = 0, inv_period_nodes_ = 0;  // n and 1/n as doubles
  bool periodic_ = false, uniform_ = false;
  double origin_ = 0, h_ = 1, inv_h_ = 1, period_ = 0, min_spacing_ = 0;
};

}  // namespace anneal::physics::turbulence
