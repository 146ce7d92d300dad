// invgfx-develop RAW --out OUT.png [--isp CONFIG.json] [--bits 8|16] [--no-orient] [--libraw]
// Develops a camera RAW with the invgfx ISP (initialised from the file's metadata) and writes a PNG.
// --libraw writes LibRaw's own development with the same settings instead, for comparison.
#include "isp/develop.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"Develop a camera RAW (DNG, CR2, NEF, ARW, ...) to an sRGB PNG with the invgfx ISP.\n"
               "Black/white level, white balance, CFA and colour matrix come from the file; an ISP\n"
               "configuration (JSON, see isp/pipeline.h) can choose stages and override values."};
  app.set_version_flag("--version", "invgfx-develop 0.1");
  std::string raw_path, out_path, isp_path;
  int bits = 8;
  bool no_orient = false, libraw = false;
  app.add_option("RAW", raw_path, "camera RAW file to develop")->required();
  app.add_option("--out,-o", out_path, "output PNG file")->required();
  app.add_option("--isp", isp_path, "ISP configuration JSON (default: bilinear, camera WB and matrix, sRGB)");
  app.add_option("--bits", bits, "PNG bit depth")->check(CLI::IsMember({8, 16}))->default_val(8);
  app.add_flag("--no-orient", no_orient, "ignore the file's orientation tag");
  app.add_flag("--libraw", libraw, "write LibRaw's own development (dcraw_process, same settings) instead");
  CLI11_PARSE(app, argc, argv);

  try {
    invgfx::DevelopConfig config;
    config.orient = !no_orient;
    if (!isp_path.empty()) {
      std::ifstream in(isp_path);
      if (!in) throw std::runtime_error("cannot open ISP configuration '" + isp_path + "'");
      try {
        config.isp = nlohmann::json::parse(in);
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error("ISP configuration '" + isp_path + "' is not valid JSON: " + e.what());
      }
    }
    if (libraw && (!isp_path.empty() || no_orient))
      throw std::runtime_error("--libraw cannot be combined with --isp or --no-orient");
    const invgfx::Tensor srgb =
        libraw ? invgfx::develop_raw_libraw(raw_path) : invgfx::develop_raw(raw_path, config);
    invgfx::write_png(out_path, srgb, bits);
    std::cout << "wrote " << out_path << " (" << srgb.dim(2) << "x" << srgb.dim(1) << ", " << bits
              << "-bit)\n";
  } catch (const std::exception& e) {
    std::cerr << "invgfx-develop: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
