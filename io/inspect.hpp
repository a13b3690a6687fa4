#pragma once
// What is in an HDF5 file: every group and dataset with shape, type and attributes, and the
// provenance recorded in /meta. Backs `anneal inspect` (text for people, JSON for scripts).
#include <nlohmann/json.hpp>

#include <string>

#include "io/hdf5_file.hpp"

namespace anneal::io {

// {"file": ..., "objects": [{"path", "kind": "group"|"dataset", "dtype", "shape", "attributes"}],
//  "meta": {attributes of /meta} or null}
nlohmann::json describe_file(const H5File& file);
// An indented tree followed by a summary of /meta.
std::string describe_text(const nlohmann::json& description);

}  // namespace anneal::io
