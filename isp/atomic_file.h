#pragma once
// Writing a whole file so that readers never see it half-written: the bytes go to a temporary sibling
// "<path>.tmp-<pid>-<n>", which is renamed over `path` only after a successful flush and close. A failed
// write leaves any existing file untouched and removes the temporary.
#include <cstddef>
#include <string>

namespace invgfx {

// Throws std::runtime_error "<who>: cannot write '<path>': <reason>" on any failure.
void write_file_atomically(const std::string& path, const void* data, size_t size, const std::string& who);

}  // namespace invgfx
