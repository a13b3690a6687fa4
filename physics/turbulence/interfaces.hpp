#pragma once
// The geometry of an interface given as a level set of a node field on a rectilinear grid: the
// turbulent/non-turbulent interface is {field = threshold} of a clustered scalar (Khojasteh et al.
// 2025). Extraction gives a polyline (2-D) or triangle (3-D) mesh; the signed distance to it is the
// coordinate in which conditional statistics across the interface are binned.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "io/grid_file.hpp"

namespace anneal::physics::turbulence {

struct InterfaceMesh {
  int dimensions = 2;                   // 2: line segments, 3: triangles
  std::vector<double> points;           // [m][dimensions], row-major (x, y[, z])
  std::vector<std::uint32_t> elements;  // [e][dimensions]: vertex indices of segments (2-D) / triangles (3-D)

  std::size_t point_count() const { return points.size() / static_cast<std::size_t>(dimensions); }
  std::size_t element_count() const { return elements.size() / static_cast<std::size_t>(dimensions); }
};

// The level set {field = level}: marching squares in 2-D (a saddle cell resolved by the average of
// its four corners), marching tetrahedra in 3-D (each cell split into the six tetrahedra around its
// (i, j, k)–(i+1, j+1, k+1) diagonal, which every cell cuts the same way, so neighbours share
// faces). Vertices by linear interpolation along grid edges, shared between neighbouring cells, so
// closed curves and surfaces come out as closed meshes. Elements are oriented with the side where
// field > level on the left of a segment (counter-clockwise around a positive region) and on the
// side a triangle's normal (b − a) × (c − a) points to. Cells touching a node with valid[node] == 0
// (masked data; an empty span means all valid) are skipped. A node exactly at the level counts as
// the ≤ side, so a vertex may coincide with a node (and with other vertices).
// Throws anneal::Error on a field or mask of the wrong size and on NaN/Inf at a valid node.
InterfaceMesh extract_level_set(const io::RectilinearGrid& grid, std::span<const double> field, double level,
                                std::span<const std::uint8_t> valid = {});

// The connected component (elements linked through shared vertices) with the most elements, which
// drops bubbles and islands; ties go to the component whose first element comes first. Vertices
// keep their relative order.
InterfaceMesh largest_component(const InterfaceMesh& mesh);

// Signed Euclidean distance from every grid node to the mesh: the exact point–segment /
// point–triangle distance to the nearest element, found by branch and bound in a bounding-volume
// hierarchy of the elements (oneTBB over rows of nodes; the result does not depend on the thread
// count). Positive where field > level (the turbulent side), negative where field ≤ level. Nodes at
// max_distance or farther, and all nodes when the mesh is empty, get +inf / −inf by side: a band
// around the interface, which is all that conditional statistics need, costs far less than the
// whole grid. A masked node (valid[node] == 0) gets NaN.
std::vector<double> signed_distance(const io::RectilinearGrid& grid, std::span<const double> field, double level,
                                    const InterfaceMesh& mesh, std::span<const std::uint8_t> valid = {},
                                    double max_distance = std::numeric_limits<double>::infinity());

}  // namespace anneal::physics::turbulence
