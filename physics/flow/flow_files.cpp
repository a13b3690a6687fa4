#include "physics/flow/flow_files.hpp"

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"

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

void write_pressure_system(const std::filesystem::path& path, const PressureSystem& s, const io::Provenance& provenance) {
  io::AtomicOutput output(path, provenance.source_files);
  {
    auto file = io::H5File::create(output.temp_path());
    const auto n = static_cast<std::size_t>(s.matrix.rows);
    file.write<std::int64_t>("/A/indptr", s.matrix.indptr, {n + 1});
    file.write<std::int64_t>("/A/indices", s.matrix.indices, {s.matrix.indices.size()});
    file.write<double>("/A/data", s.matrix.data, {s.matrix.data.size()});
    file.set_attribute("/A", "shape", std::vector<std::int64_t>{static_cast<std::int64_t>(n), static_cast<std::int64_t>(n)});
    // The same arrays under the names PETSc's HDF5 MatLoad reads (MATLAB's sparse layout: jc the row
    // pointers, ir the column indices, attribute MATLAB_sparse the column count). A is symmetric, so
    // reading it as CSR or as MATLAB's CSC gives the same matrix. Hard links: nothing is stored twice.
    file.link("/A/indptr", "/A/jc");
    file.link("/A/indices", "/A/ir");
    file.set_attribute("/A", "MATLAB_sparse", static_cast<std::int64_t>(n));
    file.set_attribute("/A", "description",
                       std::string("−∇²·hx² on cell centres, natural order (k·ny + j)·nx + i; zero-flux walls and "
                                   "solids; solid rows are identity rows"));
    file.write<double>("/b", s.rhs, {n});
    file.write<double>("/x", s.solution, {n});
    file.write<std::uint8_t>("/cell_type", s.cell_type, c_order(s.lattice.cells, s.lattice.dim));
    file.set_attribute("/cell_type", "legend", std::string("0 fluid, 1 solid"));
    file.set_attribute("/", "grid_size", std::vector<std::int64_t>{s.lattice.cells[0], s.lattice.cells[1], s.lattice.cells[2]});
    file.set_attribute("/", "spacing", std::vector<double>{s.lattice.spacing[0], s.lattice.spacing[1], s.lattice.spacing[2]});
    file.set_attribute("/", "periodic", std::vector<std::int64_t>{s.lattice.periodic[0], s.lattice.periodic[1], s.lattice.periodic[2]});
    file.set_attribute("/", "dim", static_cast<std::int64_t>(s.lattice.dim));
    file.set_attribute("/", "step", static_cast<std::int64_t>(s.step));
    file.set_attribute("/", "time", s.time);
    file.set_attribute("/", "null_space", std::string("constant on the fluid cells"));
    io::write_provenance(file, provenance);
    file.close();
  }
  output.commit();
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
