#pragma once
// DNG writer: saves a simulated (or any) linear capture as a baseline TIFF/EP DNG 1.4 that LibRaw,
// dcraw, Adobe and darktable read: uncompressed 16-bit pixels in one strip, little-endian.
//
// Two layouts:
//  - write_dng: a Bayer mosaic (PhotometricInterpretation 32803 = CFA, one sample per pixel), the
//    format of a camera RAW and of the sensor model's output.
//  - write_linear_dng: demosaiced camera RGB (PhotometricInterpretation 34892 = LinearRaw, three
//    samples per pixel). LibRaw reads it as a non-Bayer file, which is what the reader's refusal
//    tests need, and it is a useful way to save a linear camera-space image with its colour metadata.
//
// Without a preview the file has a single IFD holding the image. With one (DngMetadata::preview_jpeg,
// as cameras and Adobe's converter write them, DNG spec 1.4 chapter 3 "IFD structure"), IFD 0 is
// the preview — NewSubFileType 1, Compression 7 (JPEG), PhotometricInterpretation 6 (YCbCr), the JPEG
// stream as its one strip — and the raw image moves to a SubIFD (tag 330) with NewSubFileType 0.
// IFD 0 keeps the tags the spec places there (Make, Model, Orientation, DNGVersion, UniqueCameraModel,
// ColorMatrix1, AsShotNeutral, CalibrationIlluminant1); the raw IFD the raw-image tags (CFA, levels,
// ActiveArea). LibRaw 0.20 reads the colour tags from IFD 0 when the raw IFD lacks them, takes the
// largest non-raw IFD with three samples as its thumbnail, and returns a JPEG one through
// unpack_thumb / dcraw_make_mem_thumb (isp/raw_preview.h).
//
// Tags written (DNG spec 1.4.0.0, chapter 4): NewSubFileType, ImageWidth/Length, BitsPerSample,
// Compression, PhotometricInterpretation, Make, Model, StripOffsets, Orientation, SamplesPerPixel,
// RowsPerStrip, StripByteCounts, PlanarConfiguration, CFARepeatPatternDim, CFAPattern (CFA only),
// DNGVersion, DNGBackwardVersion, UniqueCameraModel, CFAPlaneColor, CFALayout (CFA only),
// BlackLevelRepeatDim, BlackLevel, WhiteLevel, ColorMatrix1, AsShotNeutral, CalibrationIlluminant1,
// ActiveArea (when set); with a preview also SubIFDs, YCbCrSubSampling and ReferenceBlackWhite.
//
// The file is written to "<path>.tmp-<pid>-<n>" in the same folder and renamed over `path`, so a reader
// never sees a half-written DNG and a failed write leaves an existing file untouched.
#include "core/tensor.h"
#include "isp/cfa.h"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace invgfx {

// Metadata of a capture. Defaults describe an RGGB sensor with no black offset, a full 16-bit range,
// an identity camera (camera RGB = XYZ) and neutral white balance.
struct DngMetadata {
  CfaPattern cfa = CfaPattern::RGGB;  // Bayer layout of the tile at (0,0); ignored by write_linear_dng
  // Optional non-Bayer layout overriding `cfa`: n×n colours (0 = R, 1 = G, 2 = B) row-major, n = 2..8,
  // e.g. Fujifilm's 6×6 X-Trans, to simulate such sensors (invgfx's reader refuses them for now).
  std::vector<uint8_t> cfa_layout;
  // DN, [0, white_level): black per 2×2 tile position in raster order [(0,0),(0,1),(1,0),(1,1)] for a
  // mosaic, per colour R,G,B (first three entries) for a linear DNG. Written as rationals (1/1000 DN).
  std::array<double, 4> black_level{0.0, 0.0, 0.0, 0.0};
  double white_level = 65535.0;  // DN, (max black, 65535], integer-valued; saturation of the sensor
  // XYZ → camera RGB under calibration_illuminant (DNG ColorMatrix1), any invertible 3×3; identity
  Eigen::Matrix3d color_matrix = Eigen::Matrix3d::Identity();
  // Camera RGB of a neutral surface, each in (0, ∞), usually max 1; as-shot WB gain = 1/neutral
  std::array<double, 3> as_shot_neutral{1.0, 1.0, 1.0};
  // Pixels (top, left, bottom, right) of the stored image that hold the picture (DNG ActiveArea, the
  // rest is masked border); all 0 = the whole image. The CFA pattern and black levels are given for
  // the tile at the top-left of the active area, as the DNG spec defines them.
  std::array<int, 4> active_area{0, 0, 0, 0};
  int calibration_illuminant = 21;    // EXIF LightSource code of color_matrix, 21 = D65; 0..255
  int orientation = 1;                // TIFF Orientation 1..8, 1 = rows top→bottom, columns left→right
  std::string make = "invgfx";        // Make tag, ASCII
  std::string model = "Simulated";    // Model tag, ASCII
  std::string unique_camera_model = "invgfx Simulated";  // UniqueCameraModel tag, ASCII, non-empty
  // A baseline JPEG stream (e.g. isp/jpeg_io.h encode_jpeg) stored as the file's preview in IFD 0, the
  // picture as the camera rendered it, in the stored (not rotated) orientation like the raw; any size.
  // Empty (default) = no preview, a single-IFD file.
  std::string preview_jpeg;
};

// Writes a 1×H×W (or H×W) mosaic of raw sensor values in DN. Values are rounded to the nearest integer
// and clamped to [0, 65535]; non-finite values are refused. Throws std::invalid_argument on a bad
// mosaic or metadata and std::runtime_error (naming the path) when the file cannot be written.
void write_dng(const std::string& path, const Tensor& mosaic, const DngMetadata& meta);

// Writes a 3×H×W camera-RGB image in DN as a LinearRaw DNG (same value handling and errors).
void write_linear_dng(const std::string& path, const Tensor& rgb, const DngMetadata& meta);

}  // namespace invgfx
