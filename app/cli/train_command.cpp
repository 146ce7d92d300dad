// invgfx-cli train INPUT... --out DIR [--val FRACTION | --val-dir DIR] [--masks DIR|auto|none]
//                  [--preset NAME | --config FILE] [--iters N] [--size S] [--batch B] [--seed N]
//                  [--log-interval N] [--checkpoint N] [--resume DIR/session.bin]
// Trains the reconstruction network only (app/trainer.h: no per-photo refinement) and writes
// DIR/model.invgfx (the best model on validation), DIR/curves.csv, DIR/metrics.json and
// DIR/session.bin, plus DIR/val.txt (the held-out photos, one path a line) so that --resume finds
// them again. The preset defaults to `category`. Ctrl-C or SIGTERM finishes the current step and
// saves everything (continue with --resume DIR/session.bin).
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "app/cli/run_support.h"
#include "app/fit_request.h"
#include "app/trainer.h"

#include "core/atomic_file.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

namespace invgfx::cli {

namespace {

namespace fs = std::filesystem;

struct TrainArgs {
  std::vector<std::string> inputs;
  std::string masks, preset, config, out = "invgfx-model", resume, val_dir;
  bool invert_masks = false;
  double val = 0.2;
  std::optional<int> iters, size, batch, checkpoint, log_interval;
  std::optional<uint64_t> seed;
};

std::vector<fs::path> read_list(const fs::path& p) {
  std::ifstream f(p);
  if (!f) throw std::runtime_error(p.string() + ": cannot read the list of validation photos");
  std::vector<fs::path> out;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) out.emplace_back(line);
  return out;
}

void write_list(const fs::path& p, const Dataset& d) {
  std::string s;
  for (const Photo& ph : d.photos) s += fs::absolute(ph.path).lexically_normal().string() + "\n";
  write_file_atomically(p, s);
}

void print_row(FitProgress& progress, const CurvePoint& p) {
  char line[256];
  if (std::isfinite(p.val_loss))
    std::snprintf(line, sizeof line, "iteration %lld: train loss %.4f, validation loss %.4f, PSNR %.2f dB, SSIM %.3f, IoU %.3f",
                  static_cast<long long>(p.iteration), p.train_loss, p.val_loss, p.val_psnr, p.val_ssim,
                  std::isfinite(p.val_iou) ? p.val_iou : -1.0);
  else
    std::snprintf(line, sizeof line, "iteration %lld: train loss %.4f", static_cast<long long>(p.iteration), p.train_loss);
  progress.message(line);
}

int run_train(const TrainArgs& a) {
  try {
    const fs::path out(a.out);
    FitRequest request;
    request.inputs.assign(a.inputs.begin(), a.inputs.end());
    request.masks = a.masks;
    request.invert_masks = a.invert_masks;
    request.preset = a.preset.empty() && a.config.empty() && a.resume.empty() ? "category" : a.preset;
    request.config_file = a.config;
    request.resume = a.resume;
    request.iterations = a.iters;
    request.size = a.size;
    request.seed = a.seed;
    request.checkpoint_interval = a.checkpoint;
    request.log_interval = a.log_interval;
    request = complete_request(request);
    LoopConfig config = fit_config(request, 2);
    if (a.batch) config.batch_size = *a.batch;
    config.checkpoint_path = out / "session.bin";
    prepare_out_dir(out);
    catch_stop_signals();

    const DatasetOptions options = dataset_options(request, config);
    Dataset train, val;
    if (!a.resume.empty()) {
      train = load_photos("train", request.inputs, options);
      const fs::path list = fs::path(a.resume).parent_path() / "val.txt";
      if (!a.val_dir.empty()) val = load_photos("train", {a.val_dir}, options);
      else if (fs::exists(list) && !read_list(list).empty()) val = load_photos("train", read_list(list), options);
    } else if (!a.val_dir.empty()) {
      train = load_photos("train", request.inputs, options);
      val = load_photos("train", {a.val_dir}, options);
    } else {
      std::tie(train, val) = split_dataset(load_photos("train", request.inputs, options), a.val, config.seed);
    }
    write_list(out / "val.txt", val);
    std::cout << "training on " << train.photos.size() << " photo(s), validating on " << val.photos.size() << ", at "
              << config.render.size << "x" << config.render.size << ", batch " << config.batch_size << ", "
              << config.iterations << " iterations\n";

    Trainer trainer(config, std::move(train), std::move(val));
    if (!a.resume.empty()) {
      trainer.resume(a.resume, out / "curves.csv", out / "model.invgfx");
      if (a.iters) trainer.loop().set_iterations(*a.iters);
      std::cout << "resumed " << a.resume << " at iteration " << trainer.loop().iteration() << "\n";
    }
    const fs::path session = out / "session.bin";
    // Everything a stopped run keeps: the session first (it can always continue), then the rest.
    auto save_all = [&] {
      trainer.loop().save_session(session);
      trainer.write_curves(out / "curves.csv");
      if (trainer.best()) trainer.write_model(out / "model.invgfx");
    };
    {
      FitProgress progress(trainer.loop().config().iterations, trainer.loop().config().log_interval);
      try {
        while (!trainer.done()) {
          if (stop_signal()) {
            save_all();
            progress.message("interrupted at iteration " + std::to_string(trainer.loop().iteration()) + "; saved to " +
                             out.string() + " (continue with --resume " + session.string() + ")");
            return 128 + stop_signal();
          }
          bool evaluated = false;
          const StepInfo info = trainer.step(&evaluated);
          if (!info.applied) progress.message(info.event);
          if (evaluated) {
            print_row(progress, trainer.curve().back());
            trainer.write_curves(out / "curves.csv");
            if (trainer.best_iteration() == trainer.loop().iteration()) trainer.write_model(out / "model.invgfx");
          }
          progress.update(info);
        }
      } catch (const std::exception& e) {
        std::string kept;
        try {
          save_all();
          kept = "; saved to " + out.string() + " (continue with --resume " + session.string() + ")";
        } catch (const std::exception& e2) {
          kept = std::string("; could not save either: ") + e2.what();
        }
        throw std::runtime_error("stopped at iteration " + std::to_string(trainer.loop().iteration()) + ": " + e.what() + kept);
      }
    }
    if (trainer.curve().empty() || trainer.curve().back().iteration != trainer.loop().iteration()) trainer.evaluate();
    save_all();
    trainer.write_metrics(out / "metrics.json");
    std::printf("done: %lld iterations; best model at iteration %lld", static_cast<long long>(trainer.loop().iteration()),
                static_cast<long long>(trainer.best_iteration()));
    for (const CurvePoint& p : trainer.curve())
      if (p.iteration == trainer.best_iteration() && std::isfinite(p.val_loss))
        std::printf(" (validation loss %.4f, PSNR %.2f dB, IoU %.3f)", p.val_loss, p.val_psnr, p.val_iou);
    std::printf("\nwrote %s/: model.invgfx curves.csv metrics.json session.bin val.txt\n", out.string().c_str());
  } catch (const LoadCancelled&) {
    std::cerr << "invgfx-cli train: interrupted while loading\n";
    return 128 + stop_signal();
  } catch (const std::exception& e) {
    return report_error("train", e.what());
  }
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* sub = app.add_subcommand(
      "train", "Train the reconstruction network on a folder of photos of one kind (no per-photo refinement),\n"
               "validating on held-out photos; write OUT/model.invgfx (the best model on validation, for\n"
               "`predict`), curves.csv, metrics.json and session.bin.");
  sub->add_option("INPUT", a->inputs, "photos or folders of photos; with --resume, the session's own when none are given");
  sub->add_option("--masks", a->masks, "masks: a folder, 'auto' or 'none' (default: a masks/ folder beside the photos, else auto)");
  sub->add_flag("--invert-masks", a->invert_masks, "the mask folder has black as foreground");
  auto* val = sub->add_option("--val", a->val, "fraction of the photos held out for validation")
                  ->check(CLI::Range(0.0, 0.9))->capture_default_str();
  sub->add_option("--val-dir", a->val_dir, "validate on the photos of this folder instead")->excludes(val);
  auto* preset = sub->add_option("--preset", a->preset, "configuration preset (default: category)");
  sub->add_option("--config", a->config, "configuration JSON (fields it omits keep their defaults)")->excludes(preset);
  sub->add_option("--iters", a->iters, "training iterations")->check(CLI::Range(1, 100000000));
  sub->add_option("--size", a->size, "working resolution, px (square)")->check(CLI::Range(16, 2048));
  sub->add_option("--batch", a->batch, "photos per step")->check(CLI::Range(1, 4096));
  sub->add_option("--out,-o", a->out, "output folder (created if missing)")->capture_default_str();
  sub->add_option("--seed", a->seed, "random seed (initialisation, batches, the validation split)");
  sub->add_option("--resume", a->resume, "continue the run saved in OUT/session.bin");
  sub->add_option("--checkpoint", a->checkpoint, "save OUT/session.bin every N iterations (0 = only at the end)")
      ->check(CLI::Range(0, 100000000));
  sub->add_option("--log-interval", a->log_interval, "iterations between validations (and progress lines)")
      ->check(CLI::Range(1, 100000000));
  return {sub, [a] { return run_train(*a); }};
}

}  // namespace invgfx::cli
