#include "physics/poisson/dcdm_block.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "nn/autograd.hpp"

namespace anneal::physics::poisson {

bool CellBox::contains(const CellBox& inner) const {
  for (std::size_t a = 0; a < 3; ++a)
    if (inner.lo[a] < lo[a] || inner.hi[a] > hi[a] || inner.lo[a] > inner.hi[a]) return false;
  return true;
}

long interior_halo(std::array<long, 3> grid, const CellBox& owned, const CellBox& ghosted) {
  long halo = std::numeric_limits<long>::max();
  for (std::size_t a = 0; a < 3; ++a) {
    if (ghosted.lo[a] > 0) halo = std::min(halo, owned.lo[a] - ghosted.lo[a]);
    if (ghosted.hi[a] < grid[a]) halo = std::min(halo, ghosted.hi[a] - owned.hi[a]);
  }
  return halo;
}

DcdmBlockProposer::DcdmBlockProposer(std::shared_ptr<const DcdmNetwork> network, std::array<long, 3> grid,
                                     CellBox owned, CellBox ghosted, std::span<const std::uint8_t> cell_type)
    : network_(std::move(network)), owned_(owned), ghosted_(ghosted) {
  ANNEAL_CHECK(network_ != nullptr, "DCDM block proposer: no network");
  const CellBox whole{{0, 0, 0}, grid};
  ANNEAL_CHECK(whole.count() > 0 && whole.contains(ghosted_) && ghosted_.contains(owned_) && owned_.count() > 0,
               "DCDM block proposer: the owned box must lie in the ghosted box, and that in the {}×{}×{} grid", grid[0],
               grid[1], grid[2]);
  for (int a = 0; a < 3; ++a) {
    const auto ua = static_cast<std::size_t>(a);
    ANNEAL_CHECK(ghosted_.lo[ua] % 2 == 0,
                 "DCDM block proposer: the ghosted box starts at the odd index {} on axis {}, so its 2× pooling would "
                 "pair other cells than the serial network's; blocks and halos must start at even indices",
                 ghosted_.lo[ua], "xyz"[a]);
    const long extent = ghosted_.extent(a);
    ANNEAL_CHECK(extent % 2 == 0 || ghosted_.hi[ua] == grid[ua],
                 "DCDM block proposer: the ghosted box has an odd extent ({} cells) on axis {} but does not end at the "
                 "grid's high end, where the serial proposer pads; block sizes must be even except the last",
                 extent, "xyz"[a]);
    padded_[ua] = extent + extent % 2;
  }
  const long cells = whole.count();
  scale_ = dcdm_input_scale(cells);
  ANNEAL_CHECK(cell_type.empty() || static_cast<long>(cell_type.size()) == cells,
               "DCDM block proposer: {} cell types for {} cells", cell_type.size(), cells);
  ANNEAL_CHECK(network_->architecture().in_channels == 1 || !cell_type.empty(),
               "the model takes the cell-type image as a second input channel, but the system has no /cell_type");
  if (!cell_type.empty()) {
    cell_type_.reserve(static_cast<std::size_t>(ghosted_.count()));
    for (long k = ghosted_.lo[2]; k < ghosted_.hi[2]; ++k)
      for (long j = ghosted_.lo[1]; j < ghosted_.hi[1]; ++j)
        for (long i = ghosted_.lo[0]; i < ghosted_.hi[0]; ++i)
          cell_type_.push_back(cell_type[static_cast<std::size_t>((k * grid[1] + j) * grid[0] + i)]);
  }
}

void DcdmBlockProposer::operator()(std::span<const double> ghosted_residual, std::span<double> owned_direction) const {
  ANNEAL_CHECK(static_cast<long>(ghosted_residual.size()) == ghosted_.count(),
               "DCDM block proposer: a residual of {} entries for a ghosted box of {} cells", ghosted_residual.size(),
               ghosted_.count());
  ANNEAL_CHECK(static_cast<long>(owned_direction.size()) == owned_.count(),
               "DCDM block proposer: a direction of {} entries for a block of {} cells", owned_direction.size(),
               owned_.count());
  const long gx = ghosted_.extent(0), gy = ghosted_.extent(1), gz = ghosted_.extent(2);
  const long px = padded_[0], py = padded_[1], padded_cells = px * py * padded_[2];
  const auto channels = network_->architecture().in_channels;

  // The image exactly as DcdmProposer::input lays out the serial one, cut to the box: the same
  // scale, the same cell-type channel, zeros in the padding cell.
  auto x = nn::Tensor::zeros({1, channels, padded_[2], py, px}, network_->dtype());
  nn::dispatch(x.dtype(), [&]<class T>() {
    T* out = x.data<T>();
    for (long k = 0; k < gz; ++k)
      for (long j = 0; j < gy; ++j)
        for (long i = 0; i < gx; ++i) {
          const auto src = static_cast<std::size_t>((k * gy + j) * gx + i);
          const long dst = (k * py + j) * px + i;
          out[dst] = static_cast<T>(scale_ * ghosted_residual[src]);
          if (channels == 2) out[padded_cells + dst] = static_cast<T>(cell_type_[src] != 0);
        }
  });

  nn::NoGrad no_tape;
  const auto q = network_->forward(x);
  const std::array<long, 3> offset{owned_.lo[0] - ghosted_.lo[0], owned_.lo[1] - ghosted_.lo[1],
                                   owned_.lo[2] - ghosted_.lo[2]};
  const long ox = owned_.extent(0), oy = owned_.extent(1), oz = owned_.extent(2);
  nn::dispatch(q.dtype(), [&]<class T>() {
    const T* values = q.data<T>();
    std::size_t dst = 0;
    for (long k = 0; k < oz; ++k)
      for (long j = 0; j < oy; ++j)
        for (long i = 0; i < ox; ++i, ++dst) {
          const long gk = k + offset[2], gj = j + offset[1], gi = i + offset[0];
          const bool solid = !cell_type_.empty() && cell_type_[static_cast<std::size_t>((gk * gy + gj) * gx + gi)] != 0;
          owned_direction[dst] = solid ? 0.0 : static_cast<double>(values[(gk * py + gj) * px + gi]);
        }
  });
}

}  // namespace anneal::physics::poisson
