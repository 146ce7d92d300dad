#include "isp/calibration_report.h"

#include "core/atomic_file.h"
#include "isp/develop.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

constexpr int kGap = 4;  // grey pixels between the panels

nlohmann::ordered_json figures_json(const CalibrationFigures& f) {
  auto round = [](double v, double unit) { return std::round(v / unit) * unit; };
  return {{"psnr_db", round(f.psnr, 0.01)}, {"delta_e_2000", round(f.delta_e, 0.001)}, {"pixels", f.pixels}};
}

nlohmann::ordered_json split_json(const CalibrationPairFigures& f) {
  return {{"fit", figures_json(f.fit)}, {"held_out", figures_json(f.held_out)}};
}

// ΔE₀₀ → colour: black at 0, red at 5, yellow at 10, white from 20.
void heat(float de, float& r, float& g, float& b) {
  const float t = std::clamp(de, 0.f, 20.f);
  if (t < 5) {
    r = t / 5;
    g = b = 0;
  } else if (t < 10) {
    r = 1;
    g = (t - 5) / 5;
    b = 0;
  } else {
    r = g = 1;
    b = (t - 10) / 10;
  }
}

}  // namespace

Tensor calibration_error_image(const CalibrationImages& im) {
  const int64_t h = im.delta_e.dim(1), w = im.delta_e.dim(2), plane = h * w;
  Tensor out({3, h, w});
  for (int64_t i = 0; i < plane; ++i) {
    float rgb[3];
    heat(im.delta_e[i], rgb[0], rgb[1], rgb[2]);
    if (im.valid[i] == 0.f) {  // left out of the figures: dimmed and tinted blue
      for (float& v : rgb) v *= 0.5f;
      rgb[2] += 0.3f;
    }
    for (int c = 0; c < 3; ++c) out[c * plane + i] = rgb[c];
  }
  return out;
}

Tensor calibration_side_by_side(const CalibrationImages& im) {
  const int64_t h = im.target.dim(1), w = im.target.dim(2), W = 4 * w + 3 * kGap, plane = h * w;
  Tensor out({3, h, W}, 0.5f);
  const Tensor error = calibration_error_image(im);
  const Tensor* panels[4] = {&im.neutral, &im.target, &im.calibrated, &error};
  for (int p = 0; p < 4; ++p)
    for (int c = 0; c < 3; ++c)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) out[(c * h + y) * W + p * (w + kGap) + x] = (*panels[p])[c * plane + y * w + x];
  return out;
}

std::vector<std::string> calibration_picture_paths(const Calibration& cal, const std::string& report_dir) {
  std::vector<std::string> out;
  std::set<std::string> used;
  for (size_t i = 0; i < cal.size(); ++i) {
    const std::string stem = fs::path(cal.pair(i).raw_path).stem().string();
    std::string name = stem + "_calibration.png";
    for (int k = 2; used.count(name); ++k) name = stem + "_" + std::to_string(k) + "_calibration.png";
    used.insert(name);
    out.push_back((fs::path(report_dir) / name).string());
  }
  return out;
}

nlohmann::ordered_json calibration_report_json(Calibration& cal, const CalibrationRun& run, const std::string& isp_path,
                                       const std::vector<std::string>& pictures) {
  const CalibrationOptions& o = cal.options();
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (size_t i = 0; i < cal.size(); ++i) {
    const CalibrationPair& p = cal.pair(i);
    const PairGeometry& g = p.geometry;
    pairs.push_back({{"raw", p.raw_path},
                     {"target", p.target_name},
                     {"source", p.source},
                     {"camera", p.make + " " + p.model},
                     {"geometry",
                      {{"flip", g.flip},
                       {"scale", {g.scale_x, g.scale_y}},
                       {"offset", {g.offset_x, g.offset_y}},
                       {"target_size", {g.target_w, g.target_h}},
                       {"correlation", g.correlation},
                       {"detail_correlation", g.detail_correlation}}},
                     {"grid", {p.target.dim(2), p.target.dim(1)}},
                     {"target_pixels_per_grid_pixel", p.m},
                     {"raw_pixels_per_development_pixel", p.binned.pitch},
                     {"left_out", {{"outside", p.outside}, {"clipped_in_raw", p.clipped_raw}, {"clipped_in_target", p.clipped_target}}},
                     {"before", split_json(cal.before(i))},
                     {"after", split_json(cal.after(i))},
                     {"picture", fs::path(pictures[i]).filename().string()}});
  }
  nlohmann::ordered_json fitted = {{"white_balance_tint", cal.white_balance_correction()},
                           {"color_matrix", cal.color_matrix()},
                           {"tone_curve", cal.tone_curve_knots()}};
  for (const auto& s : cal.isp_json()["stages"])
    if ((s["stage"] == "saturation" || s["stage"] == "sharpen" || s["stage"] == "denoise") && s["enabled"].get<bool>())
      fitted[s["stage"].get<std::string>()] = s["params"];
  nlohmann::ordered_json losses = nlohmann::ordered_json::array();
  for (size_t k = 0; k < run.losses.size(); ++k)
    if (k % 10 == 0 || k + 1 == run.losses.size()) losses.push_back({{"iteration", k + 1}, {"loss", run.losses[k]}});
  return {{"isp", fs::path(isp_path).filename().string()},
          {"settings",
           {{"stages", o.stages},
            {"iterations", o.iterations},
            {"knots", o.knots},
            {"lr", o.lr},
            {"ssim_weight", o.ssim_weight},
            {"size", o.pair.size},
            {"tile", o.pair.tile}}},
          {"iterations_done", cal.iteration()},
          {"interrupted", run.interrupted},
          {"seconds", std::round(run.seconds * 100) / 100},
          {"pairs", pairs},
          {"overall", {{"before", split_json(cal.before_overall())}, {"after", split_json(cal.after_overall())}}},
          {"fitted", fitted},
          {"loss", losses}};
}

std::vector<std::string> write_calibration(Calibration& cal, const CalibrationRun& run, const std::string& isp_path,
                                           const std::string& report_dir) {
  // Everything in memory first.
  const std::vector<std::string> pictures = calibration_picture_paths(cal, report_dir);
  std::vector<Tensor> images;
  for (size_t i = 0; i < cal.size(); ++i) images.push_back(calibration_side_by_side(cal.images(i)));
  const std::string report = calibration_report_json(cal, run, isp_path, pictures).dump(2) + "\n";
  const std::string isp = cal.isp_json().dump(2) + "\n";
  IspPipeline::from_json(nlohmann::json::parse(isp));  // what is written must load

  std::vector<std::string> written;
  for (size_t i = 0; i < pictures.size(); ++i) {
    write_png(pictures[i], images[i]);
    written.push_back(pictures[i]);
  }
  const std::string report_path = (fs::path(report_dir) / "calibration.json").string();
  write_file_atomically(report_path, report);
  written.push_back(report_path);
  write_file_atomically(isp_path, isp);
  written.push_back(isp_path);
  return written;
}

}  // namespace invgfx
