// The pixel size an image file's header claims, read from its first bytes without decoding: PNG
// (IHDR), JPEG (the SOFn marker), BMP (BITMAPINFOHEADER), WebP (VP8, VP8L, VP8X) and TIFF (the first
// IFD's ImageWidth/ImageLength), per each format's specification. The dataset refuses a photo whose
// header claims more than limits::kMaxPhotoPixels before OpenCV allocates anything for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace invgfx {

struct ImageHeaderSize {
  uint64_t width = 0, height = 0;
};

// The size the header claims; nullopt when the format is not one of the above or the header is cut
// short (the decoder then reports what is wrong).
std::optional<ImageHeaderSize> image_header_size(std::string_view bytes);

}  // namespace invgfx
