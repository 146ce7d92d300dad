// The model file (model.invgfx): a trained reconstruction network as one self-contained, reusable
// file — everything `predict` needs to turn a new photo into a scene in one forward pass: the
// configuration (render and ISP settings, the network's options, the working size), the template
// mesh the decoder deforms, every parameter of the network (encoder, decoder heads, the loss's
// feature network) and of the camera (ISP), the camera's plain fields, and a little JSON about how it
// was trained (iteration, validation loss).
//
// Layout, version 1 (little-endian; strings are u64 length + bytes, tensors as core/binary_io.h):
//   "IGXMODEL", u32 version,
//   string configuration JSON (LoopConfig), string info JSON,
//   template: tensor positions (V×3), u64 count + i32 each (faces), tensor uvs, u64 count + i32 each
//             (uv_faces), tensors normals, colors and texture (each empty when none), string name,
//   u64 field count + {string name, u64 count + f64 each},
//   u64 tensor count + {string name, tensor},
//   "IGXEND\0\0", u32 CRC-32 of every byte before it.
// The decoder is a plain function over bytes (decode_model_bytes), so a fuzzer can drive it: it checks
// the magic, the version and the checksum before it believes anything, then every count and index.
#pragma once

#include "core/tensor.h"
#include "render/mesh.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace invgfx {

inline constexpr uint32_t kModelVersion = 1;

struct ModelContents {
  nlohmann::json config;   // LoopConfig::to_json()
  nlohmann::json info;     // how it was made: {"iteration", "val_loss", "train_photos", …}
  Mesh template_mesh;      // the decoder's template, whole
  std::vector<std::pair<std::string, std::vector<double>>> fields;  // the camera's, traversal order
  std::vector<std::pair<std::string, Tensor>> tensors;              // every parameter, visit order
};

// The file's bytes.
std::string encode_model_bytes(const ModelContents& contents);
// Parses and checks the bytes; `what` starts every message ("model file 'run/model.invgfx'"). Throws
// std::runtime_error "<what>: <problem>" (not a model, another version, corrupt, truncated).
ModelContents decode_model_bytes(std::string_view bytes, const std::string& what);

// Writes atomically (temp file + rename). Throws std::runtime_error naming the path.
void write_model_file(const std::filesystem::path& path, const ModelContents& contents);
// Reads and checks a whole file. Throws std::runtime_error "model file '<path>': <problem>".
ModelContents read_model_file(const std::filesystem::path& path);

}  // namespace invgfx
