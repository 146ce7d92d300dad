#pragma once
// JPEG files through libjpeg(-turbo): decoding a camera JPEG (or a RAW's embedded preview) to an sRGB
// image, and encoding one (the synthetic "camera JPEGs" of the calibration tests, DNG previews).
//
// Decoding is strict: libjpeg's warnings that mean lost image data (premature end of file, corrupt
// entropy-coded data, a marker in the middle of the data) are errors here, because libjpeg would
// otherwise fill the missing rows with grey and a calibration would fit that grey. The EXIF
// Orientation tag (TIFF tag 274 in the APP1 "Exif" segment, EXIF 2.32 §4.6.4) is read so that callers
// can show the picture the way a viewer does; pixels are returned as stored.
#include "core/tensor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace invgfx {

struct JpegImage {
  Tensor rgb;           // 3×H×W, sRGB-encoded values in [0, 1] (8-bit code / 255), as stored (not rotated)
  int orientation = 1;  // EXIF Orientation 1..8 (1 when absent or invalid)
};

// Decodes JPEG bytes; `name` (a file path, or "'x.dng' (embedded preview)") starts every error
// message. Greyscale JPEGs come back with three equal channels; CMYK/YCCK are refused.
// Throws std::runtime_error naming `name` and the problem.
JpegImage decode_jpeg(std::string_view bytes, const std::string& name);
// Reads and decodes a JPEG file; errors name the path (missing, unreadable, not a JPEG, corrupt).
JpegImage read_jpeg(const std::string& path);

enum class ChromaSubsampling { k444, k422, k420 };

struct JpegEncodeOptions {
  int quality = 95;                                     // libjpeg quality, 1..100; default 95
  ChromaSubsampling subsampling = ChromaSubsampling::k444;  // chroma resolution; default full (4:4:4)
  int orientation = 1;  // EXIF Orientation to record, 1..8; 1 writes no EXIF segment; default 1
};

// Encodes a 3×H×W image with values in [0, 1] (clamped, rounded to 8 bits; non-finite refused).
// Throws std::invalid_argument on a bad image or option.
std::string encode_jpeg(const Tensor& rgb, const JpegEncodeOptions& options = {});
// encode_jpeg written atomically (core/atomic_file.h); std::runtime_error naming the path on failure.
void write_jpeg(const std::string& path, const Tensor& rgb, const JpegEncodeOptions& options = {});

// EXIF Orientation ↔ LibRaw's flip (RawImage::flip, orient_image in develop.h), the correspondence
// dcraw uses when it writes a thumbnail's EXIF ("12435867"[flip]): both describe how the stored
// pixels are turned for display.
int flip_from_exif_orientation(int orientation);
int exif_orientation_from_flip(int flip);

// The EXIF Orientation in an APP1 payload (starting with "Exif\0\0"); 1 when absent or malformed.
int exif_orientation(std::string_view app1);

}  // namespace invgfx
