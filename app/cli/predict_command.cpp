// invgfx-cli predict MODEL INPUT... --out DIR [--masks DIR|auto|none] [--invert-masks] [--refine N]
//                    [--batch B]
// Applies a trained model (app/model_file.h, written by `train`) to new photos: batched forward passes
// (encoder → heads → scene → render → sensor → ISP), no optimisation. DIR/<stem>/ gets what `fit`
// writes for a photo (app/fit_outputs.h); DIR/metrics.json the prediction's means, per-photo figures
// and time per photo (`prediction`), and with --refine N the same after N steps of refinement per
// photo (`refined`), which starts from the prediction.
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/run_support.h"
#include "app/fit_outputs.h"
#include "app/fit_request.h"
#include "app/loop.h"
#include "app/prediction.h"

#include "core/atomic_file.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>

namespace invgfx::cli {

namespace {

namespace fs = std::filesystem;

struct PredictArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::string masks, out = "invgfx-predict";
  bool invert_masks = false;
  int refine = 0;
  int batch = 0;
};

int run_predict(const PredictArgs& a) {
  try {
    const fs::path out(a.out);
    const ModelContents model = read_model_file(a.model);
    const std::string what = "model file '" + a.model + "'";
    FitRequest request;
    request.inputs.assign(a.inputs.begin(), a.inputs.end());
    request.masks = a.masks;
    request.invert_masks = a.invert_masks;
    prepare_out_dir(out);
    catch_stop_signals();
    const LoopConfig at_size = prediction_config(model, what, 1, 0);
    Dataset dataset = load_photos("predict", expand_inputs(request.inputs), dataset_options(request, at_size));
    const int n = static_cast<int>(dataset.photos.size());
    std::cout << "predicting " << n << " photo(s) at " << at_size.render.size << "x" << at_size.render.size
              << " with " << a.model << (a.refine > 0 ? ", then " + std::to_string(a.refine) + " refinement steps each" : "")
              << "\n";
    std::unique_ptr<Loop> loop_ptr = prediction_loop(model, what, std::move(dataset), a.refine, a.batch);
    Loop& loop = *loop_ptr;
    const LoopConfig& config = loop.config();
    const auto t0 = std::chrono::steady_clock::now();
    FitMetrics predicted = loop.metrics();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json summary = {{"model", a.model},
                              {"photos", n},
                              {"seconds_per_photo", seconds / n},
                              {"refine_steps", a.refine},
                              {"prediction", predicted.to_json()}};
    FitMetrics final_metrics = predicted;
    if (a.refine > 0) {
      loop.start_refinement();
      FitProgress progress(config.iterations, config.log_interval);
      while (!loop.done()) {
        if (stop_signal()) {
          progress.message("interrupted at refinement step " + std::to_string(loop.iteration()) + "; writing what there is");
          break;
        }
        progress.update(loop.step());
      }
      final_metrics = loop.metrics();
      summary["refined"] = final_metrics.to_json();
    }

    // DIR/<stem>/ per photo; numbered folders when two photos share a stem.
    std::set<std::string> stems;
    bool unique = true;
    for (const Photo& p : loop.dataset().photos) unique = unique && stems.insert(p.path.stem().string()).second;
    for (int i = 0; i < n; ++i) {
      const Photo& p = loop.dataset().photos[static_cast<size_t>(i)];
      const std::string name = unique ? p.path.stem().string() : photo_folder_name(p, i);
      write_fit_outputs(loop, i, final_metrics, out / name);
      summary[a.refine > 0 ? "refined" : "prediction"]["photos"][static_cast<size_t>(i)]["folder"] = name;
    }
    write_file_atomically(out / "metrics.json", summary.dump(2) + "\n");

    std::printf("predicted %d photo(s) in %.2f ms each: PSNR %.2f dB (object %.2f dB), SSIM %.3f", n,
                1e3 * seconds / n, predicted.psnr, predicted.psnr_object, predicted.ssim);
    if (predicted.iou >= 0) std::printf(", mask IoU %.3f", predicted.iou);
    std::printf("\n");
    if (a.refine > 0) {
      std::printf("after %d refinement steps each: PSNR %.2f dB (object %.2f dB), SSIM %.3f", a.refine, final_metrics.psnr,
                  final_metrics.psnr_object, final_metrics.ssim);
      if (final_metrics.iou >= 0) std::printf(", mask IoU %.3f", final_metrics.iou);
      std::printf("\n");
    }
    std::printf("wrote %s/: metrics.json and one folder per photo (scene.json mesh.obj mesh.mtl texture.png scene.glb "
                "scene.ply render.png metrics.json)\n", out.string().c_str());
    if (stop_signal()) return 128 + stop_signal();
  } catch (const LoadCancelled&) {
    std::cerr << "invgfx-cli predict: interrupted while loading\n";
    return 128 + stop_signal();
  } catch (const std::exception& e) {
    return report_error("predict", e.what());
  }
  return 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  CLI::App* sub = app.add_subcommand(
      "predict", "Reconstruct new photos with a trained model (model.invgfx from `train`) in one forward pass each;\n"
                 "write what `fit` writes per photo into OUT/<stem>/ and OUT/metrics.json. --refine N continues\n"
                 "each photo with N steps of refinement from the prediction.");
  sub->add_option("MODEL", a->model, "a model file written by `invgfx-cli train`")->required();
  sub->add_option("INPUT", a->inputs, "photos or folders of photos")->required();
  sub->add_option("--masks", a->masks, "masks: a folder, 'auto' or 'none' (default: a masks/ folder beside the photos, else auto)");
  sub->add_flag("--invert-masks", a->invert_masks, "the mask folder has black as foreground");
  sub->add_option("--refine", a->refine, "refinement steps per photo after the prediction")->check(CLI::Range(0, 1000000))->capture_default_str();
  sub->add_option("--batch", a->batch, "photos per forward pass (default: the model's batch size)")->check(CLI::Range(1, 4096));
  sub->add_option("--out,-o", a->out, "output folder (created if missing)")->capture_default_str();
  return {sub, [a] { return run_predict(*a); }};
}

}  // namespace invgfx::cli
