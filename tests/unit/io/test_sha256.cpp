#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "io/sha256.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::io::Sha256;
using anneal::io::sha256_file_hex;
using anneal::io::sha256_hex;

namespace {

const std::string kMillionA(1'000'000, 'a');
constexpr const char* kMillionAHash =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

// Binary content with zero bytes and every byte value, so no text-mode translation can hide.
std::string pseudo_random_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  std::uint32_t x = 12345;
  for (char& c : bytes) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return bytes;
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

}  // namespace

TEST_CASE("SHA-256 of the FIPS 180-2 test messages", "[sha256]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(kMillionA) == kMillionAHash);
  // The two-block 896-bit message of the SHA-2 examples.
  CHECK(sha256_hex(
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqkl"
            "mnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("SHA-256 of the empty message", "[sha256]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("SHA-256 at the padding boundaries (55, 56, 64 bytes)", "[sha256]") {
  // 55 bytes leave room for the length in the same block, 56 do not, 64 fill a block exactly.
  // Expected values from Python's hashlib.
  CHECK(sha256_hex(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(sha256_hex(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(sha256_hex(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("incremental SHA-256 is independent of how the input is split", "[sha256]") {
  const std::string bytes = pseudo_random_bytes(1000);
  const std::string whole = sha256_hex(bytes);
  for (std::size_t piece : {1u, 3u, 63u, 64u, 65u, 127u, 999u}) {
    Sha256 hasher;
    for (std::size_t at = 0; at < bytes.size(); at += piece)
      hasher.update(std::string_view(bytes).substr(at, piece));
    CHECK(anneal::io::to_hex(hasher.digest()) == whole);
  }
}

TEST_CASE("SHA-256 of a file equals that of its bytes", "[sha256]") {
  anneal::test::TempDir dir;
  constexpr std::size_t chunk = anneal::io::kSha256FileChunkBytes;
  static_assert(chunk % 64 == 0);
  // Several chunks and a multiple of 64 bytes; exactly two chunks; a ragged size; one byte; empty.
  for (std::size_t size :
       {3 * chunk + 64 * 5, 2 * chunk, 2 * chunk + 17, std::size_t{1}, std::size_t{0}}) {
    const std::string bytes = pseudo_random_bytes(size);
    const auto path = dir / fmt::format("data_{}.bin", size);
    write_file(path, bytes);
    INFO("file size " << size);
    CHECK(sha256_file_hex(path) == sha256_hex(bytes));
  }
  // And against an independent value, not only against ourselves.
  write_file(dir / "million_a.txt", kMillionA);
  CHECK(sha256_file_hex(dir / "million_a.txt") == kMillionAHash);
}

TEST_CASE("SHA-256 of an unreadable file names the path", "[sha256]") {
  anneal::test::TempDir dir;
  const auto missing = dir / "no_such_file.h5";
  CHECK_THROWS_WITH(sha256_file_hex(missing), Catch::Contains(missing.string()));
  CHECK_THROWS_AS(sha256_file_hex(missing), anneal::Error);
  // A directory opens on Linux but cannot be read; it must not hash as an empty file.
  CHECK_THROWS_WITH(sha256_file_hex(dir.path()), Catch::Contains(dir.path().string()));
}
