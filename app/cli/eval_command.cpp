// invgfx-cli eval FIT [--truth-mesh MESH] [--cameras FILE|DIR] [--samples N] [--out eval.json]
// Scores a fit (app/fit_eval.h): Chamfer-L1, F-score and normal consistency against a true mesh, and
// PSNR / SSIM / mask IoU at held-out cameras; prints a table and writes eval.json (default: FIT/eval.json).
#include "app/cli/commands.h"
#include "app/fit_eval.h"
#include "core/atomic_file.h"

#include <filesystem>
#include <iostream>
#include <memory>

namespace invgfx::cli {

namespace {

namespace fs = std::filesystem;

struct EvalArgs {
  std::string fit, truth, cameras, out;
  int samples = 20000;
};

int run_eval(const EvalArgs& a) {
  try {
    if (a.truth.empty() && a.cameras.empty()) throw std::runtime_error("give --truth-mesh, --cameras or both");
    const FitEvaluation e = evaluate_fit(a.fit, a.truth, a.cameras, a.samples);
    std::error_code ec;
    const fs::path out = !a.out.empty() ? fs::path(a.out)
                         : fs::is_directory(a.fit, ec) ? fs::path(a.fit) / "eval.json"
                                                       : fs::path(a.fit).parent_path() / "eval.json";
    write_file_atomically(out, e.to_json().dump(2) + "\n");
    std::cout << e.table() << "wrote " << out.string() << "\n";
  } catch (const std::exception& e) {
    return report_error("eval", e.what());
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Score a fit: Chamfer-L1 (in truth bounding-sphere radii), F-score at 0.05 radii and normal\n"
              "consistency against a true mesh; novel-view PSNR, SSIM and mask IoU at held-out cameras.\n"
              "Prints a table and writes eval.json.");
  sub->add_option("FIT", a->fit, "a fit's output folder (or its scene.json)")->required();
  sub->add_option("--truth-mesh", a->truth, "the true mesh (OBJ), in the cameras' world frame");
  sub->add_option("--cameras", a->cameras, "held-out views: a transforms*.json or a COLMAP model folder");
  sub->add_option("--samples", a->samples, "surface samples per mesh")->check(CLI::Range(1000, 1000000))->capture_default_str();
  sub->add_option("--out,-o", a->out, "where to write eval.json (default: FIT/eval.json)");
  return {sub, [a] { return run_eval(*a); }};
}

}  // namespace invgfx::cli
