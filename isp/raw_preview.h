#pragma once
// The preview a camera embeds in its RAW file — in most cameras a full-view JPEG rendered by the
// camera's own processing, the target the ISP calibration fits to when no JPEG is given — read through
// LibRaw's thumbnail API (unpack_thumb, then dcraw_make_mem_thumb, LibRaw 0.20 API-CXX).
//
// LibRaw picks the largest preview the file holds (for a DNG the largest non-raw IFD with three
// samples, see isp/dng_writer.h). A JPEG preview comes back as its JPEG stream; when the stream has no
// EXIF segment, LibRaw prepends one carrying the RAW's orientation, so JpegImage::orientation says how
// to turn the preview for display either way. An uncompressed (bitmap) preview gets the RAW's
// orientation directly.
#include "isp/jpeg_io.h"

#include <string>

namespace invgfx {

struct RawPreview {
  JpegImage image;     // decoded preview, sRGB 3×H×W as stored, and its EXIF orientation
  std::string format;  // "jpeg" or "bitmap"
};

// Throws std::runtime_error with one line naming the file when it cannot be opened as a RAW, has no
// embedded preview, holds one in a format LibRaw cannot extract, or when the preview is corrupt or
// truncated (a JPEG that libjpeg cannot decode completely).
RawPreview read_raw_preview(const std::string& path);

}  // namespace invgfx
