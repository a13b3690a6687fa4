// anneal demo: a small end-to-end run of every module that exists. Now: the 3-D Taylor–Green
// vortex, its vorticity by finite differences checked against the exact one, written to HDF5 +
// XDMF (ParaView) + a PNG slice. Runs the same on one rank or many (z-slabs, one file).
#include <cmath>
#include <filesystem>

#include "apps/command.hpp"
#include "apps/python_render.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "core/timer.hpp"
#include "io/grid_output.hpp"
#include "physics/flow/taylor_green.hpp"
#include "physics/flow/vorticity.hpp"

namespace anneal::apps {
namespace {

struct DemoOptions {
  CommonOptions common;
  std::string output_dir = "anneal-demo";
  std::size_t size = 64;
  bool no_png = false;
};

void run_taylor_green(const DemoOptions& options, const CommandScope& scope) {
  namespace flow = physics::flow;
  const std::size_t n = options.size;
  const double two_pi = 2 * std::acos(-1.0);
  io::RectilinearGrid grid;
  grid.x = grid.y = grid.z = io::periodic_axis(0.0, two_pi, n);
  grid.units = "m";

  const BlockRange mine = block_range(n, mpi::size(), mpi::rank());
  const auto window = flow::vorticity_input_window(n, true, mine.begin, mine.end);
  const std::size_t plane = n * n * 3;

  Stopwatch watch;
  std::vector<double> velocity(window.count * plane);
  flow::sample_taylor_green(grid, window.first, window.count, velocity);
  std::vector<double> vorticity(mine.size() * plane);
  flow::compute_vorticity(grid, {true, true, true}, window, velocity, mine.begin, mine.end, vorticity);

  // How far the 4th-order differences are from the exact vorticity (the demo checks itself).
  double error = 0, peak = 0;
  for (std::size_t k = mine.begin; k < mine.end; ++k)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i) {
        const auto exact = flow::taylor_green_vorticity(grid.x[i], grid.y[j], grid.z[k]);
        const double* w = &vorticity[(((k - mine.begin) * n + j) * n + i) * 3];
        for (int c = 0; c < 3; ++c) {
          error = std::max(error, std::abs(w[c] - exact[static_cast<std::size_t>(c)]));
          peak = std::max(peak, std::abs(exact[static_cast<std::size_t>(c)]));
        }
      }
  error = mpi::max_over_ranks(error);
  peak = mpi::max_over_ranks(peak);
  log::info("Taylor-Green {}^3: vorticity max error {:.3e} ({:.2e} of its peak) in {:.2f} s", n, error, error / peak,
            watch.seconds());

  const std::filesystem::path h5 = std::filesystem::path(options.output_dir) / "taylor_green.h5";
  io::GridOutput out(h5, grid, scope.provenance());
  // The slab of velocity this rank owns starts kVorticityHalo planes into its window.
  const std::size_t skip = static_cast<std::size_t>(static_cast<long>(mine.begin) - window.first) * plane;
  out.write_field<double>("velocity", std::span<const double>(velocity).subspan(skip, mine.size() * plane), 3,
                          mine.begin, "m/s");
  out.write_field<double>("vorticity", vorticity, 3, mine.begin, "1/s");
  const auto xmf = out.commit();
  log::info("wrote {} and {}", h5.string(), xmf.string());

  if (!options.no_png && mpi::rank() == 0) {
    const auto png = std::filesystem::path(options.output_dir) / "taylor_green_vorticity_z.png";
    if (render_png(h5, "vorticity", png, {"--component", "2", "--axis", "z", "--index", std::to_string(n / 2)}))
      log::info("wrote {}", png.string());
  }
}

}  // namespace

void register_demo(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand("demo", "Run a small end-to-end example of each module and show where the files are");
  cmd->add_option("-o,--output-dir", options->output_dir, "Directory for the demo's files (created if missing)")
      ->capture_default_str();
  cmd->add_option("--size", options->size, "Grid nodes per axis of the Taylor-Green field")
      ->check(CLI::Range(8, 1024))
      ->capture_default_str();
  cmd->add_flag("--no-png", options->no_png, "Skip the PNG pictures");
  add_common_options(*cmd, options->common);
  cmd->callback([options, cmd] {
    const CommandScope scope(*cmd, options->common);
    if (mpi::rank() == 0) std::filesystem::create_directories(options->output_dir);
    mpi::barrier();
    run_taylor_green(*options, scope);
    log::info("demo finished: open {}/taylor_green.xmf in ParaView, or the .h5 with h5py",
              options->output_dir);
  });
}

}  // namespace anneal::apps
