// Opening files that come from outside: only regular files are read (a FIFO, a device or a folder
// given as a photo, config or session would block or read forever), and never more than the limit of
// their kind (core/limits.h). Every refusal is one line naming the file and the problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace invgfx {

// The size of `path` if it is a regular file (symbolic links followed) of at most `max_bytes`;
// otherwise throws std::runtime_error "<what> '<path>': <problem>" (no such file, not a regular file:
// a FIFO/device/folder, larger than the limit).
uint64_t require_regular_file(const std::filesystem::path& path, const std::string& what, uint64_t max_bytes);

// The same check without throwing: "" when `path` is a readable regular file of at most `max_bytes`,
// else the problem ("not a regular file (a FIFO)", "2.1 GiB, more than the limit of 2 GiB", ...).
std::string regular_file_problem(const std::filesystem::path& path, uint64_t max_bytes);

// The whole file as bytes. Opens without blocking and checks the opened file itself (so a file
// swapped for a FIFO after the check is still refused), reads exactly its size. Throws as above.
std::string read_input_file(const std::filesystem::path& path, const std::string& what, uint64_t max_bytes);

}  // namespace invgfx
