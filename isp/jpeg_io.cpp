#include "isp/jpeg_io.h"

#include "core/atomic_file.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

namespace invgfx {
namespace {

// libjpeg reports fatal errors through error_exit (which must not return) and warnings through
// emit_message(level −1). Both end up here; the message is kept for the exception thrown after the
// longjmp, outside any frame that holds objects with destructors.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {0};
};

void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings that mean image data is missing or garbled are errors; the others (an unknown JFIF
// revision, extraneous bytes before a marker) leave the pixels intact and are ignored.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF || code == JWRN_HUFF_BAD_CODE || code == JWRN_HIT_MARKER ||
      code == JWRN_MUST_RESYNC || code == JWRN_NOT_SEQUENTIAL ||
      code == JWRN_BOGUS_PROGRESSION)
    on_error_exit(cinfo);
}

uint16_t read16(const unsigned char* p, bool le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
uint32_t read32(const unsigned char* p, bool le) {
  return le ? p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24
            : static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

// Decodes into the caller's buffers; returns false with err.message set on failure. Only trivially
// destructible objects live in this frame, so longjmp out of libjpeg is safe.
bool decode_into(const unsigned char* data, size_t size, std::vector<unsigned char>& pixels, int& width,
                 int& height, int& orientation, ErrorManager& err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = &on_error_exit;
  err.pub.emit_message = &on_message;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next)
    if (m->marker == JPEG_APP0 + 1) {
      const int o = exif_orientation(std::string_view(reinterpret_cast<const char*>(m->data), m->data_length));
      if (o != 1) orientation = o;
    }
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    std::snprintf(err.message, sizeof err.message, "CMYK/YCCK JPEGs are not supported (need RGB or greyscale)");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  // A header claiming more than the photo limit is refused before libjpeg allocates for it.
  if (static_cast<uint64_t>(cinfo.image_width) * cinfo.image_height > limits::kMaxPhotoPixels) {
    std::snprintf(err.message, sizeof err.message, "its header claims %ux%u pixels, more than the limit of %llu megapixels",
                  cinfo.image_width, cinfo.image_height,
                  static_cast<unsigned long long>(limits::kMaxPhotoPixels / 1000000));
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  width = static_cast<int>(cinfo.output_width);
  height = static_cast<int>(cinfo.output_height);
  pixels.resize(static_cast<size_t>(width) * height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels.data() + static_cast<size_t>(cinfo.output_scanline) * width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool encode_into(const std::vector<unsigned char>& pixels, int width, int height, const JpegEncodeOptions& o,
                 const std::string& exif, unsigned char*& out, unsigned long& out_size, ErrorManager& err) {
  jpeg_compress_struct cinfo;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = &on_error_exit;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, o.quality, TRUE);
  const int h = o.subsampling == ChromaSubsampling::k444 ? 1 : 2;
  const int v = o.subsampling == ChromaSubsampling::k420 ? 2 : 1;
  cinfo.comp_info[0].h_samp_factor = h;
  cinfo.comp_info[0].v_samp_factor = v;
  for (int c = 1; c < 3; ++c) cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
  jpeg_start_compress(&cinfo, TRUE);
  if (!exif.empty())
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(exif.data()),
                      static_cast<unsigned>(exif.size()));
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(pixels.data()) + static_cast<size_t>(cinfo.next_scanline) * width * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// A minimal EXIF APP1 payload: "Exif\0\0", a little-endian TIFF header and IFD0 with Orientation only.
std::string exif_with_orientation(int orientation) {
  std::string e("Exif\0\0", 6);
  const unsigned char tiff[] = {'I', 'I', 42, 0, 8, 0, 0, 0,  // header, IFD0 at offset 8
                                1, 0,                          // one entry
                                0x12, 0x01, 3, 0, 1, 0, 0, 0,  // tag 274, SHORT, count 1
                                static_cast<unsigned char>(orientation), 0, 0, 0,
                                0, 0, 0, 0};  // no next IFD
  e.append(reinterpret_cast<const char*>(tiff), sizeof tiff);
  return e;
}

}  // namespace

int exif_orientation(std::string_view app1) {
  const auto* p = reinterpret_cast<const unsigned char*>(app1.data());
  const size_t n = app1.size();
  if (n < 14 || app1.substr(0, 6) != std::string_view("Exif\0\0", 6)) return 1;
  const unsigned char* t = p + 6;  // TIFF header
  const size_t tn = n - 6;
  const bool le = t[0] == 'I' && t[1] == 'I';
  if (!le && !(t[0] == 'M' && t[1] == 'M')) return 1;
  if (read16(t + 2, le) != 42) return 1;
  const uint32_t ifd = read32(t + 4, le);
  if (ifd + 2 > tn) return 1;
  const uint16_t count = read16(t + ifd, le);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t e = ifd + 2 + 12 * static_cast<size_t>(i);
    if (e + 12 > tn) return 1;
    if (read16(t + e, le) == 274 && read16(t + e + 2, le) == 3) {
      const int o = read16(t + e + 8, le);
      return o >= 1 && o <= 8 ? o : 1;
    }
  }
  return 1;
}

int flip_from_exif_orientation(int orientation) {
  static constexpr int kFlip[9] = {0, 0, 1, 3, 2, 4, 6, 7, 5};
  return orientation >= 1 && orientation <= 8 ? kFlip[orientation] : 0;
}

int exif_orientation_from_flip(int flip) {
  static constexpr int kOrientation[8] = {1, 2, 4, 3, 5, 8, 6, 7};
  return kOrientation[flip & 7];
}

JpegImage decode_jpeg(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 4 || static_cast<unsigned char>(bytes[0]) != 0xff || static_cast<unsigned char>(bytes[1]) != 0xd8)
    throw std::runtime_error(name + ": not a JPEG (no start-of-image marker)");
  std::vector<unsigned char> pixels;
  int w = 0, h = 0, orientation = 1;
  ErrorManager err;
  if (!decode_into(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), pixels, w, h, orientation, err))
    throw std::runtime_error(name + ": corrupt or truncated JPEG (" + err.message + ")");
  if (w < 1 || h < 1) throw std::runtime_error(name + ": JPEG has no pixels");
  JpegImage img;
  img.orientation = orientation;
  img.rgb.resize({3, h, w});
  const int64_t plane = static_cast<int64_t>(w) * h;
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) img.rgb[c * plane + i] = pixels[static_cast<size_t>(3 * i + c)] / 255.f;
  return img;
}

JpegImage read_jpeg(const std::string& path) {
  // Regular files only (a FIFO would block), within the photo limit (core/input_file.h).
  std::string bytes;
  try {
    bytes = read_input_file(path, "JPEG", limits::kMaxPhotoFileBytes);
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what(), prefix = "JPEG '" + path + "': ";
    throw std::runtime_error(path + ": " + (msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : msg));
  }
  return decode_jpeg(bytes, path);
}

std::string encode_jpeg(const Tensor& rgb, const JpegEncodeOptions& options) {
  if (rgb.rank() != 3 || rgb.dim(0) != 3 || rgb.dim(1) < 1 || rgb.dim(2) < 1 || rgb.dim(1) > 65500 ||
      rgb.dim(2) > 65500)
    throw std::invalid_argument("encode_jpeg: image must be 3×H×W with sides 1..65500, got " + rgb.shape().str());
  if (options.quality < 1 || options.quality > 100)
    throw std::invalid_argument("encode_jpeg: quality must be 1..100, got " + std::to_string(options.quality));
  if (options.orientation < 1 || options.orientation > 8)
    throw std::invalid_argument("encode_jpeg: orientation must be 1..8, got " + std::to_string(options.orientation));
  const int h = static_cast<int>(rgb.dim(1)), w = static_cast<int>(rgb.dim(2));
  const int64_t plane = static_cast<int64_t>(w) * h;
  std::vector<unsigned char> pixels(static_cast<size_t>(plane * 3));
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) {
      const float v = rgb[c * plane + i];
      if (!std::isfinite(v)) throw std::invalid_argument("encode_jpeg: image holds a non-finite value");
      pixels[static_cast<size_t>(3 * i + c)] = static_cast<unsigned char>(std::lround(std::clamp(v, 0.f, 1.f) * 255.f));
    }
  const std::string exif = options.orientation == 1 ? std::string() : exif_with_orientation(options.orientation);
  unsigned char* out = nullptr;
  unsigned long out_size = 0;
  ErrorManager err;
  const bool ok = encode_into(pixels, w, h, options, exif, out, out_size, err);
  std::string bytes;
  if (ok && out != nullptr) bytes.assign(reinterpret_cast<const char*>(out), out_size);
  std::free(out);
  if (!ok) throw std::invalid_argument(std::string("encode_jpeg: ") + err.message);
  return bytes;
}

void write_jpeg(const std::string& path, const Tensor& rgb, const JpegEncodeOptions& options) {
  write_file_atomically(path, encode_jpeg(rgb, options));
}

}  // namespace invgfx
