// The one policy of both faces (app/fit_request.h): default masks, the preset by photo count, and a
// resumed session's own inputs, masks and configuration.
#include "app/fit_request.h"
#include "app/loop.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

fs::path fresh(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / "invgfx_test_fit_request" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(FitRequest, DefaultMasksAreAMasksFolderBesideThePhotosElseAuto) {
  const fs::path inside = fresh("inside");
  fs::create_directories(inside / "masks");
  EXPECT_EQ(default_masks({inside}), (inside / "masks").string());
  const fs::path synth = fresh("synth");  // invgfx-cli synth: images/ and masks/ side by side
  fs::create_directories(synth / "images");
  fs::create_directories(synth / "masks");
  EXPECT_EQ(default_masks({synth / "images"}), (synth / "masks").string());
  std::ofstream(synth / "images" / "a.png") << "x";
  EXPECT_EQ(default_masks({synth / "images" / "a.png"}), (synth / "masks").string());
  const fs::path none = fresh("none");
  EXPECT_EQ(default_masks({none}), "auto");

  FitRequest r;
  r.inputs = {none};
  EXPECT_EQ(dataset_options(r, LoopConfig()).masks, "auto");
  r.masks = "none";
  EXPECT_EQ(dataset_options(r, LoopConfig()).masks, "");
  r.masks = "some/dir";
  r.invert_masks = true;
  const DatasetOptions o = dataset_options(r, LoopConfig());
  EXPECT_EQ(o.masks, "some/dir");
  EXPECT_TRUE(o.invert_masks);
}

TEST(FitRequest, ThePresetFollowsThePhotoCountUnlessChosen) {
  FitRequest r;
  r.inputs = {"x"};
  EXPECT_EQ(fit_config(r, 1).preset_name, "single_object");
  EXPECT_EQ(fit_config(r, 5).preset_name, "category");
  r.preset = "pose_calibration";
  EXPECT_EQ(fit_config(r, 5).preset_name, "pose_calibration");
  r.iterations = 7;
  r.size = 64;
  const LoopConfig c = fit_config(r, 1);
  EXPECT_EQ(c.iterations, 7);
  EXPECT_EQ(c.render.size, 64);
  EXPECT_THROW(complete_request(FitRequest{}), std::runtime_error);  // nothing to fit
}

TEST(FitRequest, AResumedSessionBringsItsInputsMasksAndConfiguration) {
  const fs::path d = fresh("resume");
  LoopConfig c;
  c.iterations = 3;
  c.batch_size = 1;
  c.icosphere_level = 1;
  c.render.size = 32;
  c.decoder.code_size = 16;
  c.decoder.texture_size = 8;
  c.encoder.channels = {4, 8};
  c.features.channels = 4;
  Dataset data;
  data.inputs = {d / "photos"};
  data.options.masks = "";  // fitted without masks
  Photo p;
  p.path = "p.png";
  p.srgb = Tensor({3, 32, 32}, 0.5f);
  data.photos.push_back(p);
  fs::create_directories(d / "photos");
  Loop loop(c, std::move(data));
  loop.save_session(d / "s.bin");

  FitRequest r;
  r.resume = d / "s.bin";
  const FitRequest full = complete_request(r);
  ASSERT_EQ(full.inputs.size(), 1u);
  EXPECT_EQ(fs::canonical(full.inputs[0]), fs::canonical(d / "photos"));
  EXPECT_EQ(full.masks, "none") << "no masks stays no masks";
  EXPECT_EQ(fit_config(full, 1).iterations, 3);
  // Inputs on the command line override the session's.
  r.inputs = {d};
  EXPECT_EQ(complete_request(r).inputs, std::vector<fs::path>{d});
  r.preset = "category";
  EXPECT_THROW(complete_request(r), std::runtime_error);
}

}  // namespace
}  // namespace invgfx
