#include "io/atomic_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <system_error>

#include "core/error.hpp"
#include "core/mpi_env.hpp"

namespace anneal::io {
namespace {

// Two paths name the same file if they resolve to the same inode (hard links, symlinks, ../).
bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec)) return std::filesystem::equivalent(a, b, ec);
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

void fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicOutput::AtomicOutput(std::filesystem::path final_path, const std::vector<std::filesystem::path>& inputs)
    : final_(std::move(final_path)) {
  ANNEAL_CHECK(!final_.empty() && final_.has_filename(), "output path '{}' does not name a file", final_.string());
  for (const auto& input : inputs)
    ANNEAL_CHECK(!same_file(final_, input), "output '{}' is the input '{}'; anneal never overwrites its inputs "
                 "(choose another output name)", final_.string(), input.string());
  const auto dir = final_.has_parent_path() ? final_.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  ANNEAL_CHECK(std::filesystem::is_directory(dir, ec), "output directory '{}' does not exist (create it first)",
               dir.string());
  temp_ = final_;
  temp_ += ".tmp";
}

AtomicOutput::~AtomicOutput() {
  if (committed_ || mpi::rank() != 0) return;
  std::error_code ignored;
  std::filesystem::remove(temp_, ignored);
}

void AtomicOutput::commit() {
  mpi::barrier();  // every rank has closed its handle on the temporary file
  bool ok = true;
  std::string why;
  if (mpi::rank() == 0) {
    // The data must be on disk before the rename makes it visible under the final name.
    fsync_path(temp_, O_RDONLY);
    if (std::rename(temp_.c_str(), final_.c_str()) != 0) {
      ok = false;
      why = std::error_code(errno, std::generic_category()).message();
    } else {
      fsync_path(final_.has_parent_path() ? final_.parent_path() : ".", O_RDONLY | O_DIRECTORY);
    }
  }
  ok = !mpi::any_rank(!ok);
  ANNEAL_CHECK(ok, "cannot move '{}' into place as '{}': {}", temp_.string(), final_.string(), why);
  committed_ = true;
}

void write_text_atomically(const std::filesystem::path& path, const std::string& text,
                           const std::vector<std::filesystem::path>& inputs) {
  AtomicOutput out(path, inputs);
  if (mpi::rank() == 0) {
    std::ofstream file(out.temp_path(), std::ios::binary | std::ios::trunc);
    file << text;
    file.close();
    ANNEAL_CHECK(file.good(), "cannot write '{}' (disk full?)", out.temp_path().string());
  }
  out.commit();
}

}  // namespace anneal::io
