// anneal cgs generate | train | eval on real files: the documented layout, metrics that agree with a
// recomputation from the written predictions and targets, and one-line errors for bad input.
#include <catch2/catch.hpp>

#include <cmath>

#include "io/graph_batch.hpp"
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

}  // namespace

TEST_CASE("cgs: generate, train and eval a pore-network model end to end", "[cli][cgs]") {
  TempDir dir;
  require_ok(run_anneal({"cgs", "generate", "--system", "pore", "--graphs", "24", "--nodes", "30:60", "--seed", "1", "-o",
                         p(dir, "train.h5")}));
  require_ok(run_anneal({"cgs", "generate", "--system", "pore", "--graphs", "4", "--nodes", "80", "--seed", "2", "-o",
                         p(dir, "test.h5")}));
  const auto trained = run_anneal({"cgs", "train", "--data", p(dir, "train.h5"), "-o", p(dir, "model.h5"), "--epochs",
                                   "3", "--hidden", "8", "--heads", "2", "--quiet"});
  require_ok(trained);
  CHECK_THAT(trained.out, Contains("validation MSE"));
  const auto evaluated = run_anneal({"cgs", "eval", "--model", p(dir, "model.h5"), "--data", p(dir, "test.h5"), "-o",
                                     p(dir, "eval.h5"), "--no-plot"});
  require_ok(evaluated);

  const auto model = anneal::io::H5File::open_read(dir / "model.h5");
  for (const char* name : {"/architecture/target_mean", "/history/train_loss", "/history/validation_mse", "/meta"})
    CHECK(model.exists(name));

  const auto out = anneal::io::H5File::open_read(dir / "eval.h5");
  const anneal::io::GraphBatch batch = anneal::io::read_graph_batch(out);  // the input batch, valid as written
  CHECK(batch.num_graphs() == 4);
  const auto predictions = out.read<double>("/predictions");
  REQUIRE(predictions.shape == anneal::io::Shape{static_cast<std::size_t>(batch.num_nodes()), 1});
  double mse = 0;
  for (std::size_t i = 0; i < batch.targets.size(); ++i)
    mse += std::pow(predictions.data[i] - batch.targets[i], 2) / static_cast<double>(batch.targets.size());
  CHECK(std::get<double>(out.attribute("/", "mse")) == Approx(mse).epsilon(1e-12));
  CHECK(std::get<std::int64_t>(out.attribute("/", "converged")) == 1);
  CHECK(out.exists("/positions"));
  CHECK(out.exists("/graph_mse"));
}

TEST_CASE("cgs eval on MDPs reports the policy accuracy", "[cli][cgs]") {
  TempDir dir;
  require_ok(run_anneal({"cgs", "generate", "--system", "mdp", "--graphs", "12", "--seed", "3", "-o", p(dir, "mdp.h5")}));
  require_ok(run_anneal({"cgs", "train", "--data", p(dir, "mdp.h5"), "-o", p(dir, "model.h5"), "--epochs", "2",
                         "--hidden", "8", "--heads", "2", "--quiet"}));
  const auto r = run_anneal({"cgs", "eval", "--model", p(dir, "model.h5"), "--data", p(dir, "mdp.h5"), "-o",
                             p(dir, "eval.h5"), "--no-plot"});
  require_ok(r);
  CHECK_THAT(r.out, Contains("policy accuracy"));
  const auto out = anneal::io::H5File::open_read(dir / "eval.h5");
  const double accuracy = std::get<double>(out.attribute("/", "policy_accuracy"));
  CHECK(accuracy >= 0.0);
  CHECK(accuracy <= 1.0);
  // Recomputed here from the file: a state's greedy edge maximises reward + 0.9 V̂(src) over the
  // edges into it (edge (src = s', dst = s)); count the states where it is the stored optimal edge.
  const anneal::io::GraphBatch batch = anneal::io::read_graph_batch(out);
  const auto values = out.read<double>("/predictions").data;
  const auto policy = out.read<std::int64_t>("/policy").data;
  std::int64_t right = 0;
  for (std::int64_t g = 0; g < batch.num_graphs(); ++g) {
    const std::int64_t n0 = batch.node_offsets[g], e0 = batch.edge_offsets[g];
    for (std::int64_t s = 0; s < batch.graph_nodes(g); ++s) {
      std::int64_t best = -1;
      double best_q = 0;
      for (std::int64_t e = e0; e < batch.edge_offsets[g + 1]; ++e) {
        if (batch.edge_index[2 * e + 1] != s) continue;
        const double q = batch.edge_features[e] + 0.9 * values[n0 + batch.edge_index[2 * e]];  // one edge feature: reward
        if (best < 0 || q > best_q) best = e - e0, best_q = q;
      }
      right += best == policy[n0 + s] ? 1 : 0;
    }
  }
  REQUIRE(batch.edge_feature_names == std::vector<std::string>{"reward"});
  CHECK(accuracy == Approx(static_cast<double>(right) / static_cast<double>(batch.num_nodes())).epsilon(1e-12));
}

TEST_CASE("cgs: bad input is one error line and no output", "[cli][cgs]") {
  TempDir dir;
  require_ok(run_anneal({"cgs", "generate", "--system", "pore", "--graphs", "6", "--nodes", "30", "-o", p(dir, "pore.h5")}));
  require_ok(run_anneal({"cgs", "generate", "--system", "heat", "--graphs", "3", "--nodes", "30", "-o", p(dir, "heat.h5")}));

  // Unknown system, inverted node range.
  auto r = run_anneal({"cgs", "generate", "--system", "lattice", "-o", p(dir, "x.h5")});
  CHECK(anneal::test::is_one_line_error(r));
  r = run_anneal({"cgs", "generate", "--nodes", "90:30", "-o", p(dir, "x.h5")});
  CHECK(anneal::test::is_one_line_error(r));
  CHECK(!std::filesystem::exists(dir / "x.h5"));

  // A model applied to graphs with other features.
  require_ok(run_anneal({"cgs", "train", "--data", p(dir, "pore.h5"), "-o", p(dir, "model.h5"), "--epochs", "1",
                         "--hidden", "4", "--heads", "1", "--quiet"}));
  r = run_anneal({"cgs", "eval", "--model", p(dir, "model.h5"), "--data", p(dir, "heat.h5"), "-o", p(dir, "e.h5")});
  CHECK(anneal::test::is_one_line_error(r));
  CHECK_THAT(r.err, Contains("trained on"));
  CHECK(!std::filesystem::exists(dir / "e.h5"));

  // A data file with a NaN feature; a file that is not a model.
  {
    const auto heat = anneal::io::H5File::open_read(dir / "heat.h5");
    auto f = anneal::io::H5File::create(dir / "nan.h5");
    for (const char* name : {"/node_offsets", "/edge_offsets", "/edge_index"}) {
      const auto a = heat.read<std::int64_t>(name);
      f.write<std::int64_t>(name, a.data, a.shape);
    }
    for (const char* name : {"/node_features", "/edge_features", "/targets"}) {
      auto a = heat.read<double>(name);
      if (std::string(name) == "/node_features") a.data[3] = std::nan("");
      f.write<double>(name, a.data, a.shape);
    }
    f.close();
  }
  r = run_anneal({"cgs", "train", "--data", p(dir, "nan.h5"), "-o", p(dir, "m2.h5"), "--epochs", "1"});
  CHECK(anneal::test::is_one_line_error(r));
  CHECK_THAT(r.err, Contains("NaN"));
  CHECK(!std::filesystem::exists(dir / "m2.h5"));
  r = run_anneal({"cgs", "eval", "--model", p(dir, "pore.h5"), "--data", p(dir, "pore.h5"), "-o", p(dir, "e.h5")});
  CHECK(anneal::test::is_one_line_error(r));
  CHECK_THAT(r.err, Contains("not a model"));

  // The output may not overwrite an input.
  r = run_anneal({"cgs", "train", "--data", p(dir, "pore.h5"), "-o", p(dir, "pore.h5"), "--epochs", "1"});
  CHECK(anneal::test::is_one_line_error(r));
  CHECK(anneal::io::H5File::open_read(dir / "pore.h5").exists("/node_features"));
}
