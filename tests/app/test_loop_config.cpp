// LoopConfig: JSON round trip of every field, partial configs, unknown-field and file errors, presets.
#include "app/loop_config.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

using test::error_of;

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "invgfx_test_loop_config";
  std::filesystem::create_directories(dir);
  const auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

TEST(LoopConfig, JsonRoundTripOfEveryField) {
  LoopConfig c;
  c.preset_name = "custom";
  c.iterations = 123;
  c.train_fraction = 0.25;
  c.batch_size = 3;
  c.lr = 2e-3;
  c.max_grad_norm = 4;
  c.groups["camera"].lr_scale = 3;
  c.groups["shape"].frozen = true;
  c.groups["isp"].lr = 1e-4;
  c.groups["texture"].weight_decay = 0.5;
  c.icosphere_level = 2;
  c.template_radius = 0.8;
  c.template_obj = "cube.obj";
  c.render.size = 64;
  c.render.fov_y = 0.7;
  c.render.mode = RasterMode::kSoft;
  c.render.light = LightModel::kAmbientDirectional;
  c.render.sigma = 2e-4;
  c.render.gamma = 3e-4;
  c.render.mip_levels = 0;
  c.decoder.code_size = 64;
  c.decoder.texture_size = 32;
  c.decoder.per_vertex_color = true;
  c.decoder.symmetric = false;
  c.decoder.learn_shape = false;
  c.decoder.learn_texture = false;
  c.decoder.learn_camera = false;
  c.decoder.max_offset = 0.2;
  c.decoder.sh_base = 0.8;
  c.decoder.sh_range = 0.5;
  c.decoder.az0 = 0.1;
  c.decoder.az_range = 1;
  c.decoder.el0 = 0.2;
  c.decoder.el_range = 0.5;
  c.decoder.d0 = 2.5;
  c.decoder.dist_range = 0.3;
  c.decoder.roll_range = 0.1;
  c.decoder.background0 = 0.4;
  c.decoder.last_layer_scale = 0.02;
  c.decoder.seed = 9;
  c.encoder.channels = {8, 16, 32};
  c.encoder.kernel = 4;
  c.encoder.leaky_slope = 0.1;
  c.encoder.seed = 5;
  c.features.channels = 16;
  c.features.seed = 77;
  c.features.weights_path = "f.bin";
  c.isp = {{"cfa", "BGGR"}, {"stages", nlohmann::json::array({{{"stage", "srgb"}}})}};
  c.raw_denoiser = true;
  c.denoiser.features = 8;
  c.denoiser.scale = 0.2;
  c.denoiser.seed = 3;
  c.weights.pixel = 2;
  c.weights.pixel_kind = PixelLossKind::kL1;
  c.weights.ssim = 0.3;
  c.weights.feature = 0.4;
  c.weights.silhouette = 0.5;
  c.weights.silhouette_kind = SilhouetteLossKind::kMse;
  c.weights.laplacian = 0.6;
  c.weights.edge = 0.7;
  c.weights.normal = 0.8;
  c.weights.symmetry = 0.9;
  c.weights.isp_prior = 1.1;
  c.checkpoint_interval = 50;
  c.checkpoint_path = "out/session.bin";
  c.log_interval = 7;
  c.seed = 42;

  const nlohmann::json j = c.to_json();
  const LoopConfig d = LoopConfig::from_json(j);
  EXPECT_EQ(d.to_json(), j);
  // Spot checks that fields really travelled (not only the defaults on both sides).
  EXPECT_EQ(d.preset_name, "custom");
  EXPECT_EQ(d.render.mode, RasterMode::kSoft);
  EXPECT_EQ(d.decoder.light, LightModel::kAmbientDirectional);
  EXPECT_EQ(d.weights.pixel_kind, PixelLossKind::kL1);
  EXPECT_EQ(d.weights.silhouette_kind, SilhouetteLossKind::kMse);
  EXPECT_TRUE(d.groups.at("shape").frozen);
  ASSERT_TRUE(d.groups.at("isp").lr.has_value());
  EXPECT_DOUBLE_EQ(*d.groups.at("isp").lr, 1e-4);
  EXPECT_EQ(d.encoder.channels, (std::vector<int64_t>{8, 16, 32}));
  EXPECT_EQ(d.encoder.image_size, 64);
  EXPECT_EQ(d.encoder.out_features, 64);
  EXPECT_EQ(d.checkpoint_path, std::filesystem::path("out/session.bin"));
  EXPECT_EQ(d.seed, 42u);
  EXPECT_EQ(d.isp["cfa"], "BGGR");
}

TEST(LoopConfig, PartialConfigOverlaysTheBase) {
  LoopConfig base;
  base.iterations = 77;
  base.weights.ssim = 0.9;
  const LoopConfig c = LoopConfig::from_json({{"render", {{"size", 64}}}, {"weights", {{"pixel", 3}}}}, base);
  EXPECT_EQ(c.render.size, 64);
  EXPECT_EQ(c.render.mode, RasterMode::kHard);
  EXPECT_EQ(c.iterations, 77);
  EXPECT_DOUBLE_EQ(c.weights.pixel, 3);
  EXPECT_DOUBLE_EQ(c.weights.ssim, 0.9);
}

TEST(LoopConfig, UnknownAndBadFieldsNameTheField) {
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"iteratons", 5}}); }).find("'iteratons'"), std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"render", {{"sizes", 5}}}}); }).find("'render.sizes'"),
            std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"groups", {{"camera", {{"frozn", true}}}}}}); })
                .find("'groups.camera.frozn'"),
            std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"iterations", "many"}}); }).find("'iterations'"), std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"batch_size", 0}}); }).find("batch_size"), std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"weights", {{"pixel_kind", "l3"}}}}); }).find("weights.pixel_kind"),
            std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"render", {{"mode", "fuzzy"}}}}); }).find("render.mode"),
            std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"render", {{"size", 100}}}}); }).find("render.size"),
            std::string::npos);
  EXPECT_NE(error_of([] { LoopConfig::from_json({{"weights", {{"ssim", -1}}}}); }).find("weights.ssim"),
            std::string::npos);
}

TEST(LoopConfig, FileErrorsNameTheFile) {
  const std::string missing = "/nonexistent/invgfx/config.json";
  EXPECT_NE(error_of([&] { LoopConfig::from_file(missing); }).find(missing), std::string::npos);
  const auto bad = temp_file("bad.json", "{ \"iterations\": ");
  const std::string e1 = error_of([&] { LoopConfig::from_file(bad); });
  EXPECT_NE(e1.find(bad.string()), std::string::npos) << e1;
  const auto typo = temp_file("typo.json", R"({"render": {"mdoe": "soft"}})");
  const std::string e2 = error_of([&] { LoopConfig::from_file(typo); });
  EXPECT_NE(e2.find(typo.string()), std::string::npos) << e2;
  EXPECT_NE(e2.find("render.mdoe"), std::string::npos) << e2;
  const auto good = temp_file("good.json", R"({"preset": "category", "iterations": 12})");
  const LoopConfig c = LoopConfig::from_file(good);
  EXPECT_EQ(c.iterations, 12);
  EXPECT_EQ(c.batch_size, LoopConfig::preset("category").batch_size);  // overlaid on the preset
}

TEST(LoopConfig, PresetsLoadAndSayWhatTheyAreFor) {
  EXPECT_TRUE(std::filesystem::is_directory(assets_dir() / "presets"));
  for (const std::string& name : LoopConfig::preset_names()) {
    const LoopConfig c = LoopConfig::preset(name);
    EXPECT_EQ(c.preset_name, name);
    EXPECT_NO_THROW(c.check());
  }
  const LoopConfig single = LoopConfig::preset("single_object");
  EXPECT_EQ(single.batch_size, 1);
  EXPECT_LT(single.train_fraction, 0.5);  // short training, long refinement
  const LoopConfig category = LoopConfig::preset("category");
  EXPECT_EQ(category.batch_size, 8);
  EXPECT_GT(category.train_fraction, 0.5);
  const LoopConfig pose = LoopConfig::preset("pose_calibration");
  EXPECT_DOUBLE_EQ(pose.train_fraction, 0.0);
  EXPECT_TRUE(pose.groups.at("shape").frozen);
  EXPECT_TRUE(pose.groups.at("texture").frozen);
  EXPECT_FALSE(pose.groups.count("camera") && pose.groups.at("camera").frozen);
  EXPECT_FALSE(pose.groups.count("isp") && pose.groups.at("isp").frozen);
  EXPECT_NE(error_of([] { LoopConfig::preset("nope"); }).find("nope"), std::string::npos);
}

}  // namespace
}  // namespace invgfx
