#pragma once
// The pictures anneal draws come from its Python post-processing package (python/anneal_post,
// h5py + matplotlib), run as a child process.
#include <filesystem>
#include <string>
#include <vector>

namespace anneal::apps {

// Renders field `field` of `h5` to `png` (extra arguments as for `python3 -m anneal_post render`).
// Returns false, with a warning, when no suitable Python is available; throws if rendering fails.
bool render_png(const std::filesystem::path& h5, const std::string& field, const std::filesystem::path& png,
                const std::vector<std::string>& extra_args = {});

// Runs `python3 -m anneal_post <arguments>`, which writes `png`; the same contract as render_png.
bool run_post(const std::vector<std::string>& arguments, const std::filesystem::path& png);

}  // namespace anneal::apps
