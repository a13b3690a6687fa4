#include "physics/turbulence/interfaces.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "core/error.hpp"

namespace anneal::physics::turbulence {
namespace {

using Point = std::array<double, 3>;  // z = 0 in 2-D

Point operator-(const Point& a, const Point& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Point& a, const Point& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Point cross(const Point& a, const Point& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

struct NodeGrid {
  const io::RectilinearGrid& grid;
  std::size_t nx = 0, ny = 0, nz = 1;
  int dimensions = 2;

  std::size_t count() const { return nx * ny * nz; }
  std::size_t index(std::size_t i, std::size_t j, std::size_t k) const { return (k * ny + j) * nx + i; }
  Point position(std::size_t i, std::size_t j, std::size_t k) const {
    return {grid.x[i], grid.y[j], dimensions == 3 ? grid.z[k] : 0.0};
  }
};

NodeGrid check_inputs(const io::RectilinearGrid& grid, std::span<const double> field,
                      std::span<const std::uint8_t> valid, const char* who) {
  NodeGrid nodes{grid, grid.x.size(), grid.y.size(), grid.is_3d() ? grid.z.size() : 1, grid.is_3d() ? 3 : 2};
  ANNEAL_CHECK(nodes.nx >= 2 && nodes.ny >= 2 && (!grid.is_3d() || nodes.nz >= 2),
               "{}: the grid needs at least 2 nodes along each axis", who);
  ANNEAL_CHECK(field.size() == nodes.count(), "{}: the field has {} values for {} grid nodes", who, field.size(),
               nodes.count());
  ANNEAL_CHECK(valid.empty() || valid.size() == field.size(), "{}: the mask has {} values for {} grid nodes", who,
               valid.size(), field.size());
  for (std::size_t n = 0; n < field.size(); ++n)
    ANNEAL_CHECK(std::isfinite(field[n]) || (!valid.empty() && valid[n] == 0),
                 "{}: the field is {} at node {}, which is not masked", who, field[n], n);
  return nodes;
}

// Vertices live on grid edges, one per edge, found again by edge id when a neighbouring cell (or
// tetrahedron) crosses the same edge: that sharing is what makes the meshes closed.
class EdgeVertices {
 public:
  EdgeVertices(InterfaceMesh& mesh, std::span<const double> field, double level)
      : mesh_(mesh), field_(field), level_(level) {}

  // The crossing on the edge between nodes a and b (a < b), whose field values straddle the level.
  std::uint32_t vertex(std::uint64_t edge_id, std::size_t a, const Point& pa, std::size_t b, const Point& pb) {
    const auto [it, inserted] = index_.try_emplace(edge_id, 0);
    if (!inserted) return it->second;
    ANNEAL_CHECK(
        mesh_.points.size() / static_cast<std::size_t>(mesh_.dimensions) < std::numeric_limits<std::uint32_t>::max(),
        "level set: more than 2^32 vertices");
    it->second = static_cast<std::uint32_t>(mesh_.point_count());
    const double t = (level_ - field_[a]) / (field_[b] - field_[a]);
    for (int axis = 0; axis < mesh_.dimensions; ++axis) {
      const auto c = static_cast<std::size_t>(axis);
      mesh_.points.push_back(pa[c] + t * (pb[c] - pa[c]));
    }
    return it->second;
  }

 private:
  InterfaceMesh& mesh_;
  std::span<const double> field_;
  double level_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_;
};

void marching_squares(const NodeGrid& g, std::span<const double> field, double level,
                      std::span<const std::uint8_t> valid, InterfaceMesh& mesh) {
  EdgeVertices vertices(mesh, field, level);
  // Corners counter-clockwise; edge c runs from corner c to corner c + 1. Edge ids: 2 · node + axis
  // of the edge's lower node.
  constexpr std::array<std::array<std::size_t, 2>, 4> kCorner{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
  for (std::size_t j = 0; j + 1 < g.ny; ++j)
    for (std::size_t i = 0; i + 1 < g.nx; ++i) {
      std::array<std::size_t, 4> node{};
      std::array<bool, 4> positive{};
      bool masked = false;
      int positives = 0;
      for (std::size_t c = 0; c < 4; ++c) {
        node[c] = g.index(i + kCorner[c][0], j + kCorner[c][1], 0);
        masked = masked || (!valid.empty() && valid[node[c]] == 0);
        positive[c] = field[node[c]] > level;
        positives += positive[c] ? 1 : 0;
      }
      if (masked || positives == 0 || positives == 4) continue;
      const auto edge_vertex = [&](std::size_t c) {
        const std::size_t d = (c + 1) % 4;
        const std::size_t lo = std::min(node[c], node[d]), hi = std::max(node[c], node[d]);
        const std::size_t axis = hi - lo == 1 ? 0 : 1;
        const std::size_t lo_corner = node[c] < node[d] ? c : d, hi_corner = node[c] < node[d] ? d : c;
        return vertices.vertex(2 * lo + axis, lo, g.position(i + kCorner[lo_corner][0], j + kCorner[lo_corner][1], 0),
                               hi, g.position(i + kCorner[hi_corner][0], j + kCorner[hi_corner][1], 0));
      };
      // A segment runs from the edge where the counter-clockwise walk leaves the positive region to
      // the edge where it re-enters, which keeps the positive side on the segment's left.
      const auto add_segment = [&](std::size_t leaving, std::size_t entering) {
        mesh.elements.push_back(edge_vertex(leaving));
        mesh.elements.push_back(edge_vertex(entering));
      };
      if (positives == 2 && positive[0] == positive[2]) {
        // A saddle: cut off the two corners whose sign differs from the cell centre's.
        double sum = 0;
        for (const std::size_t n : node) sum += field[n];
        const bool centre_positive = sum / 4 > level;
        for (std::size_t c = 0; c < 4; ++c) {
          if (positive[c] == centre_positive) continue;
          const std::size_t before = (c + 3) % 4;  // the edge into corner c
          if (positive[c])
            add_segment(c, before);
          else
            add_segment(before, c);
        }
        continue;
      }
      std::size_t leaving = 0, entering = 0;
      for (std::size_t c = 0; c < 4; ++c) {
        if (positive[c] && !positive[(c + 1) % 4]) leaving = c;
        if (!positive[c] && positive[(c + 1) % 4]) entering = c;
      }
      add_segment(leaving, entering);
    }
}

double determinant(const Point& a, const Point& b, const Point& c) { return dot(a, cross(b, c)); }

void marching_tetrahedra(const NodeGrid& g, std::span<const double> field, double level,
                         std::span<const std::uint8_t> valid, InterfaceMesh& mesh) {
  EdgeVertices vertices(mesh, field, level);
  // Corner code dx + 2 dy + 4 dz. Tetrahedron (a, b, c) walks 0 → e_a → e_a + e_b → 7, so every
  // edge joins a corner to one above it, and the id 7 · node + (bits added) − 1 names it uniquely.
  constexpr std::array<std::array<int, 3>, 6> kAxisOrder{
      {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}};
  for (std::size_t k = 0; k + 1 < g.nz; ++k)
    for (std::size_t j = 0; j + 1 < g.ny; ++j)
      for (std::size_t i = 0; i + 1 < g.nx; ++i) {
        std::array<std::size_t, 8> node{};
        std::array<bool, 8> positive{};
        bool masked = false;
        int positives = 0;
        for (std::size_t c = 0; c < 8; ++c) {
          node[c] = g.index(i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1));
          masked = masked || (!valid.empty() && valid[node[c]] == 0);
          positive[c] = field[node[c]] > level;
          positives += positive[c] ? 1 : 0;
        }
        if (masked || positives == 0 || positives == 8) continue;
        const auto corner_position = [&](std::size_t c) {
          return g.position(i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1));
        };
        const auto edge_vertex = [&](std::size_t lo, std::size_t hi) {  // corner codes, lo ⊂ hi
          if (lo > hi) std::swap(lo, hi);
          return vertices.vertex(7 * node[lo] + (hi ^ lo) - 1, node[lo], corner_position(lo), node[hi],
                                 corner_position(hi));
        };
        const auto add_triangle = [&](std::uint32_t a, std::uint32_t b, std::uint32_t c, bool reverse) {
          mesh.elements.insert(mesh.elements.end(), {a, reverse ? c : b, reverse ? b : c});
        };
        for (const auto& order : kAxisOrder) {
          std::array<std::size_t, 4> tet{0, 0, 0, 7};
          tet[1] = std::size_t{1} << order[0];
          tet[2] = tet[1] | (std::size_t{1} << order[1]);
          std::array<std::size_t, 4> pos{}, neg{};
          std::size_t np = 0, nn = 0;
          for (const std::size_t c : tet) (positive[c] ? pos[np++] : neg[nn++]) = c;
          if (np == 0 || nn == 0) continue;
          if (np == 1 || nn == 1) {
            // One corner cut off: the triangle on its three edges. Its normal points away from that
            // corner when the corner's edge vectors form a right-handed triple.
            const bool lone_positive = np == 1;
            const std::size_t lone = lone_positive ? pos[0] : neg[0];
            const auto& others = lone_positive ? neg : pos;
            const Point l = corner_position(lone);
            const double handedness = determinant(corner_position(others[0]) - l, corner_position(others[1]) - l,
                                                  corner_position(others[2]) - l);
            add_triangle(edge_vertex(lone, others[0]), edge_vertex(lone, others[1]), edge_vertex(lone, others[2]),
                         lone_positive == (handedness > 0));
            continue;
          }
          // Two against two: the quad p0n0, p0n1, p1n1, p1n0 (consecutive vertices share a face).
          const Point p0 = corner_position(pos[0]);
          const bool reverse =
              determinant(corner_position(pos[1]) - p0, corner_position(neg[0]) - p0, corner_position(neg[1]) - p0) > 0;
          const std::uint32_t a = edge_vertex(pos[0], neg[0]), b = edge_vertex(pos[0], neg[1]),
                              c = edge_vertex(pos[1], neg[1]), d = edge_vertex(pos[1], neg[0]);
          add_triangle(a, b, c, reverse);
          add_triangle(a, c, d, reverse);
        }
      }
}

}  // namespace

InterfaceMesh extract_level_set(const io::RectilinearGrid& grid, std::span<const double> field, double level,
                                std::span<const std::uint8_t> valid) {
  const NodeGrid nodes = check_inputs(grid, field, valid, "level set");
  ANNEAL_CHECK(std::isfinite(level), "level set: the level is {}", level);
  InterfaceMesh mesh;
  mesh.dimensions = nodes.dimensions;
  if (nodes.dimensions == 2)
    marching_squares(nodes, field, level, valid, mesh);
  else
    marching_tetrahedra(nodes, field, level, valid, mesh);
  return mesh;
}

namespace {

void check_mesh(const InterfaceMesh& mesh, const char* who) {
  ANNEAL_CHECK(mesh.dimensions == 2 || mesh.dimensions == 3, "{}: a mesh of dimension {} (2 or 3 expected)", who,
               mesh.dimensions);
  const auto d = static_cast<std::size_t>(mesh.dimensions);
  ANNEAL_CHECK(mesh.points.size() % d == 0 && mesh.elements.size() % d == 0,
               "{}: {} coordinates or {} vertex indices are not whole {}-D points / elements", who, mesh.points.size(),
               mesh.elements.size(), d);
  for (const std::uint32_t v : mesh.elements)
    ANNEAL_CHECK(v < mesh.point_count(), "{}: an element uses vertex {} of {}", who, v, mesh.point_count());
}

std::uint32_t find_root(std::vector<std::uint32_t>& parent, std::uint32_t v) {
  while (parent[v] != v) {
    parent[v] = parent[parent[v]];  // path halving
    v = parent[v];
  }
  return v;
}

}  // namespace

InterfaceMesh largest_component(const InterfaceMesh& mesh) {
  check_mesh(mesh, "largest component");
  const auto d = static_cast<std::size_t>(mesh.dimensions);
  std::vector<std::uint32_t> parent(mesh.point_count());
  std::iota(parent.begin(), parent.end(), std::uint32_t{0});
  for (std::size_t e = 0; e < mesh.element_count(); ++e)
    for (std::size_t c = 1; c < d; ++c) {
      const std::uint32_t a = find_root(parent, mesh.elements[e * d]), b = find_root(parent, mesh.elements[e * d + c]);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
    }
  std::vector<std::size_t> size(mesh.point_count(), 0);
  std::vector<std::uint32_t> element_root(mesh.element_count());
  for (std::size_t e = 0; e < mesh.element_count(); ++e) {
    element_root[e] = find_root(parent, mesh.elements[e * d]);
    ++size[element_root[e]];
  }
  InterfaceMesh out;
  out.dimensions = mesh.dimensions;
  if (mesh.element_count() == 0) return out;
  std::uint32_t best = element_root[0];
  for (const std::uint32_t root : element_root)
    if (size[root] > size[best]) best = root;
  std::vector<std::uint32_t> renumber(mesh.point_count(), std::numeric_limits<std::uint32_t>::max());
  for (std::uint32_t v = 0; v < mesh.point_count(); ++v) {
    if (find_root(parent, v) != best) continue;
    renumber[v] = static_cast<std::uint32_t>(out.point_count());
    out.points.insert(out.points.end(), mesh.points.begin() + static_cast<std::ptrdiff_t>(v * d),
                      mesh.points.begin() + static_cast<std::ptrdiff_t>((v + 1) * d));
  }
  for (std::size_t e = 0; e < mesh.element_count(); ++e)
    if (element_root[e] == best)
      for (std::size_t c = 0; c < d; ++c) out.elements.push_back(renumber[mesh.elements[e * d + c]]);
  return out;
}

namespace {

double segment_distance2(const Point& p, const Point& a, const Point& b) {
  const Point ab = b - a, ap = p - a;
  const double length2 = dot(ab, ab);
  const double t = length2 > 0 ? std::clamp(dot(ap, ab) / length2, 0.0, 1.0) : 0.0;
  const Point r{ap[0] - t * ab[0], ap[1] - t * ab[1], ap[2] - t * ab[2]};
  return dot(r, r);
}

// The position along an edge; an edge of zero length (vertices that coincide where the level meets
// a node exactly) has its only point at 0.
double fraction(double part, double whole) { return whole > 0 ? part / whole : 0.0; }

// By the Voronoi region of p: a corner, an edge or the face (Ericson, "Real-Time Collision
// Detection", 2005, §5.1.5), from six dot products. A degenerate (zero-area) triangle is its edges.
double triangle_distance2(const Point& p, const Point& a, const Point& b, const Point& c) {
  const Point ab = b - a, ac = c - a, ap = p - a;
  const auto at = [&](double s, double t) {  // |p − (a + s ab + t ac)|²
    const Point r{ap[0] - s * ab[0] - t * ac[0], ap[1] - s * ab[1] - t * ac[1], ap[2] - s * ab[2] - t * ac[2]};
    return dot(r, r);
  };
  const double d1 = dot(ab, ap), d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return dot(ap, ap);
  const Point bp = p - b;
  const double d3 = dot(ab, bp), d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return dot(bp, bp);
  const double vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return at(fraction(d1, d1 - d3), 0);
  const Point cp = p - c;
  const double d5 = dot(ab, cp), d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return dot(cp, cp);
  const double vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return at(0, fraction(d2, d2 - d6));
  const double va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) {
    const double t = fraction(d4 - d3, (d4 - d3) + (d5 - d6));
    return at(1 - t, t);
  }
  const double area = va + vb + vc;  // |ab × ac|² inside the face region
  if (!(area > 0))
    return std::min({segment_distance2(p, a, b), segment_distance2(p, b, c), segment_distance2(p, c, a)});
  return at(vb / area, vc / area);
}

Point scaled(const Point& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }

struct Box {
  Point lo{std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity(),
           std::numeric_limits<double>::infinity()};
  Point hi{-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
           -std::numeric_limits<double>::infinity()};

  void add(const Point& p) {
    for (std::size_t a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a]);
      hi[a] = std::max(hi[a], p[a]);
    }
  }
  void add(const Box& b) {
    add(b.lo);
    add(b.hi);
  }
  double distance2(const Point& p) const {
    double sum = 0;
    for (std::size_t a = 0; a < 3; ++a) {
      const double t = std::max({lo[a] - p[a], 0.0, p[a] - hi[a]});
      sum += t * t;
    }
    return sum;
  }
};

// A flat disc of `radius` about `centre` in the plane normal to `normal`, thickened by `thickness`
// either side: it hugs a gently curved patch of interface. A box alone leaves a slack of its own
// size across a patch that lies diagonally, and from inside a curved interface (or above a wavy
// one) every patch within that slack of the nearest looks like a candidate; the disc's bound
// rises with the distance to the patch's plane and rules them out.
struct Disc {
  Point centre{}, normal{0, 0, 1};
  double radius = 0, thickness = 0;

  // A lower bound on the squared distance from p, or any value ≥ best2 once it is clear that the
  // bound reaches best2 (the caller only compares), which skips the square root.
  double distance2(const Point& p, double best2) const {
    const Point q = p - centre;
    const double height = dot(q, normal);
    const double above = std::max(0.0, std::abs(height) - thickness);
    if (above * above >= best2) return above * above;
    const Point in_plane = q - scaled(normal, height);
    const double in_plane2 = dot(in_plane, in_plane);
    const double across = in_plane2 > radius * radius ? std::sqrt(in_plane2) - radius : 0.0;
    return across * across + above * above;
  }
};

// A bounding-volume hierarchy over the elements (median splits along the longest axis of the
// element centres), each node bounded by a box and a disc, for exact nearest-element queries by
// branch and bound.
class ElementTree {
 public:
  explicit ElementTree(const InterfaceMesh& mesh) : corners_(static_cast<std::size_t>(mesh.dimensions)) {
    const std::size_t count = mesh.element_count(), d = corners_;
    std::vector<Box> boxes(count);
    std::vector<Point> centres(count);
    std::vector<std::uint32_t> order(count);
    std::iota(order.begin(), order.end(), std::uint32_t{0});
    for (std::size_t e = 0; e < count; ++e) {
      for (std::size_t c = 0; c < d; ++c) boxes[e].add(vertex(mesh, mesh.elements[e * d + c]));
      for (std::size_t a = 0; a < 3; ++a) centres[e][a] = 0.5 * (boxes[e].lo[a] + boxes[e].hi[a]);
    }
    if (count > 0) build(boxes, centres, order, 0, count);
    // Element corners in tree order, so that a node's elements are one contiguous run.
    points_.reserve(count * d);
    for (const std::uint32_t e : order)
      for (std::size_t c = 0; c < d; ++c) points_.push_back(vertex(mesh, mesh.elements[e * d + c]));
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nodes_.size()), [&](const tbb::blocked_range<std::size_t>& r) {
      for (std::size_t n = r.begin(); n != r.end(); ++n) nodes_[n].disc = bounding_disc(nodes_[n]);
    });
  }

  bool empty() const { return nodes_.empty(); }

  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  struct Nearest {
    double distance2 = std::numeric_limits<double>::infinity();
    std::uint32_t element = kNone;  // in tree order; kNone: nothing nearer than the cut-off
  };

  // The nearest element to p nearer than sqrt(cutoff2), by branch and bound, starting from a guess
  // (a neighbouring node's nearest element) whose distance prunes the search from the root on.
  Nearest nearest(const Point& p, std::uint32_t guess, double cutoff2) const {
    Nearest best{cutoff2, kNone};
    if (guess != kNone) {
      const double d2 = element2(p, guess);
      if (d2 < best.distance2) best = {d2, guess};
    }
    std::array<std::pair<std::uint32_t, double>, 128> stack{};  // node, its lower bound
    std::size_t top = 0;
    stack[top++] = {0, lower_bound2(nodes_[0], p, best.distance2)};
    while (top > 0) {
      const auto [index, bound] = stack[--top];
      if (bound >= best.distance2) continue;
      const TreeNode& node = nodes_[index];
      if (node.right == 0) {  // a leaf
        for (std::uint32_t e = node.first; e < node.first + node.count; ++e) {
          const double d2 = element2(p, e);
          if (d2 < best.distance2) best = {d2, e};
        }
        continue;
      }
      const std::uint32_t left = index + 1;
      const double dl = lower_bound2(nodes_[left], p, best.distance2),
                   dr = lower_bound2(nodes_[node.right], p, best.distance2);
      // The nearer child on top of the stack: its elements tighten the bound before the other's.
      const bool left_first = dl <= dr;
      const std::pair<std::uint32_t, double> near{left_first ? left : node.right, left_first ? dl : dr},
          far{left_first ? node.right : left, left_first ? dr : dl};
      if (far.second < best.distance2) stack[top++] = far;
      if (near.second < best.distance2) stack[top++] = near;
    }
    return best;
  }

 private:
  struct TreeNode {
    Box box;
    Disc disc;
    std::uint32_t first = 0, count = 0;  // the node's elements in tree order
    std::uint32_t right = 0;             // the second child (the first follows the node); 0: a leaf
  };
  static constexpr std::size_t kLeafSize = 4;

  static Point vertex(const InterfaceMesh& mesh, std::uint32_t v) {
    const auto d = static_cast<std::size_t>(mesh.dimensions);
    return {mesh.points[v * d], mesh.points[v * d + 1], d == 3 ? mesh.points[v * d + 2] : 0.0};
  }

  // The disc only when the box cannot already rule the node out against `best2`.
  static double lower_bound2(const TreeNode& node, const Point& p, double best2) {
    const double box = node.box.distance2(p);
    return box >= best2 ? box : std::max(box, node.disc.distance2(p, best2));
  }

  double element2(const Point& p, std::size_t e) const {
    const Point* c = points_.data() + e * corners_;
    return corners_ == 2 ? segment_distance2(p, c[0], c[1]) : triangle_distance2(p, c[0], c[1], c[2]);
  }

  // The disc about the box centre, normal to the elements' summed (area-weighted) normals; any unit
  // normal gives a valid bound, a good one a thin disc.
  Disc bounding_disc(const TreeNode& node) const {
    Disc disc;
    disc.centre = scaled(node.box.lo, 0.5);
    for (std::size_t a = 0; a < 3; ++a) disc.centre[a] += 0.5 * node.box.hi[a];
    Point sum{0, 0, 0};
    for (std::size_t e = node.first; e < node.first + node.count; ++e) {
      const Point* c = points_.data() + e * corners_;
      const Point n =
          corners_ == 2 ? Point{c[0][1] - c[1][1], c[1][0] - c[0][0], 0.0} : cross(c[1] - c[0], c[2] - c[0]);
      for (std::size_t a = 0; a < 3; ++a) sum[a] += n[a];
    }
    const double length = std::sqrt(dot(sum, sum));
    if (length > 0) disc.normal = scaled(sum, 1 / length);
    for (std::size_t v = node.first * corners_; v < (node.first + node.count) * corners_; ++v) {
      const Point q = points_[v] - disc.centre;
      const double height = dot(q, disc.normal);
      const Point in_plane = q - scaled(disc.normal, height);
      disc.radius = std::max(disc.radius, std::sqrt(dot(in_plane, in_plane)));
      disc.thickness = std::max(disc.thickness, std::abs(height));
    }
    // Rounding must not shrink the disc below its elements, or a bound could overshoot.
    const Point extent = node.box.hi - node.box.lo;
    const double pad = 1e-12 * std::sqrt(dot(extent, extent));
    disc.radius = disc.radius * (1 + 1e-12) + pad;
    disc.thickness = disc.thickness * (1 + 1e-12) + pad;
    return disc;
  }

  std::uint32_t build(const std::vector<Box>& boxes, const std::vector<Point>& centres,
                      std::vector<std::uint32_t>& order, std::size_t begin, std::size_t end) {
    const auto index = static_cast<std::uint32_t>(nodes_.size());
    nodes_.emplace_back();
    Box box, spread;
    for (std::size_t e = begin; e < end; ++e) {
      box.add(boxes[order[e]]);
      spread.add(centres[order[e]]);
    }
    nodes_[index].box = box;
    nodes_[index].first = static_cast<std::uint32_t>(begin);
    nodes_[index].count = static_cast<std::uint32_t>(end - begin);
    if (end - begin <= kLeafSize) return index;
    std::size_t axis = 0;
    for (std::size_t a = 1; a < 3; ++a)
      if (spread.hi[a] - spread.lo[a] > spread.hi[axis] - spread.lo[axis]) axis = a;
    const std::size_t middle = begin + (end - begin) / 2;
    const auto at = [&](std::size_t i) { return order.begin() + static_cast<std::ptrdiff_t>(i); };
    std::nth_element(at(begin), at(middle), at(end), [&](std::uint32_t a, std::uint32_t b) {
      return centres[a][axis] != centres[b][axis] ? centres[a][axis] < centres[b][axis] : a < b;
    });
    build(boxes, centres, order, begin, middle);
    const std::uint32_t right = build(boxes, centres, order, middle, end);
    nodes_[index].right = right;
    return index;
  }

  std::size_t corners_;
  std::vector<TreeNode> nodes_;
  std::vector<Point> points_;
};

}  // namespace

std::vector<double> signed_distance(const io::RectilinearGrid& grid, std::span<const double> field, double level,
                                    const InterfaceMesh& mesh, std::span<const std::uint8_t> valid,
                                    double max_distance) {
  const NodeGrid nodes = check_inputs(grid, field, valid, "signed distance");
  check_mesh(mesh, "signed distance");
  ANNEAL_CHECK(mesh.dimensions == nodes.dimensions, "signed distance: a {}-D mesh on a {}-D grid", mesh.dimensions,
               nodes.dimensions);
  ANNEAL_CHECK(max_distance > 0, "signed distance: max_distance must be positive, got {}", max_distance);
  const ElementTree tree(mesh);
  const double cutoff2 = max_distance * max_distance;
  std::vector<double> distance(nodes.count());
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  // One task per row of nodes along x, walked in order: the nearest element of one node is a close
  // guess for the next. The answer (a minimum) does not depend on the guess, and a row is never
  // split anyway, so the result is the same for any thread count.
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, nodes.ny * nodes.nz),
                    [&](const tbb::blocked_range<std::size_t>& rows) {
                      for (std::size_t row = rows.begin(); row != rows.end(); ++row) {
                        const std::size_t j = row % nodes.ny, k = row / nodes.ny;
                        std::uint32_t guess = tree.kNone;
                        for (std::size_t i = 0; i < nodes.nx; ++i) {
                          const std::size_t n = nodes.index(i, j, k);
                          if (!valid.empty() && valid[n] == 0) {
                            distance[n] = std::numeric_limits<double>::quiet_NaN();
                            continue;
                          }
                          double d = kInfinity;
                          if (!tree.empty()) {
                            const auto found = tree.nearest(nodes.position(i, j, k), guess, cutoff2);
                            if (found.element != tree.kNone) {
                              d = std::sqrt(found.distance2);
                              guess = found.element;
                            }
                          }
                          distance[n] = field[n] > level ? d : -d;
                        }
                      }
                    });
  return distance;
}

}  // namespace anneal::physics::turbulence
