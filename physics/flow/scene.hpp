#pragma once
// A flow scene: everything `anneal flow run` needs to know, read from a TOML file (the scene file
// is the run's --config) and checked as a whole before any work starts. Units are the user's; the
// solver is dimensionless-agnostic (velocity = length / time, viscosity = length² / time).
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace anneal::physics::flow {

enum class BoundaryKind { wall, slip, inflow, outflow, periodic };
enum class InflowProfile { uniform, parabolic, jet };

// One side of the box (x_min, x_max, y_min, ...).
struct Boundary {
  BoundaryKind kind = BoundaryKind::wall;
  std::array<double, 3> wall_velocity{0, 0, 0};  // a moving wall (lid): its tangential velocity
  // Inflow: normal speed (into the domain), its shape across the face, and the scalar it carries.
  InflowProfile profile = InflowProfile::uniform;
  double speed = 1.0;
  double diameter = 0.0;                // jet: nozzle diameter (2-D: slot width)
  std::array<double, 2> center{0, 0};   // jet: nozzle centre in the face's two tangential coordinates
  double edge = 0.0;                    // jet: tanh shear-layer thickness (0: a sharp top hat)
  double coflow = 0.0;                  // jet: speed outside the nozzle, as a fraction of `speed`
  double scalar = 1.0;                  // scalar of the inflowing fluid (times the profile's shape)
  double noise = 0.0;                   // perturbation amplitude relative to `speed` (inflow_perturbation)
};

enum class ObstacleShape { sphere, box, cylinder };

struct Obstacle {
  ObstacleShape shape = ObstacleShape::sphere;
  std::array<double, 3> center{0, 0, 0};
  double radius = 0;
  std::array<double, 3> min{0, 0, 0}, max{0, 0, 0};  // box
  int axis = 2;                                       // cylinder axis (3-D); 2-D cylinders are disks
};

struct Scene {
  std::string name = "scene";
  int dim = 2;
  std::array<long, 3> cells{1, 1, 1};         // nx, ny, nz (nz = 1 in 2-D)
  std::array<double, 3> size{1.0, 1.0, 1.0};  // domain lengths
  std::array<Boundary, 6> boundary;            // x_min, x_max, y_min, y_max, z_min, z_max

  double viscosity = 0.0;
  double diffusivity = 0.0;                    // of the passive scalar
  std::array<double, 3> buoyancy{0, 0, 0};     // acceleration per unit scalar (smoke rises)

  std::string initial_velocity = "rest";       // "rest" or "taylor_green"
  double initial_amplitude = 1.0;
  double initial_scalar = 0.0;
  std::optional<Obstacle> scalar_blob;         // a sphere of scalar `scalar_blob_value`
  double scalar_blob_value = 1.0;

  double end_time = 1.0;
  double cfl = 0.5;
  double max_dt = 1e30;
  long max_steps = 0;                          // 0: no limit
  double steady_tolerance = 0.0;               // stop when max|Δu|/Δt falls below (0: never)

  double output_interval = 0.0;                // 0: only the final state
  std::string output_precision = "f64";
  std::vector<long> pressure_systems;          // steps whose Poisson systems are written
  long checkpoint_every = 0;                   // steps between checkpoints (0: none)

  double solver_rtol = 1e-10;
  int solver_max_iterations = 2000;

  std::vector<Obstacle> obstacles;
  std::filesystem::path mask_file;             // uint8 solid mask [nz][ny][nx] / [ny][nx]
  std::string mask_dataset = "/mask";
  std::uint64_t seed = 1;

  bool periodic(int axis) const { return boundary[static_cast<std::size_t>(2 * axis)].kind == BoundaryKind::periodic; }
  double spacing(int axis) const {
    const auto a = static_cast<std::size_t>(axis);
    return size[a] / static_cast<double>(cells[a]);
  }
};

// The largest CFL number the time integrator (SSP-RK3) with third-order upwind advection takes.
inline constexpr double max_cfl = 1.0;

// Parses and validates a scene. `source` names the file in errors. A relative mask path is taken
// relative to `base_dir`.
Scene parse_scene(std::string_view toml_text, std::string_view source, const std::filesystem::path& base_dir = {});
Scene read_scene(const std::filesystem::path& path);
// The effective scene, defaults filled in, for /meta/config and the echo at start.
nlohmann::json scene_to_json(const Scene& scene);

const char* boundary_name(int side);  // "x_min", ...

}  // namespace anneal::physics::flow
