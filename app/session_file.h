// The session file: everything needed to continue a fit exactly, and to know what it was a fit of —
// the configuration, the inputs (photos, lists or folders), the masks, the loop's plain state
// (loop_state.h), the camera's fields (core/traverse.h: plain settings such as sharpen.sigma that no
// optimizer holds), every parameter tensor and every optimizer's state. Either face resumes it: the
// window opens a session the CLI wrote, `invgfx-cli fit --resume` continues one the window saved.
//
// Layout, version 2 (little-endian; strings are u64 length + bytes, tensors as core/binary_io.h):
//   "IGXSESSN", u32 version,
//   string configuration JSON,
//   u64 input count + {string path relative to the session file's folder ("" when there is none),
//                      string absolute path}, string masks, u8 masks inverted,
//   u64 photo count, i64 iteration, u8 refining,
//   u64 order count + i64 each, i64 order position, i64 refinement position, string RNG state,
//   f64 learning-rate factor, u64 sensor frame, u64 count + f64 each (every photo's last loss),
//   u64 field count + {string name, u64 count + f64 each},
//   u64 tensor count + {string name, tensor},
//   u64 optimizer count + {string name, string state},
//   "IGXEND\0\0", u32 CRC-32 of every byte before it.
// Version 1 files (no inputs, no checksum) are refused with a message saying so. The reader checks
// the checksum before it believes anything, then every count and index (LoopState::check), so a
// damaged or crafted file is refused with one line naming the file and the problem.
#pragma once

#include "app/loop_state.h"
#include "core/tensor.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace invgfx {

inline constexpr uint32_t kSessionVersion = 2;

// What a fit was loaded from (app/fit_request.h decides the defaults).
struct SessionInputs {
  std::vector<std::filesystem::path> inputs;  // photos, lists, folders
  std::string masks;                          // "" none, "auto", or a folder
  bool invert_masks = false;
};

struct SessionContents {
  nlohmann::json config;
  SessionInputs inputs;
  uint64_t photos = 0;
  LoopState state;
  std::vector<std::pair<std::string, std::vector<double>>> fields;
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::vector<std::pair<std::string, std::string>> optimizers;
};

// Writes atomically (temp file + rename); tensors are written from `tensors` (contents.tensors is
// ignored, so the caller need not copy its parameters). Throws std::runtime_error naming the path.
void write_session_file(const std::filesystem::path& path, const SessionContents& contents,
                        const std::vector<std::pair<std::string, const Tensor*>>& tensors);

// Reads and checks a whole session (LoopState::check included). Inputs come back resolved: the
// relative path when it exists from the session's folder, else the absolute one. Throws
// std::runtime_error "session file '<path>': <problem>".
SessionContents read_session_file(const std::filesystem::path& path);

}  // namespace invgfx
