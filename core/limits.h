// The resource limits of invgfx in one place, each with the reason for its value. Every reader of
// outside data (photos, RAW files, masks, OBJ templates, JSON configs and ISP pipelines, scene.json,
// sessions, weight files) and every size a configuration asks for is checked against these before
// anything is allocated, and refused with one line that names the file or field and the figure.
#pragma once

#include <cstdint>
#include <string>

namespace invgfx::limits {

inline constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB, kGiB = 1024 * kMiB;

// Working resolution of a fit (pixels, square). Below 16 the encoder cannot halve it; above 2048 a
// step would take minutes on a CPU and the per-pixel buffers of a batch of 8 pass several GiB.
inline constexpr int kMinWorkingSize = 16, kMaxWorkingSize = 2048;
// Above this working size a step takes seconds, not milliseconds: the fit says so before it starts.
inline constexpr int kSlowWorkingSize = 512;
// Step time of BM_Loop/1/128 (about 30 ms on 2 cores), the base of the slow-step estimate, which
// scales with the pixel count.
inline constexpr double kStepSecondsAt128 = 0.03;

// Texture side (texels, power of two). 4096² RGB float is 192 MiB per copy and the decoder's
// texture head, its gradient and Adam's two moments hold four: the most a desktop should be asked for.
inline constexpr int kMaxTextureSize = 4096;
// Channels of any one network layer (encoder, feature network, denoiser), and the decoder's shape
// modes and code size: well above every preset (≤ 256), far below what exhausts memory.
inline constexpr int64_t kMaxNetworkWidth = 4096;
inline constexpr int64_t kMaxShapeModes = 4096;
// What all the parameters of a configuration (with their gradients and Adam moments) may need in
// total before it is refused: a fit beyond it would be killed by the kernel on most desktops.
inline constexpr uint64_t kMaxModelBytes = 8 * kGiB;

// Photos in one fit: each is kept at the working size (a 2048² RGB photo with its mask is 64 MiB).
inline constexpr int64_t kMaxPhotos = 100000;
// Pixels of one decoded photo before it is fitted to the working size: above the largest camera
// sensors (150 Mpx medium format); a header claiming more is refused before decoding.
inline constexpr uint64_t kMaxPhotoPixels = 200'000'000;
// Size of one photo or RAW file (bytes): larger than any camera's RAW (a 150 Mpx 16-bit RAW is 300 MB).
inline constexpr uint64_t kMaxPhotoFileBytes = 2 * kGiB;
// Text inputs (JSON configs, ISP pipelines, scene.json, lists): hand-written or written by invgfx,
// never this large; a larger one is a mistake, not a config.
inline constexpr uint64_t kMaxTextFileBytes = 64 * kMiB;
// OBJ templates: a 10-million-triangle mesh is about 600 MB of text.
inline constexpr uint64_t kMaxObjFileBytes = 1 * kGiB;
// Binary files invgfx writes (sessions, weights): they hold the model and its optimizer state,
// bounded by kMaxModelBytes, plus the photo order and loss table.
inline constexpr uint64_t kMaxBinaryFileBytes = kMaxModelBytes + 1 * kGiB;

// "12.5 GiB", "300 MiB", "512 bytes": a size for messages.
std::string format_bytes(uint64_t bytes);

}  // namespace invgfx::limits
