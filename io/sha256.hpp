#pragma once
// SHA-256 (FIPS 180-4). Outputs record the SHA-256 of every input file in /meta/source_files, so a
// result can be traced to the exact bytes it was computed from.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace anneal::io {

// Files are hashed in chunks of this many bytes, so memory stays flat for multi-GB inputs.
inline constexpr std::size_t kSha256FileChunkBytes = std::size_t{1} << 16;

// Incremental hasher: update() any number of times, then digest() once.
class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256() noexcept;
  void update(const void* data, std::size_t size) noexcept;
  void update(std::string_view bytes) noexcept { update(bytes.data(), bytes.size()); }
  // Pads and finishes; the hasher must not be updated afterwards.
  Digest digest() noexcept;

 private:
  void compress(const std::uint8_t* block) noexcept;

  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

// 64 lowercase hex characters.
std::string to_hex(const Sha256::Digest& digest);

std::string sha256_hex(std::string_view bytes);
// Throws anneal::Error naming the path when the file cannot be opened or read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace anneal::io
