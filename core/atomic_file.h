// Writing files (sessions, exports, DNGs, PNGs) so that a crash or a full disk never leaves a
// half-written file behind: write to a temporary file in the same folder, flush it to disk, then rename
// over the target (rename within one file system is atomic on POSIX).
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string_view>

namespace invgfx {

// Calls `write` with a stream on a temporary file beside `path`, then renames it to `path`. Throws
// std::runtime_error naming the path when the folder is missing or unwritable, or the write fails;
// the previous file at `path`, if any, is then left untouched.
void write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

// Removes the temporary files that write_file_atomically(path, …) left behind when the process was
// killed mid-write (".<name>.tmp<digits>" beside `path`), those untouched for at least `min_age_s`
// seconds (a younger one may belong to a write in progress). Returns how many it removed.
int remove_stale_temporaries(const std::filesystem::path& path, double min_age_s = 30);

// Convenience for bytes already in memory.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace invgfx
