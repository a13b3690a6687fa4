// read_poisson_system and write_poisson_system (declared in poisson_system.hpp): the HDF5 side of a
// Poisson system. The reader parses and checks types and shapes here; the numerical checks
// (symmetry, SPD, null space) are validate_poisson_system's.
#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/schema.hpp"
#include "physics/poisson/poisson_system.hpp"

namespace anneal::physics::poisson {
namespace {

// Root attributes the reader interprets; the others are kept in PoissonSystem::attributes.
const std::set<std::string> kKnownAttributes = {"grid_size", "spacing", "periodic", "dim", "null_space"};

// The text written for a constant null space; the reader takes any value starting with "constant".
constexpr const char* kConstantNullSpace = "constant on the fluid cells";

std::vector<double> numbers(const io::H5File& file, std::string_view name) {
  const io::AttrValue v = file.attribute("/", name);
  if (const auto* d = std::get_if<double>(&v)) return {*d};
  if (const auto* i = std::get_if<std::int64_t>(&v)) return {static_cast<double>(*i)};
  if (const auto* d = std::get_if<std::vector<double>>(&v)) return *d;
  if (const auto* i = std::get_if<std::vector<std::int64_t>>(&v)) return {i->begin(), i->end()};
  ANNEAL_THROW("'{}': attribute '{}' of '/' should be numbers, but is a string", file.path().string(), name);
}

// An attribute of 3 numbers (2 accepted for a 2-D grid, the third then `fill`).
std::array<double, 3> triple(const io::H5File& file, std::string_view name, double fill) {
  const std::vector<double> v = numbers(file, name);
  ANNEAL_CHECK(v.size() == 2 || v.size() == 3, "'{}': attribute '{}' of '/' has {} values; 3 expected (x, y, z)",
               file.path().string(), name, v.size());
  return {v[0], v[1], v.size() == 3 ? v[2] : fill};
}

NullSpace parse_null_space(const io::H5File& file) {
  if (!file.has_attribute("/", "null_space")) return NullSpace::none;
  const std::string text = file.string_attribute("/", "null_space");
  if (text.empty() || text == "none") return NullSpace::none;
  ANNEAL_CHECK(text.rfind("constant", 0) == 0,
               "'{}': attribute 'null_space' of '/' is '{}'; 'constant' (constants on each fluid component) or "
               "'none' expected",
               file.path().string(), text);
  return NullSpace::constant;
}

void read_matrix(const io::H5File& file, PoissonSystem& s) {
  const std::string name = file.path().string();
  for (const char* d : {"/A/indptr", "/A/indices"})
    io::require_dataset(file, d, {io::DType::i64, io::DType::i32}, {io::kAny});
  io::require_dataset(file, "/A/data", {io::DType::f64, io::DType::f32}, {io::kAny});
  io::require_dataset(file, "/b", {io::DType::f64, io::DType::f32}, {io::kAny});
  const io::AttrValue shape = file.attribute("/A", "shape");
  const auto* dims = std::get_if<std::vector<std::int64_t>>(&shape);
  ANNEAL_CHECK(dims != nullptr && dims->size() == 2,
               "'{}': attribute 'shape' of '/A' should be 2 integers [rows, columns]", name);
  ANNEAL_CHECK((*dims)[0] == (*dims)[1] && (*dims)[0] >= 1,
               "'{}': attribute 'shape' of '/A' is [{}, {}]; a Poisson system needs a square, non-empty matrix", name,
               (*dims)[0], (*dims)[1]);
  s.matrix.rows = (*dims)[0];
  s.matrix.indptr = file.read<std::int64_t>("/A/indptr").data;
  s.matrix.indices = file.read<std::int64_t>("/A/indices").data;
  s.matrix.data = file.read<double>("/A/data").data;
  s.rhs = file.read<double>("/b").data;
  if (file.exists("/x")) {
    io::require_dataset(file, "/x", {io::DType::f64, io::DType::f32}, {io::kAny});
    s.solution = file.read<double>("/x").data;
  }
  if (file.has_attribute("/A", "description")) s.description = file.string_attribute("/A", "description");
}

// grid_size, dim, spacing, periodic and /cell_type. Without grid_size, a 2-D or 3-D /cell_type gives
// the grid.
void read_grid(const io::H5File& file, PoissonSystem& s) {
  const std::string name = file.path().string();
  io::Shape type_shape;
  if (file.exists("/cell_type")) {
    // Any rank here (checked below); integer types, as numpy writes them, are accepted.
    const std::size_t rank = file.dataset_info("/cell_type").shape.size();
    type_shape = io::require_dataset(file, "/cell_type", {io::DType::u8, io::DType::i32, io::DType::i64},
                                     io::Shape(rank, io::kAny))
                     .shape;
    ANNEAL_CHECK(!type_shape.empty() && type_shape.size() <= 3,
                 "'{}': dataset '/cell_type' has shape {}; [nz][ny][nx], [ny][nx] or [n] expected", name,
                 io::to_string(type_shape));
    const auto values = file.read<std::int64_t>("/cell_type").data;
    s.cell_type.reserve(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      ANNEAL_CHECK(values[i] == 0 || values[i] == 1,
                   "'{}': dataset '/cell_type' holds {} at flat index {}; 0 (fluid) or 1 (solid) expected", name,
                   values[i], i);
      s.cell_type.push_back(static_cast<std::uint8_t>(values[i]));
    }
  }
  if (file.has_attribute("/", "dim"))
    s.dim = static_cast<int>(numbers(file, "dim").at(0));
  else if (type_shape.size() == 2)
    s.dim = 2;
  if (file.has_attribute("/", "grid_size")) {
    const auto g = triple(file, "grid_size", 1.0);
    s.grid = {static_cast<long>(g[0]), static_cast<long>(g[1]), static_cast<long>(g[2])};
  } else if (type_shape.size() >= 2) {
    // C order: the last axis is x.
    const std::size_t r = type_shape.size();
    s.grid = {static_cast<long>(type_shape[r - 1]), static_cast<long>(type_shape[r - 2]),
              r == 3 ? static_cast<long>(type_shape[0]) : 1L};
  }
  if (file.has_attribute("/", "spacing")) s.spacing = triple(file, "spacing", 1.0);
  if (file.has_attribute("/", "periodic")) {
    const auto p = triple(file, "periodic", 0.0);
    s.periodic = {p[0] != 0, p[1] != 0, p[2] != 0};
  }
  // A shaped /cell_type must be the grid's image, not just the right number of cells. (Counts that
  // differ are reported against A's size by validate_poisson_system.)
  if (type_shape.size() >= 2 && s.grid != std::array<long, 3>{0, 0, 0} &&
      io::element_count(type_shape) == static_cast<std::size_t>(s.grid[0] * s.grid[1] * s.grid[2])) {
    io::Shape expected;
    if (s.dim == 3) expected.push_back(static_cast<std::size_t>(s.grid[2]));
    expected.push_back(static_cast<std::size_t>(s.grid[1]));
    expected.push_back(static_cast<std::size_t>(s.grid[0]));
    ANNEAL_CHECK(
        type_shape == expected,
        "'{}': dataset '/cell_type' has shape {} but attribute 'grid_size' of '/' gives [{}, {}, {}] (shape {})", name,
        io::to_string(type_shape), s.grid[0], s.grid[1], s.grid[2], io::to_string(expected));
  }
}

io::Shape cell_shape(const PoissonSystem& s) {
  io::Shape shape;
  if (s.dim == 3) shape.push_back(static_cast<std::size_t>(s.grid[2]));
  shape.push_back(static_cast<std::size_t>(s.grid[1]));
  shape.push_back(static_cast<std::size_t>(s.grid[0]));
  return shape;
}

}  // namespace

PoissonSystem read_poisson_system(const std::filesystem::path& path) {
  const auto file = io::H5File::open_read(path);
  PoissonSystem s;
  s.source = path;
  read_matrix(file, s);
  read_grid(file, s);
  s.null_space = parse_null_space(file);
  for (const std::string& a : file.attribute_names("/"))
    if (!kKnownAttributes.count(a)) s.attributes[a] = file.attribute("/", a);
  validate_poisson_system(s);
  return s;
}

void write_poisson_system(const std::filesystem::path& path, const PoissonSystem& s, const io::Provenance& provenance) {
  const auto n = static_cast<std::size_t>(s.matrix.rows);
  ANNEAL_CHECK(s.matrix.indptr.size() == n + 1 && s.rhs.size() == n && (s.solution.empty() || s.solution.size() == n) &&
                   (s.cell_type.empty() || s.cell_type.size() == n),
               "write_poisson_system '{}': inconsistent sizes (indptr {}, b {}, x {}, cell_type {} for {} rows)",
               path.string(), s.matrix.indptr.size(), s.rhs.size(), s.solution.size(), s.cell_type.size(), n);
  ANNEAL_CHECK(s.cell_type.empty() || has_grid(s), "write_poisson_system '{}': cell types without a grid",
               path.string());
  io::AtomicOutput output(path, provenance.source_files);
  {
    auto file = io::H5File::create(output.temp_path());
    file.write<std::int64_t>("/A/indptr", s.matrix.indptr, {n + 1});
    file.write<std::int64_t>("/A/indices", s.matrix.indices, {s.matrix.indices.size()});
    file.write<double>("/A/data", s.matrix.data, {s.matrix.data.size()});
    const auto rows = static_cast<std::int64_t>(n);
    file.set_attribute("/A", "shape", std::vector<std::int64_t>{rows, rows});
    // The same arrays under the names PETSc's HDF5 MatLoad reads (MATLAB's sparse layout: jc the row
    // pointers, ir the column indices, attribute MATLAB_sparse the column count). A is symmetric, so
    // reading it as CSR or as MATLAB's CSC gives the same matrix. Hard links: nothing is stored twice.
    file.link("/A/indptr", "/A/jc");
    file.link("/A/indices", "/A/ir");
    file.set_attribute("/A", "MATLAB_sparse", rows);
    if (!s.description.empty()) file.set_attribute("/A", "description", s.description);
    file.write<double>("/b", s.rhs, {n});
    if (!s.solution.empty()) file.write<double>("/x", s.solution, {n});
    if (!s.cell_type.empty()) {
      file.write<std::uint8_t>("/cell_type", s.cell_type, cell_shape(s));
      file.set_attribute("/cell_type", "legend", std::string("0 fluid, 1 solid"));
    }
    if (has_grid(s)) {
      file.set_attribute("/", "grid_size", std::vector<std::int64_t>{s.grid[0], s.grid[1], s.grid[2]});
      file.set_attribute("/", "spacing", std::vector<double>{s.spacing[0], s.spacing[1], s.spacing[2]});
      file.set_attribute("/", "periodic", std::vector<std::int64_t>{s.periodic[0], s.periodic[1], s.periodic[2]});
      file.set_attribute("/", "dim", static_cast<std::int64_t>(s.dim));
    }
    for (const auto& [name, value] : s.attributes) {
      ANNEAL_CHECK(!kKnownAttributes.count(name),
                   "write_poisson_system '{}': attribute '{}' is written from the system's fields", path.string(),
                   name);
      file.set_attribute("/", name, value);
    }
    file.set_attribute("/", "null_space",
                       std::string(s.null_space == NullSpace::constant ? kConstantNullSpace : "none"));
    io::write_provenance(file, provenance);
    file.close();
  }
  output.commit();
}

}  // namespace anneal::physics::poisson
