#pragma once
// The three analyses behind `anneal ftle`, `anneal barriers` and `anneal tnti`: read a flow file,
// advect seeds (split over MPI ranks by planes, over threads within a rank), write one HDF5 file
// with its XDMF sidecar (docs/turbulence.md lists every dataset).
#include <filesystem>
#include <optional>
#include <vector>

#include "core/progress.hpp"
#include "io/provenance.hpp"
#include "physics/turbulence/ftle.hpp"
#include "physics/turbulence/gridded_velocity.hpp"
#include "physics/turbulence/seed_grid.hpp"

namespace anneal::physics::turbulence {

struct AnalysisOptions {
  std::filesystem::path input, output;
  std::vector<double> t0;  // start times
  std::vector<double> T;   // integration times; the sign is the direction (ftle, barriers)
  SeedSpec seeds;
  Interpolation space = Interpolation::linear;
  Interpolation time = Interpolation::linear;
  FtleOptions ftle;                     // gradient method, δ, integrator and step
  std::vector<double> frame_velocity;   // a translating analysis frame; empty: the lab frame
  double frame_time = 0;                // when the frame and the lab coincide
  std::optional<double> viscosity;      // overrides the file's attribute
  double active_time = 0;               // barriers: pseudo-time S of the active FTLE (0: |T|)
  bool progress = true;
};

struct TntiOptions : AnalysisOptions {
  int clusters = 4;
  bool exact_kmeans = true;             // exact 1-D k-means (else Lloyd from k-means++)
  std::uint64_t seed = 0;               // k-means++ seeding
  bool largest_component = true;        // keep the largest piece of each interface
  std::vector<double> T_over_TL;        // integration times in units of the integral time scale
  std::optional<double> integral_time;  // T_L; estimated from the data when absent
  bool frame_auto = false;              // frame velocity = the mean fluid velocity on the TNTI
  std::size_t bins = 40;
  double bin_range = 0;                 // bins cover [−range, range]; 0: a quarter of the smallest extent
};

struct AnalysisSummary {
  std::size_t seeds = 0;
  std::size_t failed = 0;               // seed results that are NaN (particles left, masked, stalled)
  std::size_t ill_conditioned = 0;      // finite-difference FTLE seeds beyond the data's resolution
  long particle_steps = 0;
  double advection_seconds = 0;
  double integral_time_scale = 0;       // tnti
  std::vector<double> frame_velocity;
  std::vector<double> thresholds;       // tnti: the scalar levels between clusters
  std::filesystem::path xmf;
};

AnalysisSummary run_ftle(const AnalysisOptions& options, const io::Provenance& provenance);
AnalysisSummary run_barriers(const AnalysisOptions& options, const io::Provenance& provenance);
AnalysisSummary run_tnti(const TntiOptions& options, const io::Provenance& provenance);

namespace detail {
// The velocity of `info` over [t_lo, t_hi] (with the margin cubic interpolation in time needs).
template <int D>
std::shared_ptr<GriddedVelocity<D>> load_velocity(const FlowFileInfo& info, double t_lo, double t_hi,
                                                  const AnalysisOptions& options, bool with_laplacian,
                                                  bool with_scalar = false);
// The output-plane offset and count of a rank's planes ([p0, 0(, 0)], [planes, ny(, nx)]).
io::Shape plane_offset(const SeedGrid& seeds, const BlockRange& planes);
io::Shape plane_count(const SeedGrid& seeds, const BlockRange& planes);
// Sums a rank's counters over the ranks (advection time: the slowest rank's).
void reduce_over_ranks(AnalysisSummary& summary);
// The progress line of an analysis over `total` items of this rank (`live`: a bar on a terminal).
Progress analysis_progress(const std::string& label, std::size_t total, bool live);
}  // namespace detail

}  // namespace anneal::physics::turbulence
