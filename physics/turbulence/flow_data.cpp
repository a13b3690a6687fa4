#include "physics/turbulence/flow_data.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"

namespace anneal::physics::turbulence {
namespace {

std::size_t node_count(const io::RectilinearGrid& grid) {
  return grid.x.size() * grid.y.size() * (grid.is_3d() ? grid.z.size() : 1);
}

// [(nz)][ny][nx]: the node shape of a field without time axis.
io::Shape node_shape(const io::RectilinearGrid& grid) {
  if (grid.is_3d()) return {grid.z.size(), grid.y.size(), grid.x.size()};
  return {grid.y.size(), grid.x.size()};
}

io::Shape with_time(std::size_t nt, io::Shape shape) {
  shape.insert(shape.begin(), nt);
  return shape;
}

bool read_periodic_flag(const io::H5File& file, const std::string& axis) {
  if (!file.has_attribute(axis, "periodic")) return false;
  const io::AttrValue v = file.attribute(axis, "periodic");
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i != 0;
  if (const auto* d = std::get_if<double>(&v)) return *d != 0;
  ANNEAL_THROW("'{}': attribute 'periodic' of '{}' should be 0 or 1", file.path().string(), axis);
}

void check_periodic_axis(const std::filesystem::path& path, const std::string& axis, const std::vector<double>& x) {
  const double h = (x.back() - x.front()) / static_cast<double>(x.size() - 1);
  for (std::size_t i = 1; i < x.size(); ++i)
    ANNEAL_CHECK(std::abs(x[i] - x[i - 1] - h) <= 1e-9 * std::max(1.0, std::abs(h) * static_cast<double>(x.size())),
                 "'{}': '{}' is marked periodic but its nodes are not evenly spaced (a periodic axis has nodes "
                 "x0 + i·Δx, i < n, and period n·Δx)",
                 path.string(), axis);
}

}  // namespace

std::size_t FlowFileInfo::nodes() const { return node_count(grid); }
std::size_t FlowData::nodes() const { return node_count(grid); }

FlowFileInfo inspect_flow_file(const std::filesystem::path& path) {
  const io::H5File file = io::H5File::open_read(path);
  FlowFileInfo info;
  info.path = path;
  for (const char* name : {"/grid/x", "/grid/y", "/grid/t", "/fields/velocity"})
    ANNEAL_CHECK(file.exists(name), "'{}': no dataset '{}' (a flow file has /grid/x, /grid/y, [/grid/z,] /grid/t and "
                 "/fields/velocity; see docs/turbulence.md)", path.string(), name);
  info.grid = io::read_grid(file);
  const std::vector<std::string> axes = {"/grid/x", "/grid/y", "/grid/z"};
  for (int a = 0; a < info.dimensions(); ++a) {
    info.periodic[a] = read_periodic_flag(file, axes[a]);
    const auto& nodes = a == 0 ? info.grid.x : a == 1 ? info.grid.y : info.grid.z;
    if (info.periodic[a]) check_periodic_axis(path, axes[a], nodes);
  }

  io::require_dataset(file, "/grid/t", {io::DType::f64, io::DType::f32}, {io::kAny});
  info.times = file.read<double>("/grid/t").data;
  ANNEAL_CHECK(info.times.size() >= 2, "'{}': /grid/t has {} time(s); a flow map needs at least two frames",
               path.string(), info.times.size());
  io::require_finite<double>(file, "/grid/t", info.times);
  for (std::size_t i = 1; i < info.times.size(); ++i)
    ANNEAL_CHECK(info.times[i] > info.times[i - 1],
                 "'{}': /grid/t is not strictly increasing (t[{}] = {} follows t[{}] = {}); frames must be in time "
                 "order",
                 path.string(), i, info.times[i], i - 1, info.times[i - 1]);

  const std::size_t nt = info.times.size();
  io::Shape velocity_shape = with_time(nt, node_shape(info.grid));
  velocity_shape.push_back(static_cast<std::size_t>(info.dimensions()));
  io::require_dataset(file, "/fields/velocity", {io::DType::f64, io::DType::f32}, velocity_shape);

  info.has_scalar = file.exists("/fields/scalar");
  if (info.has_scalar)
    io::require_dataset(file, "/fields/scalar", {io::DType::f64, io::DType::f32}, with_time(nt, node_shape(info.grid)));
  // anneal flow marks solid cells in /fields/solid: no fluid velocity there, so the same as a mask.
  info.mask_dataset = file.exists("/fields/mask") ? "/fields/mask" : file.exists("/fields/solid") ? "/fields/solid" : "";
  info.has_mask = !info.mask_dataset.empty();
  if (info.has_mask) {
    const io::DatasetInfo m = file.dataset_info(info.mask_dataset);
    info.mask_static = m.shape == node_shape(info.grid);
    if (!info.mask_static)
      io::require_dataset(file, info.mask_dataset, {io::DType::u8}, with_time(nt, node_shape(info.grid)));
    else
      io::require_dataset(file, info.mask_dataset, {io::DType::u8}, node_shape(info.grid));
  }
  if (file.has_attribute("/", "viscosity")) {
    const io::AttrValue v = file.attribute("/", "viscosity");
    const double* nu = std::get_if<double>(&v);
    ANNEAL_CHECK(nu && std::isfinite(*nu) && *nu >= 0, "'{}': attribute 'viscosity' should be a number ≥ 0",
                 path.string());
    info.viscosity = *nu;
  }
  return info;
}

void check_time_window(const FlowFileInfo& info, double t_lo, double t_hi, const std::string& what) {
  const double first = info.times.front(), last = info.times.back();
  const double slack = 1e-12 * std::max({1.0, std::abs(first), std::abs(last)});
  ANNEAL_CHECK(t_lo >= first - slack && t_hi <= last + slack,
               "{} needs the velocity on [{}, {}], but '{}' holds t ∈ [{}, {}]; choose t0 and T within the data",
               what, t_lo, t_hi, info.path.string(), first, last);
}

FlowData read_flow_data(const FlowFileInfo& info, double t_lo, double t_hi, bool with_scalar, std::size_t margin) {
  check_time_window(info, t_lo, t_hi, "the analysis");
  const auto& t = info.times;
  // The frames bracketing the window, plus the margin.
  std::size_t lo = static_cast<std::size_t>(std::upper_bound(t.begin(), t.end(), t_lo) - t.begin());
  lo = lo > 0 ? lo - 1 : 0;
  std::size_t hi = static_cast<std::size_t>(std::lower_bound(t.begin(), t.end(), t_hi) - t.begin());
  hi = std::min(hi, t.size() - 1);
  lo = lo >= margin ? lo - margin : 0;
  hi = std::min(hi + margin, t.size() - 1);
  if (hi == lo) hi = std::min(lo + 1, t.size() - 1), lo = hi - 1;
  const std::size_t nt = hi - lo + 1;

  const io::H5File file = io::H5File::open_read(info.path);
  FlowData data;
  data.grid = info.grid;
  data.periodic = info.periodic;
  data.times.assign(t.begin() + static_cast<std::ptrdiff_t>(lo), t.begin() + static_cast<std::ptrdiff_t>(hi + 1));
  data.first_frame = lo;
  data.viscosity = info.viscosity;
  const std::size_t nodes = info.nodes();
  const auto d = static_cast<std::size_t>(info.dimensions());

  io::Shape offset(node_shape(info.grid).size() + 2, 0);
  offset[0] = lo;
  io::Shape count = with_time(nt, node_shape(info.grid));
  count.push_back(d);
  data.velocity = file.read_block<double>("/fields/velocity", offset, count).data;
  if (info.has_mask) {
    if (info.mask_static) {
      data.mask = file.read<std::uint8_t>(info.mask_dataset).data;
    } else {
      io::Shape moff(offset.begin(), offset.end() - 1), mcount(count.begin(), count.end() - 1);
      data.mask = file.read_block<std::uint8_t>(info.mask_dataset, moff, mcount).data;
    }
    data.mask_static = info.mask_static;
    ANNEAL_CHECK(std::any_of(data.mask.begin(), data.mask.end(), [](std::uint8_t m) { return m == 0; }),
                 "'{}': {} marks every node invalid in the frames t ∈ [{}, {}]; there is no data to analyse",
                 info.path.string(), info.mask_dataset, data.times.front(), data.times.back());
  }
  if (with_scalar) {
    ANNEAL_CHECK(info.has_scalar, "'{}': no /fields/scalar, which interface detection needs", info.path.string());
    io::Shape soff(offset.begin(), offset.end() - 1), scount(count.begin(), count.end() - 1);
    data.scalar = file.read_block<double>("/fields/scalar", soff, scount).data;
  }
  for (std::size_t f = 0; f < nt; ++f)
    for (std::size_t n = 0; n < nodes; ++n) {
      if (data.masked(f, n)) continue;
      for (std::size_t c = 0; c < d; ++c)
        ANNEAL_CHECK(std::isfinite(data.velocity[(f * nodes + n) * d + c]),
                     "'{}': /fields/velocity is not finite at frame {}, node {} and that node is not masked (mark "
                     "invalid data in /fields/mask)",
                     info.path.string(), lo + f, n);
      if (with_scalar)
        ANNEAL_CHECK(std::isfinite(data.scalar[f * nodes + n]),
                     "'{}': /fields/scalar is not finite at frame {}, node {} and that node is not masked",
                     info.path.string(), lo + f, n);
    }
  return data;
}

void write_flow_data(const std::filesystem::path& path, const FlowData& data) {
  io::AtomicOutput output(path);
  {
    io::H5File file = io::H5File::create(output.temp_path());
    io::write_grid(file, data.grid);
    const std::vector<std::string> axes = {"/grid/x", "/grid/y", "/grid/z"};
    for (int a = 0; a < data.dimensions(); ++a)
      if (data.periodic[a]) file.set_attribute(axes[a], "periodic", std::int64_t{1});
    file.write<double>("/grid/t", data.times, {data.times.size()});
    const std::size_t nt = data.times.size();
    io::Shape shape = with_time(nt, node_shape(data.grid));
    io::Shape vshape = shape;
    vshape.push_back(static_cast<std::size_t>(data.dimensions()));
    file.write<double>("/fields/velocity", data.velocity, vshape);
    if (!data.scalar.empty()) file.write<double>("/fields/scalar", data.scalar, shape);
    if (!data.mask.empty()) file.write<std::uint8_t>("/fields/mask", data.mask, data.mask_static ? node_shape(data.grid) : shape);
    if (data.viscosity) file.set_attribute("/", "viscosity", *data.viscosity);
    file.close();
  }
  output.commit();
}

}  // namespace anneal::physics::turbulence
