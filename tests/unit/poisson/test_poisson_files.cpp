// Poisson systems on disk: a write → read round trip, the flow solver's pressure dumps (written by
// its own writer) and plain user files read as they are, and every kind of bad input refused with
// one line naming the file and the dataset — crafted files written here with the bare HDF5 layer.
#include <algorithm>
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"
#include "physics/flow/flow_files.hpp"
#include "physics/poisson/poisson_problems.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/csr_eigen.hpp"

using namespace anneal;
using namespace anneal::physics::poisson;
using anneal::test::TempDir;
using Catch::Matchers::Contains;
using solvers::Wall;

namespace {

// The arrays of a file as written here, so that a test can break one thing at a time.
struct RawFile {
  std::vector<std::int64_t> indptr, indices, shape;
  std::vector<double> data, b;
  std::vector<std::uint8_t> cell_type;
  io::Shape cell_shape;
  std::vector<std::int64_t> grid_size;
  std::string null_space;  // empty: no attribute
  bool with_b = true, with_indices = true;
};

RawFile raw_from(const PoissonSystem& s) {
  RawFile r;
  r.indptr = s.matrix.indptr;
  r.indices = s.matrix.indices;
  r.data = s.matrix.data;
  r.shape = {s.size(), s.size()};
  r.b = random_range_rhs(s, 1);
  r.cell_type = s.cell_type;
  r.cell_shape = {static_cast<std::size_t>(s.grid[2]), static_cast<std::size_t>(s.grid[1]),
                  static_cast<std::size_t>(s.grid[0])};
  r.grid_size = {s.grid[0], s.grid[1], s.grid[2]};
  return r;
}

// A valid definite system: 3×3×2 cells, Dirichlet walls, one solid cell.
RawFile valid_raw() {
  GridProblem p;
  p.cells = {3, 3, 2};
  p.boxes.push_back({{0, 0, 0}, {1, 1, 1}, Units::cells});
  return raw_from(build_poisson_problem(p));
}

void write_raw(const std::filesystem::path& path, const RawFile& r) {
  auto f = io::H5File::create(path);
  f.write<std::int64_t>("/A/indptr", r.indptr, {r.indptr.size()});
  if (r.with_indices) f.write<std::int64_t>("/A/indices", r.indices, {r.indices.size()});
  f.write<double>("/A/data", r.data, {r.data.size()});
  f.set_attribute("/A", "shape", r.shape);
  if (r.with_b) f.write<double>("/b", r.b, {r.b.size()});
  if (!r.cell_type.empty()) f.write<std::uint8_t>("/cell_type", r.cell_type, r.cell_shape);
  if (!r.grid_size.empty()) f.set_attribute("/", "grid_size", r.grid_size);
  if (!r.null_space.empty()) f.set_attribute("/", "null_space", r.null_space);
  f.close();
}

// Reading `r` fails with one line that names the file and holds every one of `parts`.
void check_refused(const TempDir& dir, const RawFile& r, const std::vector<std::string>& parts) {
  const auto path = dir / "bad.h5";
  std::filesystem::remove(path);
  write_raw(path, r);
  try {
    read_poisson_system(path);
    FAIL("no error for a file that should hold " << parts.front());
  } catch (const Error& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find('\n') == std::string::npos);
    CHECK_THAT(message, Contains(path.string()));
    for (const auto& part : parts) CHECK_THAT(message, Contains(part));
  }
}

// The entry (r, c) of a CSR matrix, by search (0 if absent).
std::size_t find_entry(const RawFile& m, std::int64_t r, std::int64_t c) {
  for (auto e = m.indptr[static_cast<std::size_t>(r)]; e < m.indptr[static_cast<std::size_t>(r) + 1]; ++e)
    if (m.indices[static_cast<std::size_t>(e)] == c) return static_cast<std::size_t>(e);
  FAIL("no entry (" << r << ", " << c << ")");
  return 0;
}

}  // namespace

TEST_CASE("poisson files: write then read gives back the same system", "[poisson]") {
  TempDir dir;
  GridProblem p;
  p.cells = {6, 5, 4};
  p.walls = all_walls(Wall::zero_flux);
  p.spheres.push_back({{0.5, 0.4, 0.3}, 0.2, Units::unit});
  PoissonSystem s = build_poisson_problem(p);
  s.rhs = smooth_rhs(s, 9);
  s.solution = random_range_rhs(s, 2);
  s.attributes["note"] = std::string("round trip");
  s.attributes["step"] = std::int64_t{12};
  write_poisson_system(dir / "sys.h5", s, {});
  const PoissonSystem r = read_poisson_system(dir / "sys.h5");
  CHECK(r.matrix.rows == s.matrix.rows);
  CHECK(r.matrix.indptr == s.matrix.indptr);
  CHECK(r.matrix.indices == s.matrix.indices);
  CHECK(r.matrix.data == s.matrix.data);
  CHECK(r.rhs == s.rhs);
  CHECK(r.solution == s.solution);
  CHECK(r.grid == s.grid);
  CHECK(r.dim == 3);
  CHECK(r.cell_type == s.cell_type);
  CHECK(r.null_space == NullSpace::constant);
  CHECK(r.null_components == s.null_components);
  CHECK(r.description == s.description);
  CHECK(r.attributes == s.attributes);
  CHECK(r.source == dir / "sys.h5");
  // The layout: PETSc's names are links to the CSR arrays, /meta is there, no temporary is left.
  const auto f = io::H5File::open_read(dir / "sys.h5");
  CHECK(f.read<std::int64_t>("/A/jc").data == s.matrix.indptr);
  CHECK(f.read<std::int64_t>("/A/ir").data == s.matrix.indices);
  CHECK(std::get<std::int64_t>(f.attribute("/A", "MATLAB_sparse")) == s.size());
  CHECK(f.dataset_info("/cell_type").shape == io::Shape{4, 5, 6});
  CHECK(f.exists("/meta"));
  CHECK(!std::filesystem::exists(dir / "sys.h5.tmp"));
}

TEST_CASE("poisson files: the flow solver's pressure dumps are read as they are", "[poisson]") {
  TempDir dir;
  // A 2-D pressure system as the flow solver holds it: 6×5 cells, one solid, zero-flux walls.
  physics::flow::PressureSystem ps;
  ps.lattice.dim = 2;
  ps.lattice.cells = {6, 5, 1};
  ps.lattice.spacing = {0.1, 0.2, 1.0};
  ps.lattice.periodic = {true, false, false};
  std::vector<solvers::CellType> types(30, solvers::CellType::fluid);
  types[7] = solvers::CellType::solid;
  for (auto t : types) ps.cell_type.push_back(static_cast<std::uint8_t>(t));
  ps.matrix = solvers::assemble_laplacian(ps.lattice, types);
  for (int i = 0; i < 30; ++i) ps.solution.push_back(std::sin(static_cast<double>(i)));
  ps.rhs = test::multiply(ps.matrix, ps.solution);
  ps.step = 10;
  ps.time = 0.25;
  const solvers::CsrMatrix matrix = ps.matrix;
  physics::flow::write_pressure_system(dir / "jet.pressure_10.h5", ps, {});

  const PoissonSystem s = read_poisson_system(dir / "jet.pressure_10.h5");
  CHECK(s.matrix.indptr == matrix.indptr);
  CHECK(s.matrix.indices == matrix.indices);
  CHECK(s.matrix.data == matrix.data);
  CHECK(s.rhs == ps.rhs);
  CHECK(s.solution == ps.solution);
  CHECK(s.grid == std::array<long, 3>{6, 5, 1});
  CHECK(s.dim == 2);
  CHECK(s.spacing == std::array<double, 3>{0.1, 0.2, 1.0});
  CHECK(s.periodic == std::array<bool, 3>{true, false, false});
  CHECK(s.cell_type == ps.cell_type);
  CHECK(s.null_space == NullSpace::constant);
  REQUIRE(s.null_components.size() == 1);
  CHECK(s.null_components[0].size() == 29);  // every fluid cell
  CHECK(std::get<std::int64_t>(s.attributes.at("step")) == 10);
  CHECK(std::get<double>(s.attributes.at("time")) == 0.25);
  CHECK_THAT(s.description, Contains("zero-flux walls"));
  // The dump's own layout, as docs/flow.md gives it.
  const auto f = io::H5File::open_read(dir / "jet.pressure_10.h5");
  CHECK(f.dataset_info("/cell_type").shape == io::Shape{5, 6});
  CHECK(f.string_attribute("/cell_type", "legend") == "0 fluid, 1 solid");
  CHECK(std::get<std::vector<std::int64_t>>(f.attribute("/", "grid_size")) == std::vector<std::int64_t>{6, 5, 1});
  CHECK(std::get<std::int64_t>(f.attribute("/", "dim")) == 2);
  CHECK(f.read<std::int64_t>("/A/jc").data == matrix.indptr);
  CHECK(f.string_attribute("/", "null_space") == "constant on the fluid cells");
}

TEST_CASE("poisson files: a plain user file (int32 indices, unsorted, duplicates, no grid) is read", "[poisson]") {
  TempDir dir;
  // tridiag(−1, 2, −1) on 4 unknowns, row 1 unsorted and its diagonal split in two entries.
  {
    auto f = io::H5File::create(dir / "user.h5");
    const std::vector<std::int32_t> indptr{0, 2, 6, 9, 11}, indices{0, 1, 2, 1, 0, 1, 1, 2, 3, 2, 3};
    const std::vector<float> data{2, -1, -1, 1.5f, -1, 0.5f, -1, 2, -1, -1, 2};
    f.write<std::int32_t>("/A/indptr", indptr, {indptr.size()});
    f.write<std::int32_t>("/A/indices", indices, {indices.size()});
    f.write<float>("/A/data", data, {data.size()});
    f.set_attribute("/A", "shape", std::vector<std::int64_t>{4, 4});
    f.write<double>("/b", std::vector<double>{1, 0, 0, 1}, {4});
    f.close();
  }
  const PoissonSystem s = read_poisson_system(dir / "user.h5");
  CHECK(s.matrix.indptr == std::vector<std::int64_t>{0, 2, 5, 8, 10});
  CHECK(s.matrix.indices == std::vector<std::int64_t>{0, 1, 0, 1, 2, 1, 2, 3, 2, 3});
  CHECK(s.matrix.data == std::vector<double>{2, -1, -1, 2, -1, -1, 2, -1, -1, 2});
  CHECK(s.solution.empty());
  CHECK(s.cell_type.empty());
  CHECK(!has_grid(s));
  CHECK(s.null_space == NullSpace::none);
  CHECK_THROWS_WITH(require_grid(s, "the DCDM network"),
                    Contains((dir / "user.h5").string()) && Contains("not on a grid") && Contains("the DCDM network"));
}

TEST_CASE("poisson files: a grid is taken from /cell_type when grid_size is absent", "[poisson]") {
  TempDir dir;
  RawFile r = valid_raw();
  r.grid_size.clear();
  write_raw(dir / "sys.h5", r);
  const PoissonSystem s = read_poisson_system(dir / "sys.h5");
  CHECK(s.grid == std::array<long, 3>{3, 3, 2});
  CHECK(require_grid(s, "the network") == std::array<long, 3>{3, 3, 2});
}

TEST_CASE("poisson files: bad inputs are one-line errors naming the file and the dataset", "[poisson]") {
  TempDir dir;
  RawFile ok = valid_raw();
  {
    write_raw(dir / "ok.h5", ok);
    CHECK_NOTHROW(read_poisson_system(dir / "ok.h5"));
  }
  const auto n = static_cast<std::int64_t>(ok.b.size());
  SECTION("missing datasets") {
    RawFile r = ok;
    r.with_b = false;
    check_refused(dir, r, {"no dataset '/b'"});
    r = ok;
    r.with_indices = false;
    check_refused(dir, r, {"no dataset '/A/indices'"});
  }
  SECTION("shape: not square, not matching /b") {
    RawFile r = ok;
    r.shape = {n, n + 1};
    check_refused(dir, r, {"attribute 'shape' of '/A'", "square"});
    r = ok;
    r.b.pop_back();
    check_refused(dir, r, {"dataset '/b' has 17 entries", "18×18"});
  }
  SECTION("indptr: wrong length, not monotone") {
    RawFile r = ok;
    r.indptr.pop_back();
    check_refused(dir, r, {"dataset '/A/indptr' has 18 entries", "needs 19"});
    r = ok;
    std::swap(r.indptr[3], r.indptr[4]);
    check_refused(dir, r, {"dataset '/A/indptr' is not monotone"});
  }
  SECTION("column index out of range") {
    RawFile r = ok;
    r.indices[5] = n;
    check_refused(dir, r, {"dataset '/A/indices'", "out of range"});
    r.indices[5] = -1;
    check_refused(dir, r, {"dataset '/A/indices'", "out of range"});
  }
  SECTION("NaN and Inf") {
    RawFile r = ok;
    r.data[4] = std::nan("");
    check_refused(dir, r, {"dataset '/A/data'", "non-finite"});
    r = ok;
    r.b[2] = HUGE_VAL;
    check_refused(dir, r, {"dataset '/b'", "non-finite"});
  }
  SECTION("not symmetric") {
    RawFile r = ok;
    // Cell 4's coupling to cell 5 stronger than 5's to 4.
    r.data[find_entry(r, 4, 5)] = -1.5;
    check_refused(dir, r, {"'/A'", "not symmetric", "DCDM needs an SPD matrix", "row 4, column 5"});
  }
  SECTION("non-positive diagonal") {
    RawFile r = ok;
    r.data[find_entry(r, 8, 8)] = -3.0;
    check_refused(dir, r, {"'/A'", "not SPD", "row 8"});
  }
  SECTION("cell types and grid size that do not match A") {
    RawFile r = ok;
    r.cell_type.resize(12);
    r.cell_shape = {12};
    r.grid_size.clear();
    check_refused(dir, r, {"dataset '/cell_type' has 12 cells", "18 rows"});
    r = ok;
    r.grid_size = {3, 3, 3};
    check_refused(dir, r, {"attribute 'grid_size'", "27 cells", "18 rows"});
    r = ok;
    r.grid_size = {2, 3, 3};  // the right count, another shape than /cell_type's
    check_refused(dir, r, {"dataset '/cell_type' has shape [2, 3, 3]", "grid_size"});
    r = ok;
    r.cell_type[3] = 2;
    check_refused(dir, r, {"dataset '/cell_type' holds 2", "0 (fluid) or 1 (solid)"});
  }
  SECTION("an unknown null space") {
    RawFile r = ok;
    r.null_space = "linear";
    check_refused(dir, r, {"attribute 'null_space'", "'linear'"});
  }
}

TEST_CASE("poisson files: a singular system needs a declared null space", "[poisson]") {
  TempDir dir;
  GridProblem neumann;
  neumann.cells = {4, 4, 4};
  neumann.walls = all_walls(Wall::zero_flux);
  // A hollow cube of solids [2, 6)³ minus [3, 5)³ in 8³ cells: an 8-cell pocket inside.
  GridProblem shell;
  shell.cells = {8, 8, 8};
  for (std::size_t a = 0; a < 3; ++a)
    for (double side : {2.0, 5.0}) {
      Box b{{2, 2, 2}, {6, 6, 6}, Units::cells};
      b.lo[a] = side;
      b.hi[a] = side + 1;
      shell.boxes.push_back(b);
    }
  GridProblem shell_neumann = shell;
  shell_neumann.walls = all_walls(Wall::zero_flux);

  const std::string fix = "without a declared null space: add attribute null_space = 'constant' or fix the matrix";
  check_refused(dir, raw_from(build_poisson_problem(neumann)),
                {"singular system (a constant null space on 64 cells", fix});
  check_refused(dir, raw_from(build_poisson_problem(shell)), {"on 8 cells, in 1 component", fix});
  check_refused(dir, raw_from(build_poisson_problem(shell_neumann)), {"on 456 cells, in 2 component", fix});

  for (const std::string declared : {"constant", "constant on the fluid cells"}) {
    RawFile r = raw_from(build_poisson_problem(shell_neumann));
    r.null_space = declared;
    write_raw(dir / "declared.h5", r);
    const PoissonSystem s = read_poisson_system(dir / "declared.h5");
    CHECK(s.null_space == NullSpace::constant);
    REQUIRE(s.null_components.size() == 2);
    CHECK(s.null_components[0].size() == 448);
    CHECK(s.null_components[1].size() == 8);
    std::vector<double> b = s.rhs;
    b[100] += 1.0;  // inconsistent now
    project_out_null_space(s, b);
    for (const auto& component : s.null_components) {
      double sum = 0;
      for (auto c : component) sum += b[static_cast<std::size_t>(c)];
      CHECK(std::abs(sum) < 1e-12);
    }
  }
  // A definite system may say "none" explicitly.
  RawFile r = valid_raw();
  r.null_space = "none";
  write_raw(dir / "none.h5", r);
  CHECK(read_poisson_system(dir / "none.h5").null_space == NullSpace::none);
}
