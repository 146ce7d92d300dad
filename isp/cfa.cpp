// Implementation of isp/cfa.h.
#include "isp/cfa.h"

#include <cctype>
#include <stdexcept>

namespace invgfx {

std::string to_string(CfaPattern p) {
  switch (p) {
    case CfaPattern::RGGB: return "RGGB";
    case CfaPattern::BGGR: return "BGGR";
    case CfaPattern::GRBG: return "GRBG";
    case CfaPattern::GBRG: return "GBRG";
  }
  return "RGGB";
}

CfaPattern cfa_pattern_from_string(std::string_view name) {
  std::string up(name);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (up == "RGGB") return CfaPattern::RGGB;
  if (up == "BGGR") return CfaPattern::BGGR;
  if (up == "GRBG") return CfaPattern::GRBG;
  if (up == "GBRG") return CfaPattern::GBRG;
  throw std::invalid_argument("cfa pattern: unknown name '" + std::string(name) +
                              "' (expected RGGB, BGGR, GRBG or GBRG)");
}

CfaPattern cfa_pattern_from_tile(const std::array<int, 4>& colours) {
  for (CfaPattern q : {CfaPattern::RGGB, CfaPattern::BGGR, CfaPattern::GRBG, CfaPattern::GBRG})
    if (cfa_tile(q) == colours) return q;
  throw std::invalid_argument("cfa pattern: 2x2 tile {" + std::to_string(colours[0]) + "," +
                              std::to_string(colours[1]) + "," + std::to_string(colours[2]) + "," +
                              std::to_string(colours[3]) + "} is not a Bayer RGGB/BGGR/GRBG/GBRG layout");
}

}  // namespace invgfx
