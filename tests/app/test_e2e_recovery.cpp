// Synthetic recovery, end to end (issue 5, "Quality, tested end to end"): a known textured, asymmetric
// shape under a known light is photographed from four orbit cameras through a camera whose white balance
// is (1.9, 1, 1.5); the loop, started from its decoded default scene (camera at azimuth 0, elevation
// 0.25, distance 3.2 for every photo; white balance 1), recovers each photo's camera and the camera's
// white balance. Thresholds: render PSNR ≥ 30 dB, mask IoU ≥ 0.95, camera rotation error ≤ 2°,
// white-balance gains within 5%.
//
// What is known and what is recovered. Per channel, albedo × light colour × white-balance gain is one
// product: no image can tell them apart. So, as in the pose_calibration preset, the object is a known
// template (shape and texture loaded from the synthetic truth's OBJ, frozen) and the light is known too
// (frozen at the loop's decoded start, which is what the truth was lit with); the camera of every photo
// (azimuth, elevation, distance, roll), the background and the ISP's white balance are free. The data go
// through the files (PNG photos, PNG masks, OBJ template), as a user's would.
#include "app/dataset.h"
#include "app/loop.h"
#include "app/synth.h"
#include "isp/white_balance.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

TEST(EndToEnd, SyntheticRecoveryOfCamerasAndWhiteBalance) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path dir = fs::path(INVGFX_BINARY_DIR) / "test_e2e_recovery";
  fs::remove_all(dir);

  SynthOptions so;
  so.size = 64;
  so.views = 4;
  so.icosphere_level = 3;
  so.texture_size = 64;
  so.azimuth_spread = 0.3;     // views at azimuth −17°, −6°, +6°, +17°
  so.elevation = 0.25;
  so.elevation_spread = 0.08;  // elevations 10° and 19°
  so.distance = 3.0;
  so.wb_gains = {1.9, 1.0, 1.5};

  LoopConfig c;
  c.iterations = 240;
  c.train_fraction = 0.0;  // refinement of the decoded start only
  c.batch_size = 4;
  c.lr = 0.01;
  c.max_grad_norm = 0;
  c.icosphere_level = so.icosphere_level;
  c.template_obj = (dir / "truth" / "mesh.obj").string();
  c.render.size = so.size;
  c.render.fov_y = so.fov_y;
  c.render.mode = RasterMode::kHard;
  c.render.light = LightModel::kSphericalHarmonics;
  c.decoder.learn_shape = false;
  c.decoder.learn_texture = false;
  c.decoder.symmetric = false;
  c.decoder.last_layer_scale = 0;  // the decoded start is exactly (az0, el0, d0, 0), sh_base light
  c.decoder.az0 = 0.0;
  c.decoder.el0 = 0.25;
  c.decoder.d0 = 3.2;
  c.encoder.channels = {8, 16, 16, 16};
  c.isp = synth_default_isp_json();  // the camera's chain, white balance 1 and learnable
  c.groups["net"].frozen = true;
  c.groups["shape"].frozen = true;
  c.groups["texture"].frozen = true;
  c.groups["light"].frozen = true;
  c.groups["camera"].lr_scale = 1.0;
  c.groups["background"].lr_scale = 2.0;
  c.groups["isp"].lr_scale = 2.0;
  c.weights.pixel = 1.0;
  c.weights.pixel_kind = PixelLossKind::kL1;
  c.weights.ssim = 0.0;
  c.weights.feature = 0.0;
  c.weights.silhouette = 1.0;
  c.weights.laplacian = c.weights.edge = c.weights.normal = c.weights.symmetry = 0.0;
  c.weights.isp_prior = 0.0;
  c.log_interval = 1000;

  // The truth's light is the loop's decoded start (frozen): read it from a loop on a first rendering.
  SynthData probe = make_synthetic(so);
  write_synthetic(probe, dir);
  std::vector<double> light;
  {
    Loop start(c, probe.dataset);
    for (float v : start.scene(0).light) light.push_back(v);
  }
  so.light = light;
  const SynthData truth = make_synthetic(so);
  write_synthetic(truth, dir);

  DatasetOptions dopt;
  dopt.size = so.size;
  dopt.masks = (dir / "masks").string();
  Dataset dataset = load_dataset({dir / "images"}, dopt);
  ASSERT_EQ(dataset.photos.size(), 4u);

  Loop loop(c, std::move(dataset));
  const double start_error = camera_rotation_error_deg(loop.scene(0).camera, truth.truth.scenes[0].camera);
  EXPECT_GT(start_error, 10.0);  // the start is genuinely off
  int rolled_back = 0;
  while (!loop.done()) rolled_back += loop.step().applied ? 0 : 1;
  EXPECT_EQ(rolled_back, 0);

  const FitMetrics m = loop.metrics();
  const std::array<double, 3> gains = loop.isp().get<WhiteBalance>("white_balance").gains();
  double max_rot = 0;
  for (int i = 0; i < 4; ++i) {
    const double e = camera_rotation_error_deg(loop.scene(i).camera, truth.truth.scenes[static_cast<size_t>(i)].camera);
    max_rot = std::max(max_rot, e);
    EXPECT_LE(e, 2.0) << "photo " << i;
    EXPECT_GE(m.photos[static_cast<size_t>(i)].psnr, 30.0) << "photo " << i;
    EXPECT_GE(m.photos[static_cast<size_t>(i)].iou, 0.95) << "photo " << i;
    EXPECT_NEAR(loop.scene(i).camera[2], 3.0, 0.1) << "distance of photo " << i;
  }
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(gains[static_cast<size_t>(k)] / so.wb_gains[static_cast<size_t>(k)], 1.0, 0.05) << "gain " << k;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("recovery: PSNR %.2f dB, IoU %.4f, max rotation error %.3f deg (start %.1f), gains %.4f %.4f %.4f, %.1f s\n",
              m.psnr, m.iou, max_rot, start_error, gains[0], gains[1], gains[2], seconds);
}

}  // namespace
}  // namespace invgfx
