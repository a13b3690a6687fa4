#include "physics/flow/flow_run.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/progress.hpp"
#include "core/threads.hpp"
#include "core/timer.hpp"
#include "io/grid_output.hpp"
#include "physics/flow/flow_files.hpp"
#include "physics/flow/flow_solver.hpp"

namespace anneal::physics::flow {
namespace {

io::RectilinearGrid cell_centres(const Scene& scene) {
  io::RectilinearGrid grid;
  grid.units = "length";  // the scene's own unit of length (velocity is length/time)
  for (int a = 0; a < scene.dim; ++a) {
    std::vector<double> x;
    for (long i = 0; i < scene.cells[static_cast<std::size_t>(a)]; ++i)
      x.push_back((static_cast<double>(i) + 0.5) * scene.spacing(a));
    (a == 0 ? grid.x : a == 1 ? grid.y : grid.z) = x;
  }
  return grid;
}

io::Shape block_offset(const CellBlock& b, int dim) {
  io::Shape s;
  for (int a = dim - 1; a >= 0; --a) s.push_back(static_cast<std::size_t>(b.offset[static_cast<std::size_t>(a)]));
  return s;
}
io::Shape block_count(const CellBlock& b, int dim) {
  io::Shape s;
  for (int a = dim - 1; a >= 0; --a) s.push_back(static_cast<std::size_t>(b.count[static_cast<std::size_t>(a)]));
  return s;
}

class FieldWriter {
 public:
  FieldWriter(const Scene& scene, const RunOptions& options, const io::Provenance& provenance)
      : dim_(scene.dim), f32_(scene.output_precision == "f32"),
        out_(options.output, cell_centres(scene), provenance, provenance.source_files) {
    const io::DType dtype = f32_ ? io::DType::f32 : io::DType::f64;
    out_.add_series_field("velocity", dtype, static_cast<std::size_t>(dim_), "length/time");
    out_.add_series_field("pressure", dtype, 1, "length^2/time^2 (pressure / density)");
    out_.add_series_field("scalar", dtype, 1, "1");
    out_.add_static_field("solid", io::DType::u8, 1, "1 (1: solid cell)");
    // The turbulence module's input contract: barrier fields need the viscosity (docs/flow.md).
    out_.file().set_attribute("/", "viscosity", scene.viscosity);
    out_.file().set_attribute("/grid/t", "units", std::string("time"));
    out_.file().set_attribute("/", "diffusivity", scene.diffusivity);
  }

  void write_solid(const FlowSolver& solver) {
    const auto solid = solver.solid();
    const CellBlock b = solver.block();
    out_.write_static_block<std::uint8_t>("solid", solid, block_offset(b, dim_), block_count(b, dim_));
  }

  void write_frame(const FlowSolver& solver) {
    out_.begin_frame(solver.time());
    const CellBlock b = solver.block();
    put("velocity", solver.cell_velocity(), b);
    put("pressure", solver.pressure(), b);
    put("scalar", solver.scalar(), b);
    out_.flush();  // a crash leaves a readable .tmp with every frame so far
  }

  std::size_t frames() const { return out_.frames(); }
  std::filesystem::path commit() { return out_.commit(); }

 private:
  void put(const std::string& name, const std::vector<double>& values, const CellBlock& b) {
    if (f32_) {
      const std::vector<float> narrow(values.begin(), values.end());
      out_.write_frame_block<float>(name, narrow, block_offset(b, dim_), block_count(b, dim_));
    } else {
      out_.write_frame_block<double>(name, values, block_offset(b, dim_), block_count(b, dim_));
    }
  }
  int dim_;
  bool f32_;
  io::GridOutput out_;
};

}  // namespace

std::filesystem::path pressure_system_path(const std::filesystem::path& output, long step) {
  return output.parent_path() / fmt::format("{}.pressure_{}.h5", output.stem().string(), step);
}

RunSummary run_flow(const Scene& scene, const RunOptions& options, const io::Provenance& provenance) {
  ANNEAL_CHECK(options.output.extension() == ".h5", "the output must be an .h5 file, got '{}'", options.output.string());
  const Stopwatch wall;
  FlowSolver solver(scene);
  if (!options.restart.empty()) {
    read_checkpoint(options.restart, solver);
    log::info("restarted from '{}' at step {}, t = {:.6g}", options.restart.string(), solver.steps(), solver.time());
  }
  ANNEAL_CHECK(solver.time() < scene.end_time, "the run is already at t = {:.6g}, past time.end = {:.6g}", solver.time(),
               scene.end_time);
  const std::filesystem::path checkpoint =
      options.checkpoint.empty() ? options.output.parent_path() / (options.output.stem().string() + ".checkpoint.h5")
                                 : options.checkpoint;
  // Checked now, not at the first checkpoint an hour into the run: inputs are never overwritten.
  ANNEAL_CHECK(scene.checkpoint_every == 0 || options.restart.empty() ||
                   std::filesystem::weakly_canonical(checkpoint) != std::filesystem::weakly_canonical(options.restart),
               "checkpoints would overwrite the file this run restarts from ('{}'); give --checkpoint another path",
               options.restart.string());
  log::info("flow: {}-D, {} cells, pressure solver {}, output every {} (time.end = {})", scene.dim,
            scene.cells[0] * scene.cells[1] * scene.cells[2], solver.pressure_solver(),
            scene.output_interval > 0 ? fmt::format("{:.6g}", scene.output_interval) : std::string("(end only)"),
            scene.end_time);

  if (mpi::size() == 1 && ThreadLimit::current() > 1 && scene.cells[0] * scene.cells[1] * scene.cells[2] > 100000)
    log::info("flow: the pressure solve uses one core per MPI rank; on {} cores `mpiexec -n {}` is faster "
              "(bench/results/flow.md)", ThreadLimit::current(), ThreadLimit::current());
  FieldWriter writer(scene, options, provenance);
  writer.write_solid(solver);
  writer.write_frame(solver);

  RunSummary summary;
  summary.pressure_solver = solver.pressure_solver();
  const double start = solver.time();
  // Output times are multiples of the interval, so that a restarted run keeps the same grid.
  const auto next_output = [&](double t) {
    if (scene.output_interval <= 0) return scene.end_time;
    const double k = std::floor(t / scene.output_interval + 1e-9) + 1;
    return std::min(k * scene.output_interval, scene.end_time);
  };
  double output_at = next_output(start);
  Progress::Options progress_options;
  progress_options.counts = false;  // progress is simulated time; the figure has the step rate
  Progress progress("flow", 1000, progress_options);
  long poisson_iterations = 0;
  const Stopwatch rate_clock;
  summary.stop_reason = "end time";
  while (true) {
    const StepReport r = solver.step(output_at - solver.time());
    ++summary.steps;
    poisson_iterations += r.poisson_iterations;
    summary.max_divergence = std::max(summary.max_divergence, r.max_divergence);
    const bool at_end = solver.time() >= scene.end_time * (1 - 1e-12);
    const bool steady = scene.steady_tolerance > 0 && r.change_rate < scene.steady_tolerance;
    const bool out_of_steps = scene.max_steps > 0 && solver.steps() >= scene.max_steps;
    if (solver.time() >= output_at * (1 - 1e-12) || at_end || steady || out_of_steps) {
      writer.write_frame(solver);
      output_at = next_output(solver.time());
    }
    if (std::find(scene.pressure_systems.begin(), scene.pressure_systems.end(), solver.steps()) !=
        scene.pressure_systems.end()) {
      const auto path = pressure_system_path(options.output, solver.steps());
      write_pressure_system(path, solver.pressure_system(), provenance);
      summary.systems.push_back(path);
    }
    if (scene.checkpoint_every > 0 && solver.steps() % scene.checkpoint_every == 0)
      write_checkpoint(checkpoint, solver, provenance);
    if (options.progress) {
      const double fraction = (solver.time() - start) / (scene.end_time - start);
      progress.update(static_cast<std::int64_t>(std::lround(1000 * fraction)),
                      fmt::format("t {:.4g}  step {}  {:.1f} steps/s  dt {:.2e}  cfl {:.2f}  ksp {}", solver.time(),
                                  solver.steps(), static_cast<double>(summary.steps) / rate_clock.seconds(), r.dt,
                                  r.cfl, r.poisson_iterations));
    }
    if (at_end) break;
    if (steady) {
      summary.stop_reason = "steady state";
      break;
    }
    if (out_of_steps) {
      summary.stop_reason = "max steps";
      break;
    }
  }
  if (options.progress)
    progress.finish(fmt::format("t {:.4g}, {} steps ({}), {:.1f} steps/s", solver.time(), summary.steps,
                                summary.stop_reason, static_cast<double>(summary.steps) / rate_clock.seconds()));
  if (scene.checkpoint_every > 0) write_checkpoint(checkpoint, solver, provenance);
  summary.frames = writer.frames();
  summary.xmf = writer.commit();
  summary.time = solver.time();
  summary.mean_poisson_iterations = static_cast<double>(poisson_iterations) / (3.0 * static_cast<double>(summary.steps));
  summary.wall_seconds = wall.seconds();
  return summary;
}

}  // namespace anneal::physics::flow
