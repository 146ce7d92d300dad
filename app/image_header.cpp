// Implementation of app/image_header.h.
#include "app/image_header.h"

#include <cstring>

namespace invgfx {

namespace {

uint32_t be16(std::string_view b, size_t i) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[i]) << 8 | static_cast<uint8_t>(b[i + 1]));
}
uint32_t be32(std::string_view b, size_t i) { return be16(b, i) << 16 | be16(b, i + 2); }
uint32_t le16(std::string_view b, size_t i) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[i]) | static_cast<uint8_t>(b[i + 1]) << 8);
}
uint32_t le32(std::string_view b, size_t i) { return le16(b, i) | le16(b, i + 2) << 16; }
uint32_t le24(std::string_view b, size_t i) { return le16(b, i) | static_cast<uint32_t>(static_cast<uint8_t>(b[i + 2])) << 16; }

bool starts_with(std::string_view b, const char* magic, size_t n) { return b.size() >= n && std::memcmp(b.data(), magic, n) == 0; }

// PNG: signature, then the IHDR chunk: length, "IHDR", width, height (big-endian u32).
std::optional<ImageHeaderSize> png(std::string_view b) {
  if (b.size() < 24 || b.substr(12, 4) != "IHDR") return std::nullopt;
  return ImageHeaderSize{be32(b, 16), be32(b, 20)};
}

// JPEG: markers FF xx with big-endian segment lengths until a SOF0..SOF15 (not DHT C4, JPG C8, DAC
// CC), whose payload is precision, height, width.
std::optional<ImageHeaderSize> jpeg(std::string_view b) {
  size_t i = 2;
  while (i + 4 <= b.size()) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) return std::nullopt;
    const uint8_t m = static_cast<uint8_t>(b[i + 1]);
    if (m == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) {  // markers without a length
      i += 2;
      continue;
    }
    const uint32_t len = be16(b, i + 2);
    if (len < 2) return std::nullopt;
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (i + 9 > b.size()) return std::nullopt;
      return ImageHeaderSize{be16(b, i + 7), be16(b, i + 5)};
    }
    if (m == 0xDA || m == 0xD9) return std::nullopt;  // scan or end before any frame header
    i += 2 + len;
  }
  return std::nullopt;
}

// BMP: BITMAPINFOHEADER width and height (signed; a negative height is a top-down bitmap).
std::optional<ImageHeaderSize> bmp(std::string_view b) {
  if (b.size() < 26) return std::nullopt;
  const uint32_t header = le32(b, 14);
  if (header == 12) return ImageHeaderSize{le16(b, 18), le16(b, 20)};  // BITMAPCOREHEADER
  const auto w = static_cast<int32_t>(le32(b, 18)), h = static_cast<int32_t>(le32(b, 22));
  return ImageHeaderSize{static_cast<uint64_t>(w < 0 ? -static_cast<int64_t>(w) : w),
                         static_cast<uint64_t>(h < 0 ? -static_cast<int64_t>(h) : h)};
}

// WebP: RIFF container; VP8 (lossy: 14-bit sizes after the start code), VP8L (lossless: 14-bit
// sizes minus one, packed), VP8X (extended: 24-bit canvas sizes minus one).
std::optional<ImageHeaderSize> webp(std::string_view b) {
  if (b.size() < 30 || b.substr(8, 4) != "WEBP") return std::nullopt;
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8 ") return ImageHeaderSize{le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
  if (chunk == "VP8L") {
    const uint32_t bits = le32(b, 21);
    return ImageHeaderSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (chunk == "VP8X") return ImageHeaderSize{le24(b, 24) + 1, le24(b, 27) + 1};
  return std::nullopt;
}

// TIFF: byte order, 42, offset of IFD0; its entries 256 (ImageWidth) and 257 (ImageLength), SHORT or
// LONG, value in the entry itself.
std::optional<ImageHeaderSize> tiff(std::string_view b) {
  const bool little = b[0] == 'I';
  auto u16 = [&](size_t i) { return little ? le16(b, i) : be16(b, i); };
  auto u32 = [&](size_t i) { return little ? le32(b, i) : be32(b, i); };
  if (b.size() < 8) return std::nullopt;
  const uint64_t ifd = u32(4);
  if (ifd + 2 > b.size()) return std::nullopt;
  const uint32_t n = u16(static_cast<size_t>(ifd));
  ImageHeaderSize s;
  for (uint32_t k = 0; k < n; ++k) {
    const uint64_t e = ifd + 2 + 12 * uint64_t{k};
    if (e + 12 > b.size()) return std::nullopt;
    const size_t at = static_cast<size_t>(e);
    const uint32_t tag = u16(at), type = u16(at + 2);
    const uint64_t value = type == 3 ? u16(at + 8) : type == 4 ? u32(at + 8) : 0;
    if (tag == 256) s.width = value;
    if (tag == 257) s.height = value;
  }
  if (s.width == 0 && s.height == 0) return std::nullopt;
  return s;
}

}  // namespace

std::optional<ImageHeaderSize> image_header_size(std::string_view b) {
  if (starts_with(b, "\x89PNG\r\n\x1a\n", 8)) return png(b);
  if (starts_with(b, "\xFF\xD8", 2)) return jpeg(b);
  if (starts_with(b, "BM", 2)) return bmp(b);
  if (starts_with(b, "RIFF", 4)) return webp(b);
  if (starts_with(b, "II*\0", 4) || starts_with(b, "MM\0*", 4)) return tiff(b);
  return std::nullopt;
}

}  // namespace invgfx
