#pragma once
// Atomic outputs: a file is written as `<name>.tmp` and renamed to `<name>` only once complete, so
// a crash, a kill or an error leaves either no file or the previous complete one under the final
// name, never a truncated one. Inputs are never overwritten.
#include <filesystem>
#include <vector>

namespace anneal::io {

class AtomicOutput {
 public:
  // Collective when MPI runs on several ranks (rank 0 does the file-system work). Throws if
  // `final_path` names one of `inputs` or its directory does not exist.
  explicit AtomicOutput(std::filesystem::path final_path, const std::vector<std::filesystem::path>& inputs = {});
  ~AtomicOutput();  // not committed: removes the temporary file
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& final_path() const { return final_; }
  // Call after the temporary file is closed on every rank: syncs it and renames it into place.
  void commit();

 private:
  std::filesystem::path final_, temp_;
  bool committed_ = false;
};

// Writes `text` to `path` atomically (small text outputs: XDMF, JSON).
void write_text_atomically(const std::filesystem::path& path, const std::string& text,
                           const std::vector<std::filesystem::path>& inputs = {});

}  // namespace anneal::io
