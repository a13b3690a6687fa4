#include "physics/flow/flow_files.hpp"

#include <utility>

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"
#include "physics/poisson/poisson_system.hpp"

namespace anneal::physics::flow {
namespace {

// [nz][ny][nx] (or [ny][nx]) extents and offsets of a block, slowest axis first.
io::Shape c_order(const std::array<long, 3>& v, int dim) {
  io::Shape s;
  for (int a = dim - 1; a >= 0; --a) s.push_back(static_cast<std::size_t>(v[static_cast<std::size_t>(a)]));
  return s;
}

std::array<long, 3> face_extent(const Scene& scene, int axis) {
  std::array<long, 3> n = scene.cells;
  if (!scene.periodic(axis)) n[static_cast<std::size_t>(axis)] += 1;
  return n;
}

const char* velocity_name(int axis) {
  static const char* names[3] = {"/state/velocity_x", "/state/velocity_y", "/state/velocity_z"};
  return names[axis];
}

}  // namespace

void write_pressure_system(const std::filesystem::path& path, PressureSystem s, const io::Provenance& provenance) {
  // The Poisson module owns the layout; this only says what a pressure system is.
  poisson::PoissonSystem p;
  p.matrix = std::move(s.matrix);
  p.rhs = std::move(s.rhs);
  p.solution = std::move(s.solution);
  p.grid = s.lattice.cells;
  p.spacing = s.lattice.spacing;
  p.periodic = s.lattice.periodic;
  p.dim = s.lattice.dim;
  p.cell_type = std::move(s.cell_type);
  // Zero-flux walls and solids all round: constants on the fluid are the null space, and the
  // projection made b orthogonal to them.
  p.null_space = poisson::NullSpace::constant;
  p.description =
      "−∇²·hx² on cell centres, natural order (k·ny + j)·nx + i; zero-flux walls and solids; solid rows are "
      "identity rows";
  p.attributes["step"] = static_cast<std::int64_t>(s.step);
  p.attributes["time"] = s.time;
  poisson::write_poisson_system(path, p, provenance);
}

void write_checkpoint(const std::filesystem::path& path, const FlowSolver& solver, const io::Provenance& provenance) {
  const Scene& scene = solver.scene();
  io::AtomicOutput output(path, provenance.source_files);
  {
    auto file = io::H5File::create(output.temp_path());
    const FlowCheckpoint state = solver.checkpoint();
    for (int a = 0; a < scene.dim; ++a) {
      const CellBlock b = solver.face_block(a);
      file.create_dataset(velocity_name(a), io::DType::f64, c_order(face_extent(scene, a), scene.dim));
      file.write_block<double>(velocity_name(a), state.velocity[static_cast<std::size_t>(a)], c_order(b.offset, scene.dim),
                               c_order(b.count, scene.dim));
    }
    const CellBlock b = solver.block();
    for (const auto& [name, values] : {std::pair{"/state/scalar", &state.scalar}, std::pair{"/state/pressure", &state.pressure}}) {
      file.create_dataset(name, io::DType::f64, c_order(scene.cells, scene.dim));
      file.write_block<double>(name, *values, c_order(b.offset, scene.dim), c_order(b.count, scene.dim));
    }
    file.set_attribute("/state", "time", state.time);
    file.set_attribute("/state", "step", static_cast<std::int64_t>(state.step));
    file.set_attribute("/state", "scene", scene_to_json(scene).dump());
    io::write_provenance(file, provenance);
    file.close();
  }
  output.commit();
}

void read_checkpoint(const std::filesystem::path& path, FlowSolver& solver) {
  const Scene& scene = solver.scene();
  const auto file = io::H5File::open_read(path);
  ANNEAL_CHECK(file.exists("/state"), "'{}' is not an anneal flow checkpoint (no /state group)", path.string());
  // The grid and boundaries must be the ones the checkpoint was written with; times, outputs and
  // solver settings may change between runs.
  const auto saved = nlohmann::json::parse(file.string_attribute("/state", "scene"));
  const auto now = scene_to_json(scene);
  for (const char* key : {"domain", "boundary", "obstacle"})
    ANNEAL_CHECK(saved[key] == now[key], "checkpoint '{}' was written for another scene: its {} is {}, the scene's is {}",
                 path.string(), key, saved[key].dump(), now[key].dump());
  FlowCheckpoint state;
  state.time = std::get<double>(file.attribute("/state", "time"));
  state.step = static_cast<long>(std::get<std::int64_t>(file.attribute("/state", "step")));
  for (int a = 0; a < scene.dim; ++a) {
    const CellBlock b = solver.face_block(a);
    io::require_dataset(file, velocity_name(a), {io::DType::f64}, c_order(face_extent(scene, a), scene.dim));
    state.velocity[static_cast<std::size_t>(a)] =
        file.read_block<double>(velocity_name(a), c_order(b.offset, scene.dim), c_order(b.count, scene.dim)).data;
  }
  const CellBlock b = solver.block();
  for (const auto& [name, values] : {std::pair{"/state/scalar", &state.scalar}, std::pair{"/state/pressure", &state.pressure}}) {
    io::require_dataset(file, name, {io::DType::f64}, c_order(scene.cells, scene.dim));
    *values = file.read_block<double>(name, c_order(b.offset, scene.dim), c_order(b.count, scene.dim)).data;
  }
  solver.restore(state);
}

}  // namespace anneal::physics::flow
