// Implementation of isp/dng_writer.h.
#include "isp/dng_writer.h"

#include "core/atomic_file.h"

#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace invgfx {
namespace {

// TIFF 6.0 field types.
enum : uint16_t { kByte = 1, kAscii = 2, kShort = 3, kLong = 4, kRational = 5, kSRational = 10 };

// One IFD entry with its value already serialised little-endian; values longer than 4 bytes go to
// the data area after the IFD and the entry holds their offset.
struct Entry {
  uint16_t tag;
  uint16_t type;
  uint32_t count;
  std::vector<uint8_t> bytes;
};

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v & 0xff));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>((v >> (8 * i)) & 0xff));
}

Entry shorts(uint16_t tag, std::initializer_list<uint16_t> v) {
  Entry e{tag, kShort, static_cast<uint32_t>(v.size()), {}};
  for (uint16_t x : v) put16(e.bytes, x);
  return e;
}
Entry longs(uint16_t tag, std::initializer_list<uint32_t> v) {
  Entry e{tag, kLong, static_cast<uint32_t>(v.size()), {}};
  for (uint32_t x : v) put32(e.bytes, x);
  return e;
}
Entry bytes(uint16_t tag, std::initializer_list<uint8_t> v) {
  return Entry{tag, kByte, static_cast<uint32_t>(v.size()), std::vector<uint8_t>(v)};
}
Entry ascii(uint16_t tag, const std::string& s) {
  Entry e{tag, kAscii, static_cast<uint32_t>(s.size() + 1), std::vector<uint8_t>(s.begin(), s.end())};
  e.bytes.push_back(0);
  return e;
}

// Unsigned rational with the largest power-of-ten denominator (≤ 10⁶) that keeps the numerator in
// 32 bits; integers are written as n/1 so that integer readers (LibRaw's black level) see them exactly.
void put_rational(std::vector<uint8_t>& b, double v) {
  uint32_t den = 1;
  if (v != std::floor(v)) {
    den = 1000000;
    while (den > 1 && v * den > 4.0e9) den /= 10;
  }
  put32(b, static_cast<uint32_t>(std::llround(v * den)));
  put32(b, den);
}
void put_srational(std::vector<uint8_t>& b, double v) {
  int32_t den = 1;
  if (v != std::floor(v)) {
    den = 1000000;
    while (den > 1 && std::fabs(v) * den > 2.0e9) den /= 10;
  }
  put32(b, static_cast<uint32_t>(static_cast<int32_t>(std::llround(v * den))));
  put32(b, static_cast<uint32_t>(den));
}

std::string ascii_only(const std::string& s, const char* what) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 128 || c == 0)
      throw std::invalid_argument(std::string("write_dng: ") + what + " must be printable ASCII");
  return s;
}

void check_metadata(const DngMetadata& m, int n_black) {
  if (!(m.white_level > 0.0 && m.white_level <= 65535.0) || m.white_level != std::floor(m.white_level))
    throw std::invalid_argument("write_dng: white_level must be an integer in (0, 65535], got " +
                                std::to_string(m.white_level));
  for (int i = 0; i < n_black; ++i) {
    const double b = m.black_level[static_cast<size_t>(i)];
    if (!(b >= 0.0 && b < m.white_level))
      throw std::invalid_argument("write_dng: black_level[" + std::to_string(i) + "] = " +
                                  std::to_string(b) + " must be in [0, white_level)");
  }
  for (int i = 0; i < 3; ++i) {
    const double n = m.as_shot_neutral[static_cast<size_t>(i)];
    if (!(n > 0.0 && n < 1.0e3))
      throw std::invalid_argument("write_dng: as_shot_neutral[" + std::to_string(i) + "] = " +
                                  std::to_string(n) + " must be in (0, 1000)");
  }
  if (!m.color_matrix.allFinite() || std::fabs(m.color_matrix.determinant()) < 1e-12)
    throw std::invalid_argument("write_dng: color_matrix must be finite and invertible");
  if (m.color_matrix.cwiseAbs().maxCoeff() > 1000.0)
    throw std::invalid_argument("write_dng: color_matrix entries must be within ±1000");
  if (m.orientation < 1 || m.orientation > 8)
    throw std::invalid_argument("write_dng: orientation must be 1..8, got " + std::to_string(m.orientation));
  if (m.calibration_illuminant < 0 || m.calibration_illuminant > 255)
    throw std::invalid_argument("write_dng: calibration_illuminant must be 0..255");
  if (!m.cfa_layout.empty()) {
    const size_t n = m.cfa_layout.size();
    bool square = false;
    for (size_t k = 2; k <= 8; ++k) square = square || k * k == n;
    if (!square) throw std::invalid_argument("write_dng: cfa_layout must hold n×n colours, n = 2..8");
    for (uint8_t c : m.cfa_layout)
      if (c > 2) throw std::invalid_argument("write_dng: cfa_layout colours must be 0 (R), 1 (G) or 2 (B)");
  }
  if (m.unique_camera_model.empty())
    throw std::invalid_argument("write_dng: unique_camera_model must not be empty");
}

// One IFD: its entries and the bytes of its single strip (StripOffsets is patched at layout time).
struct Ifd {
  std::vector<Entry> entries;
  std::vector<uint8_t> strip;
};

// What a preview IFD must say about its JPEG stream: size, components and the luma sampling factors
// (YCbCrSubSampling), read from the start-of-frame marker (ITU-T T.81 §B.2.2).
struct JpegFrame {
  int width = 0, height = 0, components = 0, h_samp = 1, v_samp = 1;
};

JpegFrame jpeg_frame(const std::string& jpeg) {
  const auto* p = reinterpret_cast<const uint8_t*>(jpeg.data());
  const size_t n = jpeg.size();
  if (n < 4 || p[0] != 0xff || p[1] != 0xd8) throw std::invalid_argument("write_dng: preview_jpeg is not a JPEG stream");
  size_t i = 2;
  while (i + 4 <= n) {
    if (p[i] != 0xff) break;
    const uint8_t marker = p[i + 1];
    const size_t len = static_cast<size_t>(p[i + 2]) << 8 | p[i + 3];
    if (marker == 0xc0 || marker == 0xc1 || marker == 0xc2) {  // baseline, extended, progressive
      if (i + 2 + len > n || len < 8) break;
      JpegFrame f;
      f.height = p[i + 5] << 8 | p[i + 6];
      f.width = p[i + 7] << 8 | p[i + 8];
      f.components = p[i + 9];
      if (f.components >= 1 && len >= 8 + 3u * f.components) {
        f.h_samp = p[i + 11] >> 4;
        f.v_samp = p[i + 11] & 15;
      }
      return f;
    }
    i += 2 + len;
  }
  throw std::invalid_argument("write_dng: preview_jpeg has no readable frame header");
}

// Lays out header | IFD 0 | its values | sub-IFDs with their values | strips (16-byte aligned) and
// serialises it. ifds[0] is IFD 0; the others are its SubIFDs, whose offsets fill tag 330 of IFD 0.
std::vector<uint8_t> serialise(std::vector<Ifd>& ifds) {
  std::vector<uint32_t> ifd_offset(ifds.size()), strip_offset(ifds.size());
  std::vector<std::vector<uint32_t>> value_offset(ifds.size());
  uint32_t cursor = 8;
  for (size_t k = 0; k < ifds.size(); ++k) {
    auto& entries = ifds[k].entries;
    ifd_offset[k] = cursor;
    cursor += 2 + 12 * static_cast<uint32_t>(entries.size()) + 4;
    value_offset[k].assign(entries.size(), 0);
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].tag == 330) entries[i].bytes.assign(4 * (ifds.size() - 1), 0);  // sized now, filled below
      if (entries[i].bytes.size() > 4) {
        value_offset[k][i] = cursor;
        cursor += static_cast<uint32_t>((entries[i].bytes.size() + 1) & ~size_t(1));
      }
    }
  }
  for (size_t k = 0; k < ifds.size(); ++k) {
    cursor = (cursor + 15u) & ~15u;
    strip_offset[k] = cursor;
    cursor += static_cast<uint32_t>(ifds[k].strip.size());
  }
  for (size_t k = 0; k < ifds.size(); ++k)
    for (auto& e : ifds[k].entries) {
      if (e.tag == 273) {
        e.bytes.clear();
        put32(e.bytes, strip_offset[k]);
      } else if (e.tag == 330) {
        e.bytes.clear();
        for (size_t j = 1; j < ifds.size(); ++j) put32(e.bytes, ifd_offset[j]);
      }
    }

  std::vector<uint8_t> out;
  out.reserve(cursor);
  out.push_back('I');
  out.push_back('I');
  put16(out, 42);
  put32(out, ifd_offset[0]);
  for (size_t k = 0; k < ifds.size(); ++k) {
    const auto& entries = ifds[k].entries;
    put16(out, static_cast<uint16_t>(entries.size()));
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      put16(out, e.tag);
      put16(out, e.type);
      put32(out, e.count);
      if (e.bytes.size() > 4) {
        put32(out, value_offset[k][i]);
      } else {
        std::vector<uint8_t> v = e.bytes;
        v.resize(4, 0);
        out.insert(out.end(), v.begin(), v.end());
      }
    }
    put32(out, 0);  // no next IFD: sub-IFDs are reached through tag 330 only
    for (const Entry& e : entries)
      if (e.bytes.size() > 4) {
        out.insert(out.end(), e.bytes.begin(), e.bytes.end());
        if (e.bytes.size() & 1) out.push_back(0);
      }
  }
  for (size_t k = 0; k < ifds.size(); ++k) {
    out.resize(strip_offset[k], 0);
    out.insert(out.end(), ifds[k].strip.begin(), ifds[k].strip.end());
  }
  return out;
}

// Serialises the image and metadata into a complete TIFF file in memory.
std::vector<uint8_t> encode(const Tensor& img, int channels, int64_t h, int64_t w, const DngMetadata& m) {
  const bool cfa = channels == 1;
  const bool preview = !m.preview_jpeg.empty();
  const uint32_t strip_bytes = static_cast<uint32_t>(h * w * channels * 2);

  // Tags of the image itself (IFD 0 without a preview, the raw SubIFD with one), and those the DNG
  // spec places in IFD 0; they are merged into one IFD, in tag order, when there is no preview.
  std::vector<Entry> image, first;
  image.push_back(longs(254, {0}));  // NewSubFileType: main image
  image.push_back(longs(256, {static_cast<uint32_t>(w)}));
  image.push_back(longs(257, {static_cast<uint32_t>(h)}));
  if (cfa) image.push_back(shorts(258, {16}));
  else image.push_back(shorts(258, {16, 16, 16}));
  image.push_back(shorts(259, {1}));                               // uncompressed
  image.push_back(shorts(262, {static_cast<uint16_t>(cfa ? 32803 : 34892)}));  // CFA / LinearRaw
  first.push_back(ascii(271, ascii_only(m.make, "make")));
  first.push_back(ascii(272, ascii_only(m.model, "model")));
  image.push_back(longs(273, {0}));  // StripOffsets, patched once the layout is known
  first.push_back(shorts(274, {static_cast<uint16_t>(m.orientation)}));
  image.push_back(shorts(277, {static_cast<uint16_t>(channels)}));
  image.push_back(longs(278, {static_cast<uint32_t>(h)}));  // one strip
  image.push_back(longs(279, {strip_bytes}));
  image.push_back(shorts(284, {1}));  // chunky
  if (cfa) {
    if (m.cfa_layout.empty()) {
      image.push_back(shorts(33421, {2, 2}));
      const auto t = cfa_tile(m.cfa);
      image.push_back(bytes(33422, {static_cast<uint8_t>(t[0]), static_cast<uint8_t>(t[1]),
                                    static_cast<uint8_t>(t[2]), static_cast<uint8_t>(t[3])}));
    } else {
      const auto n = static_cast<uint16_t>(std::lround(std::sqrt(static_cast<double>(m.cfa_layout.size()))));
      image.push_back(shorts(33421, {n, n}));
      image.push_back(Entry{33422, kByte, static_cast<uint32_t>(m.cfa_layout.size()), m.cfa_layout});
    }
  }
  first.push_back(bytes(50706, {1, 4, 0, 0}));  // DNGVersion 1.4
  first.push_back(bytes(50707, {1, 1, 0, 0}));  // DNGBackwardVersion 1.1
  first.push_back(ascii(50708, ascii_only(m.unique_camera_model, "unique_camera_model")));
  if (cfa) {
    image.push_back(bytes(50710, {0, 1, 2}));  // CFAPlaneColor: R, G, B
    image.push_back(shorts(50711, {1}));       // CFALayout: rectangular
  }
  // BlackLevel: 2×2 repeat for a mosaic (per tile position), 1×1 per sample for LinearRaw.
  {
    if (cfa) image.push_back(shorts(50713, {2, 2}));
    else image.push_back(shorts(50713, {1, 1}));
    Entry e{50714, kRational, static_cast<uint32_t>(cfa ? 4 : 3), {}};
    for (int i = 0; i < (cfa ? 4 : 3); ++i) put_rational(e.bytes, m.black_level[static_cast<size_t>(i)]);
    image.push_back(std::move(e));
  }
  if (cfa) image.push_back(longs(50717, {static_cast<uint32_t>(m.white_level)}));
  else {
    const auto wl = static_cast<uint32_t>(m.white_level);
    image.push_back(longs(50717, {wl, wl, wl}));
  }
  {
    Entry e{50721, kSRational, 9, {}};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) put_srational(e.bytes, m.color_matrix(r, c));
    first.push_back(std::move(e));
  }
  {
    Entry e{50728, kRational, 3, {}};
    for (double v : m.as_shot_neutral) put_rational(e.bytes, v);
    first.push_back(std::move(e));
  }
  first.push_back(shorts(50778, {static_cast<uint16_t>(m.calibration_illuminant)}));
  if (m.active_area != std::array<int, 4>{0, 0, 0, 0}) {
    const auto& a = m.active_area;
    image.push_back(longs(50829, {static_cast<uint32_t>(a[0]), static_cast<uint32_t>(a[1]),
                                  static_cast<uint32_t>(a[2]), static_cast<uint32_t>(a[3])}));
  }

  // Pixels: planar C×H×W tensor → chunky rows of uint16, rounded and clamped.
  Ifd raw;
  raw.strip.resize(strip_bytes);
  {
    const int64_t plane = h * w;
    const float* p = img.data();
    uint8_t* dst = raw.strip.data();
    for (int64_t i = 0; i < plane; ++i)
      for (int c = 0; c < channels; ++c) {
        const float v = p[c * plane + i];
        const long q = std::lround(std::clamp(v, 0.0f, 65535.0f));
        *dst++ = static_cast<uint8_t>(q & 0xff);
        *dst++ = static_cast<uint8_t>((q >> 8) & 0xff);
      }
  }
  auto by_tag = [](const Entry& a, const Entry& b) { return a.tag < b.tag; };
  std::vector<Ifd> ifds;
  if (!preview) {
    raw.entries = image;
    raw.entries.insert(raw.entries.end(), first.begin(), first.end());
    std::sort(raw.entries.begin(), raw.entries.end(), by_tag);
    ifds.push_back(std::move(raw));
    return serialise(ifds);
  }
  const JpegFrame f = jpeg_frame(m.preview_jpeg);
  if (f.components != 3 || f.width < 1 || f.height < 1)
    throw std::invalid_argument("write_dng: preview_jpeg must be a 3-component (YCbCr) JPEG");
  Ifd pv;
  pv.entries = first;
  pv.entries.push_back(longs(254, {1}));  // NewSubFileType: reduced-resolution preview
  pv.entries.push_back(longs(256, {static_cast<uint32_t>(f.width)}));
  pv.entries.push_back(longs(257, {static_cast<uint32_t>(f.height)}));
  pv.entries.push_back(shorts(258, {8, 8, 8}));
  pv.entries.push_back(shorts(259, {7}));  // JPEG
  pv.entries.push_back(shorts(262, {6}));  // YCbCr
  pv.entries.push_back(longs(273, {0}));
  pv.entries.push_back(shorts(277, {3}));
  pv.entries.push_back(longs(278, {static_cast<uint32_t>(f.height)}));
  pv.entries.push_back(longs(279, {static_cast<uint32_t>(m.preview_jpeg.size())}));
  pv.entries.push_back(shorts(284, {1}));
  pv.entries.push_back(longs(330, {0}));  // SubIFDs: the raw image, patched at layout time
  pv.entries.push_back(shorts(530, {static_cast<uint16_t>(f.h_samp), static_cast<uint16_t>(f.v_samp)}));
  {
    Entry e{532, kRational, 6, {}};  // ReferenceBlackWhite of full-range JFIF YCbCr
    for (double v : {0.0, 255.0, 128.0, 255.0, 128.0, 255.0}) put_rational(e.bytes, v);
    pv.entries.push_back(std::move(e));
  }
  std::sort(pv.entries.begin(), pv.entries.end(), by_tag);
  pv.strip.assign(m.preview_jpeg.begin(), m.preview_jpeg.end());
  raw.entries = image;
  std::sort(raw.entries.begin(), raw.entries.end(), by_tag);
  ifds.push_back(std::move(pv));
  ifds.push_back(std::move(raw));
  return serialise(ifds);
}

void write_any(const std::string& path, const Tensor& img, int channels, const DngMetadata& meta) {
  const Shape& s = img.shape();
  int64_t h = 0, w = 0;
  if (channels == 1 && s.rank() == 2) {
    h = s[0];
    w = s[1];
  } else if (s.rank() == 3 && s[0] == channels) {
    h = s[1];
    w = s[2];
  } else {
    throw std::invalid_argument(std::string("write_dng: image for '") + path + "' must be " +
                                (channels == 1 ? "1×H×W or H×W" : "3×H×W") + ", got " + s.str());
  }
  if (h < 2 || w < 2 || h > 65535 || w > 65535 || h * w * channels * 2 > 0xF0000000LL)
    throw std::invalid_argument("write_dng: image size " + s.str() + " for '" + path +
                                "' is out of range (2..65535 per side, < 4 GB)");
  for (float v : img)
    if (!std::isfinite(v))
      throw std::invalid_argument("write_dng: image for '" + path + "' holds a non-finite value");
  check_metadata(meta, channels == 1 ? 4 : 3);
  const auto& a = meta.active_area;
  if (a != std::array<int, 4>{0, 0, 0, 0} &&
      !(a[0] >= 0 && a[1] >= 0 && a[2] > a[0] + 1 && a[3] > a[1] + 1 && a[2] <= h && a[3] <= w))
    throw std::invalid_argument("write_dng: active_area (" + std::to_string(a[0]) + ", " + std::to_string(a[1]) +
                                ", " + std::to_string(a[2]) + ", " + std::to_string(a[3]) +
                                ") must be top < bottom <= height, left < right <= width for '" + path + "'");
  const std::vector<uint8_t> file = encode(img, channels, h, w, meta);
  write_file_atomically(path, std::string_view(reinterpret_cast<const char*>(file.data()), file.size()));
}

}  // namespace

void write_dng(const std::string& path, const Tensor& mosaic, const DngMetadata& meta) {
  write_any(path, mosaic, 1, meta);
}

void write_linear_dng(const std::string& path, const Tensor& rgb, const DngMetadata& meta) {
  write_any(path, rgb, 3, meta);
}

}  // namespace invgfx
