#pragma once
// Velocity (+ scalar) time series in HDF5, as `anneal flow` writes them and as a user's PIV or DNS
// data can be laid out (docs/turbulence.md):
//   /grid/x [nx], /grid/y [ny], optional /grid/z [nz]   node coordinates, strictly increasing
//   /grid/t [nt]                                         strictly increasing
//   /fields/velocity [nt][ny][nx][2] or [nt][nz][ny][nx][3]
//   optional /fields/scalar [nt][(nz)][ny][nx]
//   optional /fields/mask (uint8, nonzero = invalid data) [nt][(nz)][ny][nx] or [(nz)][ny][nx];
//     without it, anneal flow's /fields/solid serves as the mask
//   optional attribute `periodic` (0/1) on a /grid axis: nodes evenly spaced, period n·Δx
//   optional root attribute `viscosity` (needed for barrier fields)
// The layout is checked when the file is opened; data are read only for the time window a run uses.
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/grid_file.hpp"

namespace anneal::physics::turbulence {

// What a flow file holds, checked, without its bulk data.
struct FlowFileInfo {
  std::filesystem::path path;
  io::RectilinearGrid grid;
  std::array<bool, 3> periodic{};  // per axis x, y, z
  std::vector<double> times;
  bool has_scalar = false;
  bool has_mask = false;
  std::string mask_dataset;  // /fields/mask, or /fields/solid (anneal flow's solid cells)
  bool mask_static = false;  // the mask has no time axis
  std::optional<double> viscosity;
  int dimensions() const { return grid.is_3d() ? 3 : 2; }
  std::size_t nodes() const;
};

// Frames [first_frame, first_frame + times.size()) of a flow file, or a flow sampled in memory.
struct FlowData {
  io::RectilinearGrid grid;
  std::array<bool, 3> periodic{};
  std::vector<double> times;
  std::size_t first_frame = 0;       // index of times[0] in the file
  std::vector<double> velocity;      // [nt][nodes][dimensions]
  std::vector<double> scalar;        // [nt][nodes] or empty
  std::vector<std::uint8_t> mask;    // [nt][nodes], [nodes] when static, or empty; nonzero = invalid
  bool mask_static = false;
  std::optional<double> viscosity;
  int dimensions() const { return grid.is_3d() ? 3 : 2; }
  std::size_t nodes() const;
  bool masked(std::size_t frame, std::size_t node) const {
    return !mask.empty() && mask[(mask_static ? 0 : frame * nodes()) + node] != 0;
  }
};

// Opens and checks the layout: shapes against the grid, dtypes, increasing times, periodic axes
// evenly spaced. Throws anneal::Error naming the file and dataset.
FlowFileInfo inspect_flow_file(const std::filesystem::path& path);

// Reads the frames that cover [t_lo, t_hi] plus `margin` frames on each side where they exist
// (cubic interpolation in time uses neighbours), and checks them: finite wherever not masked, not
// all masked. [t_lo, t_hi] must lie within the file's times.
FlowData read_flow_data(const FlowFileInfo& info, double t_lo, double t_hi, bool with_scalar, std::size_t margin = 1);

// Checks that [t_lo, t_hi] lies within the data's times, naming the option that asked for it.
void check_time_window(const FlowFileInfo& info, double t_lo, double t_hi, const std::string& what);

// Writes `data` in the layout above (tests, the demo, users converting their data). Collective:
// every rank passes the same data.
void write_flow_data(const std::filesystem::path& path, const FlowData& data);

}  // namespace anneal::physics::turbulence
