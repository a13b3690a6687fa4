#pragma once
// The /meta group every anneal output carries (DESIGN.md §4): what made the file, from what, how.
#include <filesystem>
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"

namespace anneal::io {

struct Provenance {
  std::string command;                              // the command line as typed
  std::string config_json;                          // the effective configuration (JSON text)
  std::string device = "cpu";                       // "cpu", "cuda:0"
  std::vector<std::filesystem::path> source_files;  // inputs; hashed with SHA-256
};

// Writes /meta with attributes anneal_version, git_sha, command, config, created (ISO-8601 UTC),
// mpi_ranks, device and source_files (JSON: [{"path", "sha256"}]). Collective; rank 0 decides
// the timestamp and the digests and every rank writes the same values.
void write_provenance(H5File& file, const Provenance& provenance);

// "2026-11-27T02:22:52Z"
std::string utc_timestamp_now();

}  // namespace anneal::io
