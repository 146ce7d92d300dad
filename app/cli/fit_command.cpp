// invgfx-cli fit [INPUT...] [--masks DIR|auto|none] [--invert-masks] [--preset NAME | --config FILE]
//                [--iters N] [--size S] [--out DIR] [--seed N] [--resume SESSION] [--checkpoint N]
//                [--log-interval N] [--timings]
// Resolves the request (app/fit_request.h: the same policy as the window's), loads the photos, runs
// the loop (app/loop.h) and writes the outputs (app/fit_outputs.h) and OUT/session.bin. One photo:
// its outputs go to OUT. Several: OUT holds the first photo's outputs, the fit's metrics.json and the
// session, and OUT/photos/<stem>/ the outputs of every photo. --resume without inputs takes the
// session's own inputs and masks.
// Ctrl-C (SIGINT) or SIGTERM finishes the current step, saves the session (resume with --resume
// OUT/session.bin) and exits 128 + the signal's number (130, 143).
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/run_support.h"
#include "app/config_budget.h"
#include "app/dataset.h"
#include "app/fit_outputs.h"
#include "app/fit_request.h"
#include "app/loop.h"
#include "core/atomic_file.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace invgfx::cli {

namespace {

namespace fs = std::filesystem;

struct FitArgs {
  std::vector<std::string> inputs;
  std::string masks, preset, config, out = "invgfx-out", resume, images;
  bool invert_masks = false, timings = false, object = false;
  std::optional<int> iters, size, checkpoint, log_interval;
  std::optional<uint64_t> seed;
};

FitRequest request_of(const FitArgs& a) {
  FitRequest r;
  r.inputs.assign(a.inputs.begin(), a.inputs.end());
  r.masks = a.masks;
  r.invert_masks = a.invert_masks;
  r.preset = a.preset;
  r.config_file = a.config;
  r.resume = a.resume;
  r.images = a.images;
  r.object = a.object;
  r.iterations = a.iters;
  r.size = a.size;
  r.seed = a.seed;
  r.checkpoint_interval = a.checkpoint;
  r.log_interval = a.log_interval;
  return complete_request(r);
}

// Mean wall time of each stage over the steps of the run, one line per stage that ran.
void print_timings(const StageTimes& sum, int64_t steps) {
  if (steps <= 0) return;
  std::cout << "mean time per step over " << steps << " steps:\n";
  double total = 0;
  for (int k = 0; k < kNumLoopStages; ++k) total += sum.seconds[static_cast<size_t>(k)];
  for (int k = 0; k < kNumLoopStages; ++k) {
    const double t = sum.seconds[static_cast<size_t>(k)];
    if (t <= 0) continue;
    char line[128];
    std::snprintf(line, sizeof line, "  %-24s %9.3f ms  %5.1f%%\n", stage_name(static_cast<LoopStage>(k)),
                  1e3 * t / static_cast<double>(steps), 100 * t / total);
    std::cout << line;
  }
}

int run_fit(const FitArgs& a) {
  try {
    const fs::path out(a.out);
    const FitRequest request = request_of(a);
    const std::vector<fs::path> files = expand_inputs(request.inputs);  // names a missing input
    LoopConfig config = fit_config(request, static_cast<int>(files.size()));
    config.checkpoint_path = out / "session.bin";
    prepare_out_dir(out);
    // A new fit never replaces a session silently: only the one being resumed may be overwritten.
    const fs::path session_file = out / "session.bin";
    std::error_code ec;
    if (fs::is_regular_file(session_file, ec) && (a.resume.empty() || !fs::equivalent(a.resume, session_file, ec)))
      throw std::runtime_error(session_file.string() + ": the output folder already holds a session (continue it with "
                               "--resume " + session_file.string() + ", or choose another --out)");
    if (const int n = remove_stale_temporaries(session_file); n > 0)
      std::cerr << "invgfx-cli fit: removed " << n << " temporary file(s) of an interrupted checkpoint in " << out.string()
                << "\n";
    if (const std::string slow = slow_step_warning(config.render.size, config.batch_size); !slow.empty())
      std::cerr << "invgfx-cli fit: " << slow << "\n";

    catch_stop_signals();
    Dataset dataset = load_photos("fit", request.inputs, dataset_options(request, config));
    // The default preset follows the photos that actually loaded (one → single_object).
    if ((dataset.photos.size() == 1) != (files.size() == 1)) {
      LoopConfig again = fit_config(request, static_cast<int>(dataset.photos.size()));
      again.checkpoint_path = config.checkpoint_path;
      if (again.render.size == config.render.size) config = again;
    }
    std::cout << "loaded " << dataset.photos.size() << " photo(s) at " << config.render.size << "x" << config.render.size
              << (config.preset_name.empty() ? "" : ", preset " + config.preset_name) << ", " << config.iterations
              << " iterations\n";

    Loop loop(config, std::move(dataset));
    if (!a.resume.empty()) {
      loop.load_session(a.resume);
      if (a.iters) loop.set_iterations(*a.iters);
      std::cout << "resumed " << a.resume << " at iteration " << loop.iteration() << "\n";
    }

    const fs::path session = out / "session.bin";
    StageTimes stage_sum;
    int64_t steps = 0;
    {
      FitProgress progress(config.iterations, config.log_interval);
      try {
        while (!loop.done()) {
          if (stop_signal()) {
            loop.save_session(session);
            progress.message("interrupted at iteration " + std::to_string(loop.iteration()) + "; session saved to " +
                             session.string() + " (continue with --resume " + session.string() + ")");
            return 128 + stop_signal();
          }
          const StepInfo info = loop.step();
          for (int k = 0; k < kNumLoopStages; ++k) stage_sum.seconds[static_cast<size_t>(k)] += info.timings.seconds[static_cast<size_t>(k)];
          ++steps;
          progress.update(info);
        }
      } catch (const std::exception& e) {
        // A step or a checkpoint failed (a diverging step does not throw: the loop rolls it back).
        // Keep the fit so far if the session can still be written.
        std::string kept;
        try {
          loop.save_session(session);
          kept = "; session saved to " + session.string() + " (continue with --resume " + session.string() + ")";
        } catch (const std::exception& e2) {
          kept = std::string("; the session could not be saved either: ") + e2.what();
        }
        throw std::runtime_error("stopped at iteration " + std::to_string(loop.iteration()) + ": " + e.what() + kept);
      }
    }
    if (stop_signal()) {
      loop.save_session(session);
      std::cerr << "interrupted; session saved to " << session.string() << "\n";
      return 128 + stop_signal();
    }

    // The session first: if writing the outputs fails, the fit can still be resumed and exported.
    loop.save_session(session);
    const FitMetrics metrics = loop.metrics();
    write_fit_outputs(loop, 0, metrics, out);
    // Independent photos have a scene each; a multi-view fit has one object (its cameras are in scene.json).
    if (loop.num_photos() > 1 && !loop.dataset().multiview())
      for (int i = 0; i < loop.num_photos(); ++i)
        write_fit_outputs(loop, i, metrics, out / "photos" / photo_folder_name(loop.dataset().photos[static_cast<size_t>(i)], i));

    char summary[256];
    std::snprintf(summary, sizeof summary, "done: %lld iterations, %.1f it/s, loss %.4f, PSNR %.2f dB (object %.2f dB), SSIM %.3f",
                  static_cast<long long>(metrics.iterations), metrics.iterations_per_second, metrics.loss,
                  metrics.psnr, metrics.psnr_object, metrics.ssim);
    std::cout << summary;
    if (metrics.iou >= 0) std::cout << ", mask IoU " << metrics.iou;
    std::cout << "\n";
    if (a.timings) print_timings(stage_sum, steps);
    std::cout << "wrote " << out.string() << "/: scene.json mesh.obj mesh.mtl"
              << (fs::exists(out / "texture.png") ? " texture.png" : "") << " scene.glb scene.ply render.png metrics.json session.bin"
              << (loop.num_photos() > 1 && !loop.dataset().multiview() ? " photos/" : "") << "\n";
  } catch (const LoadCancelled&) {
    std::cerr << "invgfx-cli fit: interrupted while loading\n";
    return 128 + stop_signal();
  } catch (const std::exception& e) {
    return report_error("fit", e.what());
  }
  return 0;
}

}  // namespace

Command add_fit_command(CLI::App& app) {
  auto a = std::make_shared<FitArgs>();
  CLI::App* sub = app.add_subcommand(
      "fit", "Fit a scene (mesh, texture, light, camera, ISP) to photos and write scene.json, mesh.obj + mesh.mtl\n"
             "+ texture.png, scene.glb, scene.ply, render.png, metrics.json and session.bin to --out.\n"
             "Ctrl-C or SIGTERM saves the session (resume with --resume OUT/session.bin).");
  sub->add_option("INPUT", a->inputs,
                  "photos, lists or folders of photos (one level): JPEG/PNG/TIFF/BMP/WebP or camera RAW; or ONE\n"
                  "multi-view dataset: a NeRF/instant-ngp transforms*.json or a COLMAP text model folder (one shared\n"
                  "object, known cameras, the multiview preset); with --resume, the session's own when none are given");
  sub->add_option("--masks", a->masks,
                  "masks: a folder with one image per photo of the same file stem (white = foreground), 'auto',\n"
                  "'alpha' (the photos' alpha channel) or 'none' (default: a masks/ folder beside the photos, else\n"
                  "auto; for a multi-view dataset alpha when every photo has one, else none)");
  sub->add_flag("--invert-masks", a->invert_masks, "the mask folder has black as foreground");
  sub->add_option("--images", a->images, "the photos of a COLMAP model (default: images/ beside the model folder)");
  sub->add_flag("--object", a->object,
                "the photos show one object from around it: fit one shared mesh with cameras that start on an\n"
                "orbit guess (the multiview preset)");
  auto* preset = sub->add_option("--preset", a->preset,
                                 "configuration preset: single_object, category, pose_calibration, multiview (default: "
                                 "multiview for a multi-view dataset or --object, single_object for one photo, "
                                 "category for several)");
  sub->add_option("--config", a->config, "configuration JSON (fields it omits keep their defaults)")->excludes(preset);
  sub->add_option("--iters", a->iters, "total iterations (overrides the configuration)")->check(CLI::Range(1, 100000000));
  sub->add_option("--size", a->size, "working resolution, px (square)")->check(CLI::Range(16, 2048));
  sub->add_option("--out,-o", a->out, "output folder (created if missing)")->capture_default_str();
  sub->add_option("--seed", a->seed, "random seed (initialisation, batches)");
  sub->add_option("--resume", a->resume, "continue the fit saved in this session file (by this tool or the window)");
  sub->add_flag("--timings", a->timings, "print the mean time of each stage of a step at the end");
  sub->add_option("--checkpoint", a->checkpoint, "save OUT/session.bin every N iterations (0 = only at the end)")
      ->check(CLI::Range(0, 100000000));
  sub->add_option("--log-interval", a->log_interval, "iterations between progress lines when not on a terminal")
      ->check(CLI::Range(1, 100000000));
  return {sub, [a] { return run_fit(*a); }};
}

}  // namespace invgfx::cli
