// Synthetic datasets: shapes of what is rendered, masks that match the coverage, a texture that breaks
// every symmetry, the white balance of the camera visible in the photos, the files on disk loading
// back through the dataset reader, and the rotation-error measure on known angles.
#include "app/dataset.h"
#include "app/synth.h"
#include "render/obj_loader.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

SynthOptions small_options() {
  SynthOptions o;
  o.size = 48;
  o.views = 3;
  o.icosphere_level = 2;
  o.texture_size = 32;
  return o;
}

TEST(Synth, RendersPhotosMasksAndTruth) {
  const SynthData d = make_synthetic(small_options());
  ASSERT_EQ(d.dataset.photos.size(), 3u);
  ASSERT_EQ(d.truth.scenes.size(), 3u);
  for (const Photo& p : d.dataset.photos) {
    EXPECT_EQ(p.srgb.shape(), Shape({3, 48, 48}));
    EXPECT_EQ(p.mask.shape(), Shape({1, 48, 48}));
    double fg = 0;
    for (float m : p.mask) {
      EXPECT_TRUE(m == 0.f || m == 1.f);
      fg += m;
    }
    const double cover = fg / (48.0 * 48.0);
    // The shape (about 1.6 × 1.2 units at distance 3 with a 0.6 rad field of view) covers a good part
    // of the frame but does not touch the border.
    EXPECT_GT(cover, 0.15);
    EXPECT_LT(cover, 0.7);
    for (int y = 0; y < 48; ++y) {
      EXPECT_EQ(p.mask.at(0, y, 0), 0.f);
      EXPECT_EQ(p.mask.at(0, y, 47), 0.f);
    }
    for (float v : p.srgb) {
      EXPECT_GE(v, 0.f);
      EXPECT_LE(v, 1.f);
    }
  }
  // Views differ (distinct cameras), and no view is the left/right mirror of itself: the shape and the
  // texture pin the pose.
  const Tensor& a = d.dataset.photos[0].srgb;
  const Tensor& b = d.dataset.photos[1].srgb;
  double diff = 0, mirror = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 48; ++x) {
        diff += std::abs(a.at(c, y, x) - b.at(c, y, x));
        mirror += std::abs(a.at(c, y, x) - a.at(c, y, 47 - x));
      }
  EXPECT_GT(diff / a.numel(), 0.02);
  EXPECT_GT(mirror / a.numel(), 0.02);
}

TEST(Synth, WhiteBalanceGainsShowInThePhotos) {
  SynthOptions o = small_options();
  o.views = 1;
  o.wb_gains = {1, 1, 1};
  const SynthData neutral = make_synthetic(o);
  o.wb_gains = {1.9, 1, 1.5};
  const SynthData cast = make_synthetic(o);
  // Over the object (no clipping: the palette is dark enough), red and blue grow, green stays.
  double sum_n[3] = {0, 0, 0}, sum_c[3] = {0, 0, 0};
  const Photo& pn = neutral.dataset.photos[0];
  const Photo& pc = cast.dataset.photos[0];
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 48; ++y)
      for (int x = 0; x < 48; ++x)
        if (pn.mask.at(0, y, x) > 0) {
          sum_n[c] += pn.srgb.at(c, y, x);
          sum_c[c] += pc.srgb.at(c, y, x);
        }
  EXPECT_GT(sum_c[0], 1.15 * sum_n[0]);
  EXPECT_GT(sum_c[2], 1.08 * sum_n[2]);
  // Green moves only through the demosaic: Malvar's green estimate at red and blue sites borrows their
  // Laplacian, which the gains scale (a few percent here).
  EXPECT_NEAR(sum_c[1] / sum_n[1], 1.0, 0.05);
  EXPECT_NEAR(cast.truth.isp["stages"][2]["params"]["log_gain_red"].get<double>(), std::log(1.9), 1e-6);
}

TEST(Synth, WritesADatasetTheReaderLoads) {
  const fs::path dir = fs::path(INVGFX_BINARY_DIR) / "test_synth" / "written";
  fs::remove_all(dir);
  const SynthData d = make_synthetic(small_options());
  write_synthetic(d, dir);
  DatasetOptions opt;
  opt.size = 48;
  opt.masks = (dir / "masks").string();
  const Dataset back = load_dataset({dir / "images"}, opt);
  ASSERT_EQ(back.photos.size(), 3u);
  EXPECT_TRUE(back.skipped.empty());
  for (size_t i = 0; i < 3; ++i) {
    double err = 0;
    for (int64_t k = 0; k < back.photos[i].srgb.numel(); ++k)
      err = std::max(err, static_cast<double>(std::abs(back.photos[i].srgb[k] - d.dataset.photos[i].srgb[k])));
    EXPECT_LE(err, 0.5 / 255 + 1e-4);  // 8-bit quantisation only
    double mask_err = 0;
    for (int64_t k = 0; k < back.photos[i].mask.numel(); ++k)
      mask_err += std::abs(back.photos[i].mask[k] - d.dataset.photos[i].mask[k]);
    EXPECT_EQ(mask_err, 0.0);
  }
  const Mesh m = load_obj<float>((dir / "truth" / "mesh.obj").string());
  EXPECT_EQ(m.num_vertices(), d.truth.mesh.num_vertices());
  ASSERT_TRUE(m.has_texture());
  double tex_err = 0;
  for (int64_t k = 0; k < m.texture.numel(); ++k)
    tex_err = std::max(tex_err, static_cast<double>(std::abs(m.texture[k] - d.truth.mesh.texture[k])));
  EXPECT_LT(tex_err, 1e-4);  // the truth texture is already 8-bit sRGB
  std::ifstream in(dir / "truth.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["views"].size(), 3u);
  EXPECT_EQ(j["white_balance_gains"][0].get<double>(), 1.9);
  EXPECT_TRUE(j["views"][0]["camera"].contains("opencv"));
  EXPECT_TRUE(j["views"][0]["camera"].contains("opengl"));
}

TEST(Synth, BadOptionsNameTheField) {
  SynthOptions o = small_options();
  o.views = 0;
  try {
    make_synthetic(o);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("views"), std::string::npos) << e.what();
  }
  o = small_options();
  o.light = {1, 2, 3};
  EXPECT_THROW(make_synthetic(o), std::invalid_argument);
}

TEST(Synth, UnwritableFolderIsNamed) {
  const fs::path file = fs::path(INVGFX_BINARY_DIR) / "test_synth" / "a_file";
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "x";
  const SynthData d = make_synthetic(small_options());
  try {
    write_synthetic(d, file / "sub");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("a_file"), std::string::npos) << e.what();
  }
}

TEST(Synth, RotationErrorOfKnownAngles) {
  Tensor a({4}), b({4});
  a[0] = 0.3f, a[1] = 0.2f, a[2] = 3.f, a[3] = 0.f;
  b.copy_from(a);
  EXPECT_NEAR(camera_rotation_error_deg(a, b), 0.0, 1e-3);
  b[2] = 5.f;  // distance does not rotate
  EXPECT_NEAR(camera_rotation_error_deg(a, b), 0.0, 1e-3);
  b[3] = static_cast<float>(10 * M_PI / 180);  // roll about the optical axis
  EXPECT_NEAR(camera_rotation_error_deg(a, b), 10.0, 1e-3);
  b.copy_from(a);
  a[1] = 0.f, b[1] = 0.f;
  b[0] = a[0] + static_cast<float>(7 * M_PI / 180);  // azimuth on the equator
  EXPECT_NEAR(camera_rotation_error_deg(a, b), 7.0, 1e-3);
}

}  // namespace
}  // namespace invgfx
