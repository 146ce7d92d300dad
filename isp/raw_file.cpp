// Implementation of isp/raw_file.h.
#include "isp/raw_file.h"

#include "core/input_file.h"
#include "core/limits.h"

#include <libraw/libraw.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <system_error>

namespace invgfx {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("read_raw: '" + path + "': " + what);
}

// LibRaw reports read errors in the middle of decoding (short reads, corrupt data) through this
// callback instead of a return code, and would print them to stderr without one.
struct DataErrors {
  int count = 0;
  int first_offset = 0;
};
void on_data_error(void* data, const char* /*file*/, const int offset) {
  auto* e = static_cast<DataErrors*>(data);
  if (e->count++ == 0) e->first_offset = offset;
}

std::string trimmed(const char* s) {
  std::string r(s);
  while (!r.empty() && (r.back() == ' ' || r.back() == '\0')) r.pop_back();
  return r;
}

}  // namespace

RawImage read_raw(const std::string& path) {
  // Read through core/input_file.h: only a regular file of at most the photo limit (a FIFO would block
  // LibRaw's own reader forever), then decoded from memory.
  std::string bytes;
  try {
    bytes = read_input_file(path, "RAW file", limits::kMaxPhotoFileBytes);
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what(), prefix = "RAW file '" + path + "': ";
    fail(path, msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : msg);
  }
  return read_raw_memory(bytes, path);
}

RawImage read_raw_memory(const std::string& bytes, const std::string& path) {
  // LibRaw holds several hundred kB of tables inline: keep it off the stack.
  auto lr = std::make_unique<LibRaw>(0u);
  DataErrors errors;
  lr->set_dataerror_handler(&on_data_error, &errors);

  // LibRaw only reads the buffer; its signature predates const.
  int rc = lr->open_buffer(const_cast<char*>(bytes.data()), bytes.size());
  if (rc != LIBRAW_SUCCESS) {
    if (rc == LIBRAW_FILE_UNSUPPORTED)
      fail(path, "not a RAW file LibRaw can read (unsupported format, or corrupt header)");
    if (rc == LIBRAW_IO_ERROR)
      fail(path, "not a RAW file, or truncated: the header ends before its image description");
    fail(path, std::string("cannot open: ") + libraw_strerror(rc));
  }

  const libraw_iparams_t& id = lr->imgdata.idata;
  const libraw_image_sizes_t& sz = lr->imgdata.sizes;
  // Only 2×2 Bayer sensors with three colours: idata.filters encodes the CFA; 9 = X-Trans 6×6,
  // 1 = Leaf 16×16, 0 = no CFA (linear DNG, Foveon, sRAW, monochrome).
  if (id.filters == LIBRAW_XTRANS)
    fail(path, "is an X-Trans (Fujifilm 6x6 CFA) file; only 2x2 Bayer RAWs are supported for now");
  if (id.filters == 0)
    fail(path, "has no Bayer mosaic (" + std::to_string(id.colors) +
                   "-channel linear/monochrome/Foveon data); only 2x2 Bayer RAWs are supported");
  if (id.filters < 1000)
    fail(path, "has a non-2x2 colour filter array; only 2x2 Bayer RAWs are supported");
  if (id.colors != 3)
    fail(path, "has a " + std::to_string(id.colors) +
                   "-colour filter array (e.g. CMYG); only RGB Bayer RAWs are supported");

  // Refuse absurd header sizes before LibRaw allocates the mosaic.
  const uint64_t pixels = static_cast<uint64_t>(sz.raw_width) * sz.raw_height;
  if (pixels > limits::kMaxPhotoPixels)
    fail(path, "its header claims a " + std::to_string(sz.raw_width) + "x" + std::to_string(sz.raw_height) +
                   " sensor, more than the limit of " + std::to_string(limits::kMaxPhotoPixels / 1000000) +
                   " megapixels");

  rc = lr->unpack();
  if (rc != LIBRAW_SUCCESS) fail(path, std::string("cannot decode the raw data: ") + libraw_strerror(rc));
  if (errors.count > 0)
    fail(path, "truncated or corrupt raw data (" + std::to_string(errors.count) +
                   " read error(s), first near byte " + std::to_string(errors.first_offset) + ")");
  const ushort* raw = lr->imgdata.rawdata.raw_image;
  if (raw == nullptr) fail(path, "decoded to non-Bayer data; only 2x2 Bayer RAWs are supported");

  RawImage r;
  r.path = path;
  r.make = trimmed(id.make);
  r.model = trimmed(id.model);
  r.raw_width = sz.raw_width;
  r.raw_height = sz.raw_height;
  r.top_margin = sz.top_margin;
  r.left_margin = sz.left_margin;
  r.width = sz.width;
  r.height = sz.height;
  r.flip = sz.flip;
  if (r.width < 2 || r.height < 2 || r.top_margin + r.height > r.raw_height ||
      r.left_margin + r.width > r.raw_width)
    fail(path, "inconsistent visible area " + std::to_string(r.width) + "x" + std::to_string(r.height) +
                   " at (" + std::to_string(r.left_margin) + ", " + std::to_string(r.top_margin) +
                   ") in a " + std::to_string(r.raw_width) + "x" + std::to_string(r.raw_height) + " sensor");

  // CFA of the visible tile at (0,0): COLOR() already works in visible coordinates; 3 = second green.
  std::array<int, 4> tile{};
  for (int i = 0; i < 4; ++i) {
    const int c = lr->COLOR(i >> 1, i & 1);
    tile[static_cast<size_t>(i)] = c == 3 ? 1 : c;
  }
  try {
    r.cfa = cfa_pattern_from_tile(tile);
  } catch (const std::invalid_argument& e) {
    fail(path, std::string("unsupported CFA layout: ") + e.what());
  }

  // Mosaic of the visible area. raw_pitch is in bytes.
  const size_t pitch = sz.raw_pitch / 2;
  r.mosaic.resize({1, r.height, r.width});
  float* m = r.mosaic.data();
#pragma omp parallel for schedule(static)
  for (int y = 0; y < r.height; ++y) {
    const ushort* row = raw + static_cast<size_t>(y + r.top_margin) * pitch + r.left_margin;
    for (int x = 0; x < r.width; ++x) m[static_cast<size_t>(y) * r.width + x] = static_cast<float>(row[x]);
  }

  // Black level = black + cblack[colour] + cblack pattern (LibRaw::adjust_bl / rawpy data_helper.h).
  const libraw_colordata_t& col = lr->imgdata.color;
  const unsigned pr = col.cblack[4], pc = col.cblack[5];
  const bool has_pattern = pr > 0 && pc > 0 && pr * pc <= LIBRAW_CBLACK_SIZE - 6;
  r.black_rows = has_pattern ? static_cast<int>(std::lcm(2u, pr)) : 2;
  r.black_cols = has_pattern ? static_cast<int>(std::lcm(2u, pc)) : 2;
  r.black_pattern.assign(static_cast<size_t>(r.black_rows * r.black_cols), 0.f);
  std::array<double, 4> sum{0, 0, 0, 0};
  std::array<int, 4> n{0, 0, 0, 0};
  r.black_min = 65535.f;
  for (int y = 0; y < r.black_rows; ++y)
    for (int x = 0; x < r.black_cols; ++x) {
      double b = static_cast<double>(col.black) + col.cblack[lr->COLOR(y, x)];
      if (has_pattern) b += col.cblack[6 + (y % pr) * pc + (x % pc)];
      r.black_pattern[static_cast<size_t>(y * r.black_cols + x)] = static_cast<float>(b);
      const int k = ((y & 1) << 1) | (x & 1);
      sum[static_cast<size_t>(k)] += b;
      ++n[static_cast<size_t>(k)];
      r.black_min = std::min(r.black_min, static_cast<float>(b));
    }
  for (size_t k = 0; k < 4; ++k) r.black_level[k] = static_cast<float>(sum[k] / n[k]);
  r.white_level = static_cast<float>(col.maximum);
  if (!(r.white_level > r.black_min))
    fail(path, "white level " + std::to_string(col.maximum) + " is not above the black level " +
                   std::to_string(r.black_min));

  // White balance: as-shot (cam_mul) relative to green; LibRaw uses -1 or 0 for "not recorded".
  const float* cm = col.cam_mul;
  r.has_as_shot_wb = cm[0] > 0.f && cm[1] > 0.f && cm[2] > 0.f;
  const float* pm = col.pre_mul;
  if (pm[0] > 0.f && pm[1] > 0.f && pm[2] > 0.f)
    r.daylight_wb = {pm[0] / pm[1], 1.f, pm[2] / pm[1]};
  r.as_shot_wb = r.has_as_shot_wb ? std::array<float, 3>{cm[0] / cm[1], 1.f, cm[2] / cm[1]} : r.daylight_wb;

  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r.cam_to_srgb(i, j) = col.rgb_cam[i][j];
  if (!r.cam_to_srgb.allFinite()) fail(path, "camera colour matrix is not finite");

  // XYZ → camera: LibRaw's table (cam_xyz) for proprietary RAWs, the DNG ColorMatrix otherwise,
  // preferring the D65 calibration (EXIF LightSource 21) when there are two.
  auto nonzero = [](const float (*mtx)[3]) {
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        if (mtx[i][j] != 0.f) return true;
    return false;
  };
  // LibRaw 0.20 does not set dng_color[].parsedfields, so a DNG matrix is recognised by being non-zero.
  const float(*xyz)[3] = nullptr;
  if (nonzero(col.cam_xyz)) xyz = col.cam_xyz;
  for (int k = 0; k < 2 && xyz == nullptr; ++k)
    if (nonzero(col.dng_color[k].colormatrix) && col.dng_color[k].illuminant == 21) xyz = col.dng_color[k].colormatrix;
  for (int k = 0; k < 2 && xyz == nullptr; ++k)
    if (nonzero(col.dng_color[k].colormatrix)) xyz = col.dng_color[k].colormatrix;
  if (xyz != nullptr) {
    r.has_xyz_to_cam = true;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) r.xyz_to_cam(i, j) = xyz[i][j];
  }

  const libraw_imgother_t& other = lr->imgdata.other;
  r.iso = other.iso_speed;
  r.shutter_s = other.shutter;
  r.aperture = other.aperture;
  // Not flagged in parsedfields by LibRaw 0.20; an absent tag leaves 0 or a sentinel out of range.
  const float be = col.dng_levels.baseline_exposure;
  r.baseline_exposure = std::isfinite(be) && std::fabs(be) <= 16.f ? be : 0.f;
  return r;
}

}  // namespace invgfx
