#include "io/provenance.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>

#include "core/mpi_env.hpp"
#include "core/version.hpp"
#include "io/sha256.hpp"

namespace anneal::io {

std::string utc_timestamp_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void write_provenance(H5File& file, const Provenance& provenance) {
  std::string sources = "[]", created;
  if (mpi::rank() == 0) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& path : provenance.source_files) {
      std::error_code ec;
      list.push_back({{"path", std::filesystem::absolute(path, ec).string()}, {"sha256", sha256_file_hex(path)}});
    }
    sources = list.dump();
    created = utc_timestamp_now();
  }
  sources = mpi::broadcast(sources);
  created = mpi::broadcast(created);

  file.create_group("/meta");
  file.set_attribute("/meta", "anneal_version", std::string(version()));
  file.set_attribute("/meta", "git_sha", std::string(git_sha()));
  file.set_attribute("/meta", "command", provenance.command);
  file.set_attribute("/meta", "config", provenance.config_json.empty() ? std::string("{}") : provenance.config_json);
  file.set_attribute("/meta", "created", created);
  file.set_attribute("/meta", "mpi_ranks", static_cast<std::int64_t>(mpi::size()));
  file.set_attribute("/meta", "device", provenance.device);
  file.set_attribute("/meta", "source_files", sources);
}

}  // namespace anneal::io
