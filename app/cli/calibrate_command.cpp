// invgfx-cli calibrate RAW... [--jpeg JPEG...] --out isp.json [--report DIR] [--stages LIST] [--iters N]
//                      [--size N] [--tile N] [--knots N] [--lr X] [--ssim W]
// Fits the ISP to a camera's own look from RAW + JPEG pairs (isp/calibration.h) and writes isp.json,
// calibration.json and a side-by-side PNG per pair (isp/calibration_report.h). The target of a RAW is
// the --jpeg given for it (one per RAW in order, or matched to the RAWs by file stem), else a JPEG
// beside it with the same stem, else the preview embedded in it. Every pair is read and aligned before
// the fit starts, so bad input fails at once with one line naming the file, and nothing is written.
// Ctrl-C (SIGINT) or SIGTERM finishes the current step, writes the calibration so far (marked
// interrupted) and exits 128 + the signal's number.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "isp/calibration_report.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

namespace invgfx::cli {

namespace {

namespace fs = std::filesystem;

volatile std::sig_atomic_t g_stop = 0;  // the signal that asked the calibration to stop, or 0
extern "C" void on_calibrate_signal(int sig) { g_stop = sig; }

struct CalibrateArgs {
  std::vector<std::string> raws, jpegs;
  std::string out, report, stages;
  CalibrationOptions options;
};

// Targets per RAW: none given → sidecar/preview; one per RAW → in order; otherwise by stem.
std::vector<CalibrationPairSpec> pair_specs(const CalibrateArgs& a) {
  std::vector<CalibrationPairSpec> specs;
  for (const auto& r : a.raws) specs.push_back({r, ""});
  if (a.jpegs.size() == a.raws.size()) {
    for (size_t i = 0; i < specs.size(); ++i) specs[i].jpeg = a.jpegs[i];
    return specs;
  }
  for (const auto& j : a.jpegs) {
    int hits = 0;
    for (auto& s : specs)
      if (fs::path(s.raw).stem() == fs::path(j).stem()) {
        s.jpeg = j;
        ++hits;
      }
    if (hits != 1)
      throw std::runtime_error(j + ": matches " + std::to_string(hits) + " of the RAWs by name; give one --jpeg per RAW, " +
                               "in the same order");
  }
  return specs;
}

// The folders that will receive files must exist (they are created) and be writable — checked before
// the work starts, not after it.
void prepare_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw std::runtime_error(dir.string() + ": cannot create the folder" + (ec ? ": " + ec.message() : ""));
  if (::access(dir.c_str(), W_OK) != 0) throw std::runtime_error(dir.string() + ": the folder is not writable");
}

// Two lines of the summary table: PSNR and mean ΔE00 on the fitted and the held-out tiles, before and
// after.
void print_figures(const std::string& name, const CalibrationPairFigures& before, const CalibrationPairFigures& after) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-24s PSNR %8.2f dB %10.2f dB %12.2f dB %10.2f dB\n", name.c_str(), before.fit.psnr,
                before.held_out.psnr, after.fit.psnr, after.held_out.psnr);
  std::cout << buf;
  std::snprintf(buf, sizeof buf, "%-24s ΔE00 %8.2f %13.2f %15.2f %13.2f\n", "", before.fit.delta_e,
                before.held_out.delta_e, after.fit.delta_e, after.held_out.delta_e);
  std::cout << buf;
}

int run_calibrate(CalibrateArgs& a) {
  try {
    if (!a.stages.empty()) {
      a.options.stages.clear();
      std::stringstream ss(a.stages);
      for (std::string s; std::getline(ss, s, ',');)
        if (!s.empty()) a.options.stages.push_back(s);
    }
    a.options.check();
    const std::vector<CalibrationPairSpec> specs = pair_specs(a);
    if (fs::path(a.out).filename().empty()) throw std::runtime_error(a.out + ": --out must name a file (isp.json)");
    const fs::path out_parent = fs::path(a.out).parent_path();
    const fs::path out_dir = out_parent.empty() ? fs::path(".") : out_parent;
    const fs::path report_dir = a.report.empty() ? out_dir : fs::path(a.report);
    prepare_folder(out_dir);
    prepare_folder(report_dir);

    std::signal(SIGINT, on_calibrate_signal);
    std::signal(SIGTERM, on_calibrate_signal);
    Calibration cal(specs, a.options, [](const std::string& line) { std::cout << line << std::endl; });
    if (g_stop) {
      std::cerr << "invgfx-cli calibrate: interrupted while reading; nothing written\n";
      return 128 + g_stop;
    }

    CalibrationRun run;
    const auto start = std::chrono::steady_clock::now();
    {
      FitProgress progress(a.options.iterations, std::max(1, a.options.iterations / 10));
      for (int i = 0; i < a.options.iterations && !g_stop; ++i) {
        StepInfo info;
        const auto t0 = std::chrono::steady_clock::now();
        info.loss = cal.step();
        info.iteration = cal.iteration();
        info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        run.losses.push_back(info.loss);
        progress.update(info);
      }
    }
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.interrupted = g_stop != 0;

    std::cout << "                              before (metadata only)      after (calibrated)\n"
                 "                              fitted       held out       fitted       held out\n";
    for (size_t i = 0; i < cal.size(); ++i)
      print_figures(fs::path(cal.pair(i).raw_path).filename().string(), cal.before(i), cal.after(i));
    if (cal.size() > 1) print_figures("all pairs", cal.before_overall(), cal.after_overall());
    const std::vector<std::string> written = write_calibration(cal, run, a.out, report_dir.string());
    std::cout << "calibrated in " << static_cast<int>(run.seconds + 0.5) << " s (" << cal.iteration() << " iterations); wrote";
    for (const auto& w : written) std::cout << " " << w;
    std::cout << std::endl;
    if (run.interrupted) {
      std::cerr << "interrupted at iteration " << cal.iteration() << "; the calibration so far was written\n";
      return 128 + g_stop;
    }
  } catch (const std::exception& e) {
    return report_error("calibrate", e.what());
  }
  return 0;
}

}  // namespace

Command add_calibrate_command(CLI::App& app) {
  auto a = std::make_shared<CalibrateArgs>();
  CLI::App* sub = app.add_subcommand(
      "calibrate",
      "Fit the ISP to a camera's own look from its RAW + JPEG pairs (several shots of one camera are\n"
      "fitted jointly) and write it as isp.json for develop --isp, a fit's \"isp\" config or the GUI,\n"
      "with calibration.json (PSNR and mean ΔE00 before/after on fitted and held-out tiles) and a\n"
      "side-by-side PNG per pair.");
  sub->add_option("RAW", a->raws, "camera RAW files of one camera")->required();
  sub->add_option("--jpeg", a->jpegs,
                  "the camera's JPEG of each RAW (one per RAW in order, or matched by file stem); default:\n"
                  "a JPEG beside the RAW with the same stem, else the preview embedded in the RAW")
      ->expected(1, -1);
  sub->add_option("--out,-o", a->out, "the calibrated ISP (IspPipeline JSON) to write, e.g. isp.json")->required();
  sub->add_option("--report", a->report, "folder for calibration.json and the PNGs (default: beside --out)");
  std::string known;
  for (const auto& n : calibration_stage_names()) known += (known.empty() ? "" : ",") + n;
  std::string defaults;
  for (const auto& n : a->options.stages) defaults += (defaults.empty() ? "" : ",") + n;
  sub->add_option("--stages", a->stages, "stages to fit, comma-separated, of " + known + "\n(default " + defaults + ")");
  sub->add_option("--iters", a->options.iterations, "Adam iterations")->default_val(a->options.iterations);
  sub->add_option("--size", a->options.pair.size, "long side of the working grid, pixels")->default_val(a->options.pair.size);
  sub->add_option("--tile", a->options.pair.tile, "side of the held-out checkerboard tiles, grid pixels")
      ->default_val(a->options.pair.tile);
  sub->add_option("--knots", a->options.knots, "tone-curve segments (16..64)")->default_val(a->options.knots);
  sub->add_option("--lr", a->options.lr, "base learning rate")->default_val(a->options.lr);
  sub->add_option("--ssim", a->options.ssim_weight, "weight of the SSIM term")->default_val(a->options.ssim_weight);
  return {sub, [a] { return run_calibrate(*a); }};
}

}  // namespace invgfx::cli
