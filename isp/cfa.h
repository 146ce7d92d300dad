#pragma once
// Bayer colour filter array (CFA) layout, shared by the sensor model, the ISP stages that work on the
// mosaic (black level, lens shading, white balance, demosaic) and the RAW reader.
//
// A pattern names the colours of the 2×2 tile starting at the top-left pixel (y = 0, x = 0), read
// row-major: RGGB = R at (0,0), G at (0,1), G at (1,0), B at (1,1). Colour indices follow the planar
// RGB order of every image in invgfx: 0 = red, 1 = green, 2 = blue.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace invgfx {

enum class CfaPattern : std::uint8_t { RGGB = 0, BGGR = 1, GRBG = 2, GBRG = 3 };

// Colours of the 2×2 tile, row-major [(0,0), (0,1), (1,0), (1,1)].
constexpr std::array<int, 4> cfa_tile(CfaPattern p) {
  switch (p) {
    case CfaPattern::RGGB: return {0, 1, 1, 2};
    case CfaPattern::BGGR: return {2, 1, 1, 0};
    case CfaPattern::GRBG: return {1, 0, 2, 1};
    case CfaPattern::GBRG: return {1, 2, 0, 1};
  }
  return {0, 1, 1, 2};
}

// Colour (0 = R, 1 = G, 2 = B) of the sensor pixel at row y, column x (non-negative).
constexpr int cfa_colour_at(CfaPattern p, int y, int x) { return cfa_tile(p)[((y & 1) << 1) | (x & 1)]; }

// Offset (dy, dx) in {0,1}² of the red / blue site within the 2×2 tile.
constexpr int cfa_tile_index_of(CfaPattern p, int colour) {
  const auto t = cfa_tile(p);
  for (int i = 0; i < 4; ++i)
    if (t[i] == colour) return i;
  return -1;
}

// True for a green pixel on a row that also holds red pixels ("Gr"), false for "Gb" or non-green.
constexpr bool cfa_is_green_on_red_row(CfaPattern p, int y, int x) {
  if (cfa_colour_at(p, y, x) != 1) return false;
  return cfa_colour_at(p, y, x ^ 1) == 0;
}

// Pattern seen after cropping dy rows and dx columns off the top/left (what a crop of odd size does).
constexpr CfaPattern cfa_shifted(CfaPattern p, int dy, int dx) {
  const int want0 = cfa_colour_at(p, dy, dx), want1 = cfa_colour_at(p, dy, dx + 1);
  const int want2 = cfa_colour_at(p, dy + 1, dx);
  for (CfaPattern q : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG}) {
    const auto t = cfa_tile(q);
    if (t[0] == want0 && t[1] == want1 && t[2] == want2) return q;
  }
  return p;
}

// "RGGB", "BGGR", "GRBG", "GBRG".
std::string to_string(CfaPattern p);
// Parses the names above (case-insensitive); throws std::invalid_argument naming the bad value.
CfaPattern cfa_pattern_from_string(std::string_view name);
// From the four colour letters / indices of the 2×2 tile as LibRaw reports them (e.g. "RGBG" descriptor
// resolved per pixel); throws std::invalid_argument if the tile is not a Bayer pattern.
CfaPattern cfa_pattern_from_tile(const std::array<int, 4>& colours);

}  // namespace invgfx
