// invgfx-cli develop RAW --out OUT.png [--isp CONFIG.json] [--bits 8|16] [--no-orient] [--libraw]
// The same development as invgfx-develop (isp/develop.h): the ISP initialised from the RAW's metadata.
#include "app/cli/commands.h"
#include "isp/develop.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <fstream>
#include <iostream>
#include <memory>

namespace invgfx::cli {

namespace {

struct DevelopArgs {
  std::string raw, out, isp;
  int bits = 8;
  bool no_orient = false, libraw = false;
};

int run_develop(const DevelopArgs& a) {
  try {
    DevelopConfig config;
    config.orient = !a.no_orient;
    if (!a.isp.empty()) {
      const std::string text = read_input_file(a.isp, "ISP configuration", limits::kMaxTextFileBytes);
      try {
        config.isp = nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(a.isp + ": ISP configuration is not valid JSON: " + e.what());
      }
    }
    if (a.libraw && (!a.isp.empty() || a.no_orient))
      throw std::runtime_error("--libraw cannot be combined with --isp or --no-orient");
    const Tensor srgb = a.libraw ? develop_raw_libraw(a.raw) : develop_raw(a.raw, config);
    write_png(a.out, srgb, a.bits);
    std::cout << "wrote " << a.out << " (" << srgb.dim(2) << "x" << srgb.dim(1) << ", " << a.bits << "-bit)\n";
  } catch (const std::exception& e) {
    return report_error("develop", e.what());
  }
  return 0;
}

}  // namespace

Command add_develop_command(CLI::App& app) {
  auto a = std::make_shared<DevelopArgs>();
  CLI::App* sub = app.add_subcommand(
      "develop", "Develop a camera RAW (DNG, CR2, NEF, ARW, ...) to an sRGB PNG with the invgfx ISP; black/white\n"
                 "level, white balance, CFA and colour matrix come from the file (as invgfx-develop).");
  sub->add_option("RAW", a->raw, "camera RAW file")->required();
  sub->add_option("--out,-o", a->out, "output PNG file")->required();
  sub->add_option("--isp", a->isp, "ISP configuration JSON (default: bilinear, camera WB and matrix, sRGB)");
  sub->add_option("--bits", a->bits, "PNG bit depth")->check(CLI::IsMember({8, 16}))->default_val(8);
  sub->add_flag("--no-orient", a->no_orient, "ignore the file's orientation tag");
  sub->add_flag("--libraw", a->libraw, "write LibRaw's own development (same settings) instead");
  return {sub, [a] { return run_develop(*a); }};
}

}  // namespace invgfx::cli
