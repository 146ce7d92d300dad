// Implementation of render/texture_image.h.
#include "render/texture_image.h"

#include "core/input_file.h"
#include "core/limits.h"
#include "core/srgb_transfer.h"

// The stb implementations are compiled here with static linkage, so they cannot clash with another
// copy elsewhere in the program (tinygltf ships its own).
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace invgfx {

bool image_file_size(const std::string& path, int& width, int& height, int* channels) {
  int n = 0;
  const bool ok = stbi_info(path.c_str(), &width, &height, &n) != 0;
  if (channels) *channels = n;
  return ok;
}

template <class T>
TensorT<T> load_texture_image(const std::string& path) {
  const std::string problem = regular_file_problem(path, limits::kMaxPhotoFileBytes);
  if (!problem.empty()) throw std::runtime_error("load_texture_image: '" + path + "': " + problem);
  int w = 0, h = 0, n = 0;
  if (stbi_info(path.c_str(), &w, &h, &n) && static_cast<uint64_t>(w) * static_cast<uint64_t>(h) > limits::kMaxPhotoPixels)
    throw std::runtime_error("load_texture_image: '" + path + "': its header claims " + std::to_string(w) + "x" +
                             std::to_string(h) + " pixels, more than the limit of " +
                             std::to_string(limits::kMaxPhotoPixels / 1000000) + " megapixels");
  unsigned char* px = stbi_load(path.c_str(), &w, &h, &n, 3);
  if (!px) throw std::runtime_error("load_texture_image: cannot read '" + path + "': " + stbi_failure_reason());
  // Decode each of the 256 codes once.
  T lut[256];
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<T>(srgb_decode(i / 255.0));
  TensorT<T> t({3, h, w});
  const int64_t hw = static_cast<int64_t>(h) * w;
  for (int64_t i = 0; i < hw; ++i)
    for (int c = 0; c < 3; ++c) t[c * hw + i] = lut[px[3 * i + c]];
  stbi_image_free(px);
  return t;
}

namespace {
template <class T>
std::vector<unsigned char> to_bytes(const TensorT<T>& img, const char* what, int& w, int& h, int& c) {
  if (img.rank() != 3 || (img.dim(0) != 1 && img.dim(0) != 3 && img.dim(0) != 4) || img.dim(1) < 1 || img.dim(2) < 1)
    throw std::invalid_argument(std::string(what) + ": image must be C×H×W with C in {1, 3, 4}, got " + img.shape().str());
  c = static_cast<int>(img.dim(0));
  h = static_cast<int>(img.dim(1));
  w = static_cast<int>(img.dim(2));
  const int64_t hw = static_cast<int64_t>(h) * w;
  std::vector<unsigned char> b(static_cast<size_t>(hw * c));
  for (int64_t i = 0; i < hw; ++i)
    for (int k = 0; k < c; ++k) {
      const double v = static_cast<double>(img[k * hw + i]);
      b[static_cast<size_t>(i * c + k)] =
          k == 3 ? static_cast<unsigned char>(std::lround(255 * std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0)))
                 : srgb_encode8(v);
    }
  return b;
}
}  // namespace

template <class T>
void save_texture_png(const std::string& path, const TensorT<T>& linear) {
  int w, h, c;
  const std::vector<unsigned char> b = to_bytes(linear, "save_texture_png", w, h, c);
  if (!stbi_write_png(path.c_str(), w, h, c, b.data(), w * c))
    throw std::runtime_error("save_texture_png: cannot write '" + path + "' (missing folder or no permission?)");
}

template <class T>
std::vector<unsigned char> encode_texture_png(const TensorT<T>& linear) {
  int w, h, c;
  const std::vector<unsigned char> b = to_bytes(linear, "encode_texture_png", w, h, c);
  std::vector<unsigned char> out;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) {
        auto* o = static_cast<std::vector<unsigned char>*>(ctx);
        o->insert(o->end(), static_cast<unsigned char*>(data), static_cast<unsigned char*>(data) + size);
      },
      &out, w, h, c, b.data(), w * c);
  if (out.empty()) throw std::runtime_error("encode_texture_png: PNG encoding failed");
  return out;
}

template TensorT<float> load_texture_image<float>(const std::string&);
template TensorT<double> load_texture_image<double>(const std::string&);
template void save_texture_png<float>(const std::string&, const TensorT<float>&);
template void save_texture_png<double>(const std::string&, const TensorT<double>&);
template std::vector<unsigned char> encode_texture_png<float>(const TensorT<float>&);
template std::vector<unsigned char> encode_texture_png<double>(const TensorT<double>&);

}  // namespace invgfx
