#pragma once
// Training checkpoints in HDF5 (DESIGN.md §4): /model/<parameter path>, /optimizer/<state name>,
// /rng, /step and /meta. Values are stored in their own dtype, so resuming continues bit for bit:
// the loss curve after a resume equals the one without the stop.
#include <filesystem>
#include <functional>

#include "core/rng.hpp"
#include "io/provenance.hpp"
#include "nn/module.hpp"
#include "nn/optimizer.hpp"

namespace anneal::nn {

struct TrainingState {
  std::int64_t step = 0;
  RandomStream::State rng;  // the stream that draws batches, noise, dropout...
};

// Writes atomically (`path.tmp`, then rename). Collective under MPI; every rank holds the same model.
// `extra` writes what else a trainer must resume from (its loss history, say) into the same file
// before it is committed.
void save_checkpoint(const std::filesystem::path& path, const Module& model, const Optimizer& optimizer,
                     const TrainingState& state, const io::Provenance& provenance,
                     const std::function<void(io::H5File&)>& extra = {});

// Restores parameters and optimizer state in place; every dataset is checked against the model
// (names, shapes, dtypes) and a mismatch names the file and the dataset.
TrainingState load_checkpoint(const std::filesystem::path& path, Module& model, Optimizer& optimizer);

}  // namespace anneal::nn
