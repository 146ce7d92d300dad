#include "isp/raw_preview.h"

#include "core/input_file.h"
#include "core/limits.h"

#include <libraw/libraw.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace invgfx {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

}  // namespace

RawPreview read_raw_preview(const std::string& path) {
  // Regular files only: LibRaw's own reader would wait on a FIFO forever (core/input_file.h).
  if (const std::string problem = regular_file_problem(path, limits::kMaxPhotoFileBytes); !problem.empty())
    fail(path, problem);
  auto lr = std::make_unique<LibRaw>(0u);  // large: keep it off the stack
  int rc = lr->open_file(path.c_str());
  if (rc != LIBRAW_SUCCESS) fail(path, std::string("cannot open as a RAW file: ") + libraw_strerror(rc));

  rc = lr->unpack_thumb();
  if (rc == LIBRAW_NO_THUMBNAIL) fail(path, "has no embedded preview");
  if (rc == LIBRAW_UNSUPPORTED_THUMBNAIL) fail(path, "holds its preview in a format LibRaw cannot extract");
  if (rc != LIBRAW_SUCCESS) fail(path, std::string("embedded preview is corrupt or truncated (") + libraw_strerror(rc) + ")");
  // LibRaw keeps a JPEG whose header libjpeg cannot parse as format "unknown" rather than failing.
  const LibRaw_thumbnail_formats tformat = lr->imgdata.thumbnail.tformat;
  if (tformat != LIBRAW_THUMBNAIL_JPEG && tformat != LIBRAW_THUMBNAIL_BITMAP)
    fail(path, "embedded preview is corrupt (not a readable JPEG or bitmap)");

  int err = 0;
  libraw_processed_image_t* img = lr->dcraw_make_mem_thumb(&err);
  if (img == nullptr || err != 0) {
    if (img != nullptr) LibRaw::dcraw_clear_mem(img);
    fail(path, std::string("cannot extract the embedded preview (") + libraw_strerror(err) + ")");
  }
  std::unique_ptr<libraw_processed_image_t, void (*)(libraw_processed_image_t*)> guard(
      img, [](libraw_processed_image_t* q) { LibRaw::dcraw_clear_mem(q); });

  RawPreview out;
  if (img->type == LIBRAW_IMAGE_JPEG) {
    out.format = "jpeg";
    out.image = decode_jpeg(std::string_view(reinterpret_cast<const char*>(img->data), img->data_size),
                            path + " (embedded preview)");
    return out;
  }
  if (img->type != LIBRAW_IMAGE_BITMAP || img->colors != 3 || img->bits != 8 || img->width < 1 || img->height < 1 ||
      img->data_size < static_cast<unsigned>(img->width) * img->height * 3)
    fail(path, "embedded preview is a bitmap in a layout other than 8-bit RGB");
  out.format = "bitmap";
  const int64_t h = img->height, w = img->width, plane = h * w;
  out.image.rgb.resize({3, h, w});
  for (int64_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c) out.image.rgb[c * plane + i] = img->data[3 * i + c] / 255.f;
  out.image.orientation = exif_orientation_from_flip(lr->imgdata.sizes.flip);
  return out;
}

}  // namespace invgfx
