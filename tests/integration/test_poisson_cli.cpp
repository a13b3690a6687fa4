// anneal poisson problem | dataset | train | solve on real files: DCDM and PETSc's methods write the
// documented layout, the solutions agree with a direct factorisation (MUMPS through PETSc), the
// -dcdm_model route equals --model, non-convergence is written and reported, and bad input gets
// one-line errors that leave no output.
#include <catch2/catch.hpp>

#include <cmath>

#include "io/hdf5_file.hpp"
#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::test::require_ok;
using anneal::test::run_anneal;
using anneal::test::TempDir;
using Catch::Matchers::Contains;

namespace {

std::string p(const TempDir& dir, const char* name) { return (dir / name).string(); }

std::vector<double> read_x(const TempDir& dir, const char* name) {
  return anneal::io::H5File::open_read(dir / name).read<double>("/x").data;
}

template <class T>
T attribute(const TempDir& dir, const char* name, const char* attr) {
  return std::get<T>(anneal::io::H5File::open_read(dir / name).attribute("/", attr));
}

// max |a − b| / max |b|
double relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double diff = 0, size = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::abs(a[i] - b[i]));
    size = std::max(size, std::abs(b[i]));
  }
  return diff / size;
}

// A small system, its training set and a small trained model, shared by the cases below.
struct Trained {
  TempDir dir;
  Trained() {
    require_ok(run_anneal({"poisson", "problem", "--cells", "8,8,6", "--walls", "neumann", "--sphere", "0.5,0.5,0.4,0.2",
                           "-o", p(dir, "system.h5")}));
    require_ok(run_anneal({"poisson", "dataset", "--system", p(dir, "system.h5"), "-o", p(dir, "data.h5"),
                           "--lanczos-steps", "100", "--vectors", "200", "--quiet"}));
    require_ok(run_anneal({"poisson", "train", "--system", p(dir, "system.h5"), "--data", p(dir, "data.h5"), "-o",
                           p(dir, "model.h5"), "--epochs", "20", "--channels", "4", "--coarse-units", "1", "--post-units",
                           "1", "--learning-rate", "1e-2", "--quiet"}));
  }
};

}  // namespace

TEST_CASE("poisson: DCDM and PETSc's methods solve a singular obstacle system to the direct solution",
          "[cli][poisson]") {
  Trained t;
  const auto& dir = t.dir;
  require_ok(run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "-o", p(dir, "direct.h5"), "--no-plot",
                         "--", "-ksp_type", "preonly", "-pc_type", "lu", "-pc_factor_mat_solver_type", "mumps",
                         "-mat_mumps_icntl_24", "1"}));
  const auto dcdm = run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "--model", p(dir, "model.h5"), "-o",
                                p(dir, "dcdm.h5"), "--rtol", "1e-10", "--no-plot"});
  require_ok(dcdm);
  CHECK_THAT(dcdm.out, Contains("dcdm"));
  require_ok(run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "-o", p(dir, "icc.h5"), "--rtol", "1e-10",
                         "--no-plot", "--", "-ksp_type", "cg", "-pc_type", "icc"}));
  require_ok(run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "-o", p(dir, "cg.h5"), "--rtol", "1e-10",
                         "--no-plot", "--", "-ksp_type", "cg", "-pc_type", "none"}));
  // Even this small, briefly trained network beats unpreconditioned CG (about 24 against 60).
  CHECK(attribute<std::int64_t>(dir, "dcdm.h5", "iterations") < attribute<std::int64_t>(dir, "cg.h5", "iterations"));

  const auto direct = read_x(dir, "direct.h5");
  CHECK(relative_difference(read_x(dir, "dcdm.h5"), direct) < 1e-7);
  CHECK(relative_difference(read_x(dir, "icc.h5"), direct) < 1e-7);

  const auto out = anneal::io::H5File::open_read(dir / "dcdm.h5");
  const auto history = out.read<double>("/history/residual").data;
  const auto iterations = std::get<std::int64_t>(out.attribute("/", "iterations"));
  CHECK(static_cast<std::int64_t>(history.size()) == iterations + 1);
  CHECK(history.front() == Approx(1.0));
  CHECK(history.back() <= 1e-10);
  CHECK(std::get<double>(out.attribute("/", "relative_residual")) <= 2e-10);
  CHECK(std::get<std::int64_t>(out.attribute("/", "converged")) == 1);
  CHECK(std::get<std::string>(out.attribute("/", "method")) == "dcdm");
  CHECK(std::get<std::string>(out.attribute("/", "norm")) == "UNPRECONDITIONED");
  CHECK(attribute<std::string>(dir, "icc.h5", "method") == "cg + icc");
  for (const char* name : {"/grid/x", "/grid/y", "/grid/z", "/fields/x", "/fields/cell_type", "/meta"}) CHECK(out.exists(name));
  CHECK(std::filesystem::exists(dir / "dcdm.xmf"));
}

TEST_CASE("poisson: -ksp_type dcdm -dcdm_model FILE is the same solver as --model", "[cli][poisson]") {
  Trained t;
  const auto& dir = t.dir;
  require_ok(run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "--model", p(dir, "model.h5"), "-o",
                         p(dir, "a.h5"), "--no-plot"}));
  require_ok(run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "-o", p(dir, "b.h5"), "--no-plot", "--",
                         "-ksp_type", "dcdm", "-pc_type", "none", "-dcdm_model", p(dir, "model.h5")}));
  CHECK(attribute<std::int64_t>(dir, "a.h5", "iterations") == attribute<std::int64_t>(dir, "b.h5", "iterations"));
  CHECK(relative_difference(read_x(dir, "b.h5"), read_x(dir, "a.h5")) < 1e-12);
}

TEST_CASE("poisson: a solve that runs out of iterations is written with converged = 0 and fails the command",
          "[cli][poisson]") {
  Trained t;
  const auto& dir = t.dir;
  const auto r = run_anneal({"poisson", "solve", "--system", p(dir, "system.h5"), "--model", p(dir, "model.h5"), "-o",
                             p(dir, "short.h5"), "--max-iterations", "2", "--no-plot"});
  CHECK(anneal::test::is_one_line_error(r));
  CHECK_THAT(r.err, Contains("did not converge"));
  CHECK(attribute<std::int64_t>(dir, "short.h5", "converged") == 0);
  CHECK(attribute<std::string>(dir, "short.h5", "reason") == "DIVERGED_ITS");
}

TEST_CASE("poisson: bad systems and mismatched models get one-line errors and leave no output", "[cli][poisson]") {
  TempDir dir;
  // A non-symmetric matrix (not SPD) and a singular one without a declared null space.
  {
    auto f = anneal::io::H5File::create(dir / "nonsym.h5");
    f.write<std::int64_t>("/A/indptr", std::vector<std::int64_t>{0, 2, 4}, {3});
    f.write<std::int64_t>("/A/indices", std::vector<std::int64_t>{0, 1, 0, 1}, {4});
    f.write<double>("/A/data", std::vector<double>{2.0, -1.0, -0.5, 2.0}, {4});
    f.set_attribute("/A", "shape", std::vector<std::int64_t>{2, 2});
    f.write<double>("/b", std::vector<double>{1.0, 1.0}, {2});
  }
  {
    auto f = anneal::io::H5File::create(dir / "singular.h5");
    f.write<std::int64_t>("/A/indptr", std::vector<std::int64_t>{0, 2, 4}, {3});
    f.write<std::int64_t>("/A/indices", std::vector<std::int64_t>{0, 1, 0, 1}, {4});
    f.write<double>("/A/data", std::vector<double>{1.0, -1.0, -1.0, 1.0}, {4});
    f.set_attribute("/A", "shape", std::vector<std::int64_t>{2, 2});
    f.write<double>("/b", std::vector<double>{1.0, -1.0}, {2});
  }
  const auto nonsym = run_anneal({"poisson", "solve", "--system", p(dir, "nonsym.h5"), "-o", p(dir, "x.h5"), "--no-plot"});
  CHECK(anneal::test::is_one_line_error(nonsym));
  CHECK_THAT(nonsym.err, Contains("not symmetric"));
  const auto singular = run_anneal({"poisson", "solve", "--system", p(dir, "singular.h5"), "-o", p(dir, "x.h5"), "--no-plot"});
  CHECK(anneal::test::is_one_line_error(singular));
  CHECK_THAT(singular.err, Contains("null space"));

  // A model that takes the cell-type image, on a system without one.
  require_ok(run_anneal({"poisson", "problem", "--cells", "8", "--walls", "dirichlet", "--box", "0,0,0,0.3,0.3,0.3", "-o",
                         p(dir, "obstacle.h5")}));
  require_ok(run_anneal({"poisson", "dataset", "--system", p(dir, "obstacle.h5"), "-o", p(dir, "data.h5"),
                         "--lanczos-steps", "30", "--vectors", "20", "--quiet"}));
  require_ok(run_anneal({"poisson", "train", "--system", p(dir, "obstacle.h5"), "--data", p(dir, "data.h5"), "-o",
                         p(dir, "two.h5"), "--input", "cell-type", "--epochs", "1", "--channels", "2", "--quiet"}));
  {
    auto src = anneal::io::H5File::open_read(dir / "obstacle.h5");
    auto f = anneal::io::H5File::create(dir / "no_types.h5");
    f.write<std::int64_t>("/A/indptr", src.read<std::int64_t>("/A/indptr").data, {513});
    const auto indices = src.read<std::int64_t>("/A/indices").data;
    f.write<std::int64_t>("/A/indices", indices, {indices.size()});
    f.write<double>("/A/data", src.read<double>("/A/data").data, {indices.size()});
    f.set_attribute("/A", "shape", std::vector<std::int64_t>{512, 512});
    f.write<double>("/b", src.read<double>("/b").data, {512});
    f.set_attribute("/", "grid_size", std::vector<std::int64_t>{8, 8, 8});
  }
  const auto mismatch = run_anneal({"poisson", "solve", "--system", p(dir, "no_types.h5"), "--model", p(dir, "two.h5"),
                                    "-o", p(dir, "x.h5"), "--no-plot"});
  CHECK(anneal::test::is_one_line_error(mismatch));
  CHECK_THAT(mismatch.err, Contains("cell-type"));
  const auto names = anneal::test::names_in(dir.path());
  CHECK(std::find(names.begin(), names.end(), "x.h5") == names.end());
  CHECK(std::find(names.begin(), names.end(), "x.h5.tmp") == names.end());
}
