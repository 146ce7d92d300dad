// Implementation of isp/develop.h.
#include "isp/develop.h"

#include "core/atomic_file.h"
#include "core/input_file.h"
#include "core/limits.h"
#include "isp/color_matrix.h"

#include <libraw/libraw.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

// stb_image_write with internal linkage, so that another module's copy cannot clash at link time.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace invgfx {

nlohmann::json default_develop_isp_json() {
  return nlohmann::json::parse(R"({
    "stages": [
      {"stage": "black_white_level"},
      {"stage": "white_balance", "params": {"clip_highlights": true}},
      {"stage": "demosaic", "params": {"method": "bilinear"}},
      {"stage": "color_matrix"},
      {"stage": "srgb"}
    ]
  })");
}

IspRawSettings isp_raw_settings(const RawImage& raw) {
  IspRawSettings s;
  s.cfa = raw.cfa;
  const auto tile = cfa_tile(raw.cfa);
  for (size_t k = 0; k < 4; ++k) s.black[k] = raw.black_level[k];

  // LibRaw's scale is 1/(white − min black) for every site; give green exactly that scale through the
  // single white level, and the red and blue sites theirs through the white-balance gains.
  const double scale_range = static_cast<double>(raw.white_level) - raw.black_min;
  double green_black = 0.0;
  int n_green = 0;
  for (size_t k = 0; k < 4; ++k)
    if (tile[k] == 1) {
      green_black += s.black[k];
      ++n_green;
    }
  green_black /= n_green;
  s.white = scale_range + green_black;

  const std::array<float, 3>& wb = raw.as_shot_wb;
  s.wb_gains = {wb[0] / wb[1], 1.0, wb[2] / wb[1]};
  for (int c : {0, 2}) {
    const int site = cfa_tile_index_of(raw.cfa, c);
    s.wb_gains[static_cast<size_t>(c)] *= (s.white - s.black[static_cast<size_t>(site)]) / scale_range;
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) s.camera_to_srgb[static_cast<size_t>(3 * i + j)] = raw.cam_to_srgb(i, j);
  return s;
}

IspPipeline make_develop_pipeline(const RawImage& raw, const nlohmann::json& isp_config) {
  return make_develop_pipeline(isp_raw_settings(raw), isp_config);
}

IspPipeline make_develop_pipeline(const IspRawSettings& settings, const nlohmann::json& isp_config) {
  const nlohmann::json cfg = isp_config.is_null() ? default_develop_isp_json() : isp_config;
  IspPipeline isp = IspPipeline::from_json(cfg);
  isp.apply_raw_settings(settings);
  // The white-balance stage keeps green at 1 and clips at the smallest gain m; LibRaw divides by the
  // smallest multiplier and clips at 1. When green is not the smallest (m < 1) the two differ by the
  // factor m everywhere, clipped pixels included, so the colour matrix takes 1/m (its rows then sum
  // to 1/m, an exposure the stage allows with rows_sum_to_one = false).
  const double m = std::min({settings.wb_gains[0], settings.wb_gains[1], settings.wb_gains[2]});
  if (m < 1.0)
    if (auto* cm = dynamic_cast<ColorMatrix*>(isp.stage("color_matrix"))) {
      ColorMatrixParams p = cm->params();
      for (double& v : p.matrix) v /= m;
      p.rows_sum_to_one = false;
      cm->set_params(p);
    }
  // Explicit values in the configuration override the metadata.
  isp.apply_explicit_params(cfg);
  return isp;
}

Tensor develop(const RawImage& raw, const DevelopConfig& config) {
  IspPipeline isp;
  try {
    isp = make_develop_pipeline(raw, config.isp);
  } catch (const std::exception& e) {
    throw std::invalid_argument("develop '" + raw.path + "': bad ISP configuration: " + e.what());
  }
  Tensor srgb;
  isp.forward(raw.mosaic, srgb);
  if (srgb.rank() != 3 || srgb.dim(0) != 3)
    throw std::invalid_argument("develop '" + raw.path + "': the ISP configuration produced " +
                                srgb.shape().str() + ", expected an RGB 3×H×W image (is demosaic missing?)");
  Tensor out = config.orient ? orient_image(srgb, raw.flip) : std::move(srgb);
  if (config.clip)
    for (float& v : out) v = std::isfinite(v) ? std::clamp(v, 0.f, 1.f) : 0.f;
  return out;
}

Tensor develop_raw(const std::string& path, const DevelopConfig& config) {
  return develop(read_raw(path), config);
}

Tensor develop_raw_libraw(const std::string& path) {
  auto lr = std::make_unique<LibRaw>(0u);
  auto& p = lr->imgdata.params;
  p.user_qual = 0;          // bilinear (lin_interpolate)
  p.use_camera_wb = 1;      // cam_mul
  p.use_camera_matrix = 1;  // rgb_cam from the file / table
  p.highlight = 0;          // clip, multipliers divided by the smallest
  p.no_auto_bright = 1;
  p.output_color = 1;  // sRGB
  p.output_bps = 16;
  p.gamm[0] = 1.0 / 2.4;
  p.gamm[1] = 12.92;
  p.adjust_maximum_thr = 0.f;  // keep the metadata white level
  p.half_size = 0;
  auto check = [&](int rc, const char* step) {
    if (rc != LIBRAW_SUCCESS)
      throw std::runtime_error("develop_raw_libraw: '" + path + "': " + step + ": " + libraw_strerror(rc));
  };
  require_regular_file(path, "develop_raw_libraw: RAW file", limits::kMaxPhotoFileBytes);  // a FIFO would block LibRaw
  check(lr->open_file(path.c_str()), "open_file");
  check(lr->unpack(), "unpack");
  check(lr->dcraw_process(), "dcraw_process");
  int rc = LIBRAW_SUCCESS;
  libraw_processed_image_t* img = lr->dcraw_make_mem_image(&rc);
  check(rc, "dcraw_make_mem_image");
  if (img == nullptr) throw std::runtime_error("develop_raw_libraw: '" + path + "': no image produced");
  std::unique_ptr<libraw_processed_image_t, void (*)(libraw_processed_image_t*)> guard(
      img, [](libraw_processed_image_t* q) { LibRaw::dcraw_clear_mem(q); });
  if (img->type != LIBRAW_IMAGE_BITMAP || img->colors != 3 || img->bits != 16)
    throw std::runtime_error("develop_raw_libraw: '" + path + "': unexpected output format");
  const int64_t h = img->height, w = img->width;
  Tensor out({3, h, w});
  const auto* d = reinterpret_cast<const uint16_t*>(img->data);
  for (int64_t i = 0; i < h * w; ++i)
    for (int64_t c = 0; c < 3; ++c) out[c * h * w + i] = static_cast<float>(d[3 * i + c]) / 65535.f;
  return out;
}

Tensor orient_image(const Tensor& img, int flip) {
  if (img.rank() != 3) throw std::invalid_argument("orient_image: expected C×H×W, got " + img.shape().str());
  const int64_t c = img.dim(0), h = img.dim(1), w = img.dim(2);
  const bool transpose = flip & 4;
  const int64_t oh = transpose ? w : h, ow = transpose ? h : w;
  Tensor out({c, oh, ow});
  for (int64_t k = 0; k < c; ++k)
    for (int64_t r = 0; r < oh; ++r)
      for (int64_t q = 0; q < ow; ++q) {
        int64_t sr = transpose ? q : r, sc = transpose ? r : q;
        if (flip & 2) sr = h - 1 - sr;
        if (flip & 1) sc = w - 1 - sc;
        out[(k * oh + r) * ow + q] = img[(k * h + sr) * w + sc];
      }
  return out;
}

namespace {

void append_be32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}

uint32_t crc32(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

void append_chunk(std::vector<uint8_t>& png, const char type[4], const uint8_t* data, size_t n) {
  append_be32(png, static_cast<uint32_t>(n));
  const size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data, data + n);
  append_be32(png, crc32(png.data() + start, n + 4));
}

// PNG with 16-bit samples (stb_image_write only writes 8-bit): IHDR, one IDAT compressed with stb's
// zlib, IEND (PNG spec, ISO/IEC 15948). Each row uses the "Up" filter, which suits smooth photos.
std::vector<uint8_t> encode_png16(const std::vector<uint16_t>& px, int w, int h, int comp) {
  const size_t row_bytes = static_cast<size_t>(w) * comp * 2;
  std::vector<uint8_t> raw((row_bytes + 1) * h), prev(row_bytes, 0), cur(row_bytes);
  for (int y = 0; y < h; ++y) {
    for (size_t i = 0; i < static_cast<size_t>(w) * comp; ++i) {
      const uint16_t v = px[static_cast<size_t>(y) * w * comp + i];
      cur[2 * i] = static_cast<uint8_t>(v >> 8);
      cur[2 * i + 1] = static_cast<uint8_t>(v & 0xff);
    }
    uint8_t* dst = raw.data() + static_cast<size_t>(y) * (row_bytes + 1);
    dst[0] = 2;  // Up
    for (size_t i = 0; i < row_bytes; ++i) dst[1 + i] = static_cast<uint8_t>(cur[i] - prev[i]);
    std::swap(prev, cur);
  }
  int zlen = 0;
  unsigned char* z = stbi_zlib_compress(raw.data(), static_cast<int>(raw.size()), &zlen, 8);
  if (z == nullptr) throw std::runtime_error("write_png: compression failed");
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> ihdr;
  append_be32(ihdr, static_cast<uint32_t>(w));
  append_be32(ihdr, static_cast<uint32_t>(h));
  ihdr.push_back(16);                              // bit depth
  ihdr.push_back(static_cast<uint8_t>(comp == 3 ? 2 : 0));  // truecolour / greyscale
  ihdr.push_back(0);                               // deflate
  ihdr.push_back(0);                               // adaptive filtering
  ihdr.push_back(0);                               // no interlace
  append_chunk(png, "IHDR", ihdr.data(), ihdr.size());
  append_chunk(png, "IDAT", z, static_cast<size_t>(zlen));
  STBIW_FREE(z);
  append_chunk(png, "IEND", nullptr, 0);
  return png;
}

void append_bytes(void* ctx, void* data, int size) {
  auto* v = static_cast<std::vector<uint8_t>*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  v->insert(v->end(), p, p + size);
}

}  // namespace

void write_png(const std::string& path, const Tensor& img, int bits) {
  if (bits != 8 && bits != 16)
    throw std::invalid_argument("write_png: '" + path + "': bits must be 8 or 16, got " + std::to_string(bits));
  const Shape& s = img.shape();
  if (s.rank() != 3 || (s[0] != 1 && s[0] != 3) || s[1] < 1 || s[2] < 1)
    throw std::invalid_argument("write_png: '" + path + "': image must be 1×H×W or 3×H×W, got " + s.str());
  const int comp = static_cast<int>(s[0]), h = static_cast<int>(s[1]), w = static_cast<int>(s[2]);
  const int64_t plane = static_cast<int64_t>(h) * w;
  const float peak = bits == 8 ? 255.f : 65535.f;
  std::vector<uint16_t> px(static_cast<size_t>(plane * comp));
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < comp; ++c) {
      const float v = img[c * plane + i];
      if (!std::isfinite(v))
        throw std::invalid_argument("write_png: '" + path + "': image holds a non-finite value");
      px[static_cast<size_t>(i * comp + c)] = static_cast<uint16_t>(std::lround(std::clamp(v, 0.f, 1.f) * peak));
    }
  std::vector<uint8_t> file;
  if (bits == 16) {
    file = encode_png16(px, w, h, comp);
  } else {
    std::vector<uint8_t> px8(px.begin(), px.end());
    if (!stbi_write_png_to_func(&append_bytes, &file, w, h, comp, px8.data(), w * comp))
      throw std::runtime_error("write_png: '" + path + "': PNG encoding failed");
  }
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(file.data()), file.size()));
}

}  // namespace invgfx
