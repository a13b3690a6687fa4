#include "physics/flow/scene.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/toml_table.hpp"

namespace anneal::physics::flow {
namespace {

constexpr const char* side_names[6] = {"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"};

std::array<double, 3> vec3(const std::vector<double>& v, double fill = 0.0) {
  std::array<double, 3> out{fill, fill, fill};
  for (std::size_t i = 0; i < v.size() && i < 3; ++i) out[i] = v[i];
  return out;
}

BoundaryKind boundary_kind(const std::string& name, const std::string& where, const std::string& source) {
  if (name == "wall") return BoundaryKind::wall;
  if (name == "slip") return BoundaryKind::slip;
  if (name == "inflow") return BoundaryKind::inflow;
  if (name == "outflow") return BoundaryKind::outflow;
  if (name == "periodic") return BoundaryKind::periodic;
  ANNEAL_THROW("{}: {} = '{}' is not a boundary type (wall, slip, inflow, outflow, periodic)", source, where, name);
}

Boundary read_boundary(const toml::node* node, int side, int dim, const std::string& source) {
  Boundary b;
  const std::string where = std::string("boundary.") + side_names[side];
  if (!node) return b;
  if (const auto name = node->value<std::string>()) {
    b.kind = boundary_kind(*name, where, source);
    return b;
  }
  ANNEAL_CHECK(node->is_table(), "{}: {} must be a type name or a table {{ type = ... }}", source, where);
  TableReader t(node->as_table(), where, source);
  b.kind = boundary_kind(t.text("type", "wall"), where + ".type", source);
  const auto wall_velocity = t.numbers("velocity", static_cast<std::size_t>(dim), static_cast<std::size_t>(dim));
  if (!wall_velocity.empty()) {
    ANNEAL_CHECK(b.kind == BoundaryKind::wall, "{}: {}.velocity (a moving wall) needs type = 'wall'", source, where);
    b.wall_velocity = vec3(wall_velocity);
    ANNEAL_CHECK(b.wall_velocity[static_cast<std::size_t>(side / 2)] == 0.0,
                 "{}: {}.velocity must be tangential to the wall (its {} component must be 0)", source, where,
                 "xyz"[side / 2]);
  }
  if (b.kind == BoundaryKind::inflow) {
    const std::string profile = t.text("profile", "uniform");
    if (profile == "uniform") b.profile = InflowProfile::uniform;
    else if (profile == "parabolic") b.profile = InflowProfile::parabolic;
    else if (profile == "jet") b.profile = InflowProfile::jet;
    else ANNEAL_THROW("{}: {}.profile = '{}' is not one of uniform, parabolic, jet", source, where, profile);
    b.speed = t.number("speed", 1.0);
    ANNEAL_CHECK(b.speed > 0, "{}: {}.speed must be positive (it flows into the domain), got {}", source, where, b.speed);
    b.diameter = t.number("diameter", 0.0);
    const auto center = t.numbers("center", static_cast<std::size_t>(dim - 1), static_cast<std::size_t>(dim - 1));
    for (std::size_t i = 0; i < center.size(); ++i) b.center[i] = center[i];
    b.edge = t.number("edge", 0.0);
    b.coflow = t.number("coflow", 0.0);
    ANNEAL_CHECK(b.coflow >= 0 && b.coflow < 1, "{}: {}.coflow must be in [0, 1), got {}", source, where, b.coflow);
    b.scalar = t.number("scalar", 1.0);
    b.noise = t.number("noise", 0.0);
    ANNEAL_CHECK(b.edge >= 0 && b.noise >= 0, "{}: {}.edge and .noise must be ≥ 0", source, where);
    if (b.profile == InflowProfile::jet) {
      ANNEAL_CHECK(b.diameter > 0, "{}: {} has profile = 'jet' but no positive diameter", source, where);
      ANNEAL_CHECK(!center.empty(), "{}: {} has profile = 'jet' but no center", source, where);
    }
  }
  t.finish();
  return b;
}

Obstacle read_obstacle(const toml::table& table, const std::string& where, int dim, const std::string& source) {
  TableReader t(&table, where, source);
  Obstacle o;
  const std::string shape = t.text("shape", "");
  const auto d = static_cast<std::size_t>(dim);
  if (shape == "sphere" || shape == "cylinder") {
    o.shape = shape == "sphere" ? ObstacleShape::sphere : ObstacleShape::cylinder;
    const auto center = t.numbers("center", d, d);
    ANNEAL_CHECK(!center.empty(), "{}: {} needs center = [{} numbers]", source, where, dim);
    o.center = vec3(center);
    o.radius = t.number("radius", 0.0);
    ANNEAL_CHECK(o.radius > 0, "{}: {} needs a positive radius", source, where);
    const std::string axis = t.text("axis", "z");
    ANNEAL_CHECK(axis == "x" || axis == "y" || axis == "z", "{}: {}.axis must be x, y or z", source, where);
    o.axis = axis[0] - 'x';
  } else if (shape == "box") {
    o.shape = ObstacleShape::box;
    const auto lo = t.numbers("min", d, d), hi = t.numbers("max", d, d);
    ANNEAL_CHECK(!lo.empty() && !hi.empty(), "{}: {} needs min and max = [{} numbers]", source, where, dim);
    o.min = vec3(lo, -1e300);
    o.max = vec3(hi, 1e300);
    for (std::size_t i = 0; i < d; ++i)
      ANNEAL_CHECK(o.min[i] < o.max[i], "{}: {}: min must be below max on every axis", source, where);
  } else {
    ANNEAL_THROW("{}: {}.shape = '{}' is not one of sphere, box, cylinder", source, where, shape);
  }
  t.finish();
  return o;
}

void validate(Scene& s, const std::string& source) {
  for (int axis = 0; axis < s.dim; ++axis) {
    const auto& lo = s.boundary[static_cast<std::size_t>(2 * axis)];
    const auto& hi = s.boundary[static_cast<std::size_t>(2 * axis + 1)];
    ANNEAL_CHECK((lo.kind == BoundaryKind::periodic) == (hi.kind == BoundaryKind::periodic),
                 "{}: boundary.{} and boundary.{} must both be periodic or neither", source, side_names[2 * axis],
                 side_names[2 * axis + 1]);
  }
  bool inflow = false, outflow = false;
  for (int side = 0; side < 2 * s.dim; ++side) {
    inflow |= s.boundary[static_cast<std::size_t>(side)].kind == BoundaryKind::inflow;
    outflow |= s.boundary[static_cast<std::size_t>(side)].kind == BoundaryKind::outflow;
  }
  ANNEAL_CHECK(!inflow || outflow,
               "{}: an inflow boundary needs an outflow boundary somewhere, or the fluid has nowhere to go", source);
  ANNEAL_CHECK(s.viscosity >= 0, "{}: fluid.viscosity must be ≥ 0, got {}", source, s.viscosity);
  ANNEAL_CHECK(s.diffusivity >= 0, "{}: fluid.diffusivity must be ≥ 0, got {}", source, s.diffusivity);
  ANNEAL_CHECK(s.cfl > 0 && s.cfl <= max_cfl,
               "{}: time.cfl = {} is impossible: the RK3 + third-order upwind scheme is stable for 0 < cfl ≤ {}",
               source, s.cfl, max_cfl);
  ANNEAL_CHECK(s.max_dt > 0, "{}: time.max_dt must be positive", source);
  ANNEAL_CHECK(s.end_time > 0, "{}: time.end must be positive", source);
  ANNEAL_CHECK(s.output_interval >= 0, "{}: output.interval must be ≥ 0", source);
  ANNEAL_CHECK(s.output_precision == "f32" || s.output_precision == "f64", "{}: output.precision must be f32 or f64",
               source);
  ANNEAL_CHECK(s.solver_rtol > 0 && s.solver_rtol < 1, "{}: solver.rtol must be in (0, 1)", source);
  ANNEAL_CHECK(s.solver_max_iterations > 0, "{}: solver.max_iterations must be positive", source);
  ANNEAL_CHECK(s.initial_velocity == "rest" || s.initial_velocity == "taylor_green",
               "{}: initial.velocity = '{}' is not one of rest, taylor_green", source, s.initial_velocity);
  for (long step : s.pressure_systems)
    ANNEAL_CHECK(step >= 1, "{}: output.pressure_systems lists step {}; steps count from 1", source, step);
}

}  // namespace

const char* boundary_name(int side) { return side_names[side]; }

Scene parse_scene(std::string_view toml_text, std::string_view source_view, const std::filesystem::path& base_dir) {
  const std::string source(source_view);
  const toml::table root = parse_toml(toml_text, source);
  Scene s;
  TableReader top(&root, "", source,
                  "tables: domain, boundary, fluid, initial, time, output, solver, obstacle, mask");
  s.name = top.text("name", "scene");
  s.seed = static_cast<std::uint64_t>(top.integer("seed", 1));

  TableReader domain(subtable(root, "domain", source), "domain", source);
  top.node("domain");
  const auto cells = domain.numbers("cells", 2, 3);
  ANNEAL_CHECK(!cells.empty(), "{}: domain.cells = [nx, ny] or [nx, ny, nz] is required", source);
  s.dim = static_cast<int>(cells.size());
  for (std::size_t a = 0; a < cells.size(); ++a) {
    ANNEAL_CHECK(cells[a] >= 2 && cells[a] == std::floor(cells[a]) && cells[a] < 1e5,
                 "{}: domain.cells must be whole numbers ≥ 2, got {}", source, cells[a]);
    s.cells[a] = static_cast<long>(cells[a]);
  }
  const auto size = domain.numbers("size", cells.size(), cells.size());
  for (std::size_t a = 0; a < size.size(); ++a) {
    ANNEAL_CHECK(size[a] > 0, "{}: domain.size must be positive", source);
    s.size[a] = size[a];
  }
  domain.finish();

  TableReader boundary(subtable(root, "boundary", source), "boundary", source);
  top.node("boundary");
  for (int side = 0; side < 2 * s.dim; ++side)
    s.boundary[static_cast<std::size_t>(side)] = read_boundary(boundary.node(side_names[side]), side, s.dim, source);
  boundary.finish();

  TableReader fluid(subtable(root, "fluid", source), "fluid", source);
  top.node("fluid");
  s.viscosity = fluid.number("viscosity", 0.0);
  s.diffusivity = fluid.number("diffusivity", 0.0);
  s.buoyancy = vec3(fluid.numbers("buoyancy", static_cast<std::size_t>(s.dim), static_cast<std::size_t>(s.dim)));
  fluid.finish();

  TableReader initial(subtable(root, "initial", source), "initial", source);
  top.node("initial");
  s.initial_velocity = initial.text("velocity", "rest");
  s.initial_amplitude = initial.number("amplitude", 1.0);
  s.initial_scalar = initial.number("scalar", 0.0);
  if (const toml::node* blob = initial.node("scalar_blob")) {
    ANNEAL_CHECK(blob->is_table(), "{}: initial.scalar_blob must be a table {{ center, radius, value }}", source);
    TableReader b(blob->as_table(), "initial.scalar_blob", source);
    Obstacle sphere;
    sphere.center = vec3(b.numbers("center", static_cast<std::size_t>(s.dim), static_cast<std::size_t>(s.dim)));
    sphere.radius = b.number("radius", 0.0);
    ANNEAL_CHECK(sphere.radius > 0, "{}: initial.scalar_blob needs a positive radius", source);
    s.scalar_blob_value = b.number("value", 1.0);
    b.finish();
    s.scalar_blob = sphere;
  }
  initial.finish();

  TableReader time(subtable(root, "time", source), "time", source);
  top.node("time");
  s.end_time = time.number("end", 1.0);
  s.cfl = time.number("cfl", 0.5);
  s.max_dt = time.number("max_dt", 1e30);
  s.max_steps = time.integer("max_steps", 0);
  s.steady_tolerance = time.number("steady_tolerance", 0.0);
  time.finish();

  TableReader output(subtable(root, "output", source), "output", source);
  top.node("output");
  s.output_interval = output.number("interval", 0.0);
  s.output_precision = output.text("precision", "f64");
  for (double step : output.numbers("pressure_systems", 0, 100000)) s.pressure_systems.push_back(static_cast<long>(step));
  s.checkpoint_every = output.integer("checkpoint_every", 0);
  output.finish();

  TableReader solver(subtable(root, "solver", source), "solver", source);
  top.node("solver");
  s.solver_rtol = solver.number("rtol", 1e-10);
  s.solver_max_iterations = static_cast<int>(solver.integer("max_iterations", 2000));
  solver.finish();

  if (const toml::node* obstacles = top.node("obstacle")) {
    const toml::array* list = obstacles->as_array();
    ANNEAL_CHECK(list != nullptr, "{}: obstacles are [[obstacle]] tables", source);
    for (std::size_t i = 0; i < list->size(); ++i) {
      const toml::table* table = (*list)[i].as_table();
      ANNEAL_CHECK(table != nullptr, "{}: obstacle {} is not a table", source, i + 1);
      s.obstacles.push_back(read_obstacle(*table, "obstacle[" + std::to_string(i + 1) + "]", s.dim, source));
    }
  }
  TableReader mask(subtable(root, "mask", source), "mask", source);
  top.node("mask");
  const std::string mask_file = mask.text("file", "");
  if (!mask_file.empty()) {
    s.mask_file = mask_file;
    if (s.mask_file.is_relative() && !base_dir.empty()) s.mask_file = base_dir / s.mask_file;
  }
  s.mask_dataset = mask.text("dataset", "/mask");
  mask.finish();
  top.finish();

  validate(s, source);
  return s;
}

Scene read_scene(const std::filesystem::path& path) {
  return parse_scene(read_config_text(path, "scene file"), path.string(), path.parent_path());
}

namespace {
const char* kind_name(BoundaryKind k) {
  switch (k) {
    case BoundaryKind::wall: return "wall";
    case BoundaryKind::slip: return "slip";
    case BoundaryKind::inflow: return "inflow";
    case BoundaryKind::outflow: return "outflow";
    case BoundaryKind::periodic: return "periodic";
  }
  return "?";
}
const char* profile_name(InflowProfile p) {
  return p == InflowProfile::uniform ? "uniform" : p == InflowProfile::parabolic ? "parabolic" : "jet";
}
const char* shape_name(ObstacleShape s) {
  return s == ObstacleShape::sphere ? "sphere" : s == ObstacleShape::box ? "box" : "cylinder";
}
template <class T>
std::vector<T> first(const std::array<T, 3>& a, int n) {
  return std::vector<T>(a.begin(), a.begin() + n);
}
}  // namespace

nlohmann::json scene_to_json(const Scene& s) {
  using nlohmann::json;
  json j;
  j["name"] = s.name;
  j["seed"] = s.seed;
  j["domain"] = {{"cells", first(s.cells, s.dim)}, {"size", first(s.size, s.dim)}};
  for (int side = 0; side < 2 * s.dim; ++side) {
    const Boundary& b = s.boundary[static_cast<std::size_t>(side)];
    json jb = {{"type", kind_name(b.kind)}};
    if (b.kind == BoundaryKind::wall) jb["velocity"] = first(b.wall_velocity, s.dim);
    if (b.kind == BoundaryKind::inflow) {
      jb["profile"] = profile_name(b.profile);
      jb["speed"] = b.speed;
      jb["scalar"] = b.scalar;
      jb["noise"] = b.noise;
      if (b.profile == InflowProfile::jet) {
        jb["diameter"] = b.diameter;
        jb["center"] = std::vector<double>(b.center.begin(), b.center.begin() + (s.dim - 1));
        jb["edge"] = b.edge;
        jb["coflow"] = b.coflow;
      }
    }
    j["boundary"][side_names[side]] = jb;
  }
  j["fluid"] = {{"viscosity", s.viscosity}, {"diffusivity", s.diffusivity}, {"buoyancy", first(s.buoyancy, s.dim)}};
  j["initial"] = {{"velocity", s.initial_velocity}, {"amplitude", s.initial_amplitude}, {"scalar", s.initial_scalar}};
  if (s.scalar_blob)
    j["initial"]["scalar_blob"] = {
        {"center", first(s.scalar_blob->center, s.dim)}, {"radius", s.scalar_blob->radius}, {"value", s.scalar_blob_value}};
  j["time"] = {{"end", s.end_time},
               {"cfl", s.cfl},
               {"max_dt", s.max_dt},
               {"max_steps", s.max_steps},
               {"steady_tolerance", s.steady_tolerance}};
  j["output"] = {{"interval", s.output_interval},
                 {"precision", s.output_precision},
                 {"pressure_systems", s.pressure_systems},
                 {"checkpoint_every", s.checkpoint_every}};
  j["solver"] = {{"rtol", s.solver_rtol}, {"max_iterations", s.solver_max_iterations}};
  j["obstacle"] = json::array();
  for (const Obstacle& o : s.obstacles) {
    json jo = {{"shape", shape_name(o.shape)}};
    if (o.shape == ObstacleShape::box) {
      jo["min"] = first(o.min, s.dim);
      jo["max"] = first(o.max, s.dim);
    } else {
      jo["center"] = first(o.center, s.dim);
      jo["radius"] = o.radius;
      if (o.shape == ObstacleShape::cylinder && s.dim == 3) jo["axis"] = std::string(1, static_cast<char>('x' + o.axis));
    }
    j["obstacle"].push_back(jo);
  }
  if (!s.mask_file.empty()) j["mask"] = {{"file", s.mask_file.string()}, {"dataset", s.mask_dataset}};
  return j;
}

}  // namespace anneal::physics::flow
