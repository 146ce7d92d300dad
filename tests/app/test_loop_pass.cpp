// The batch pass on its own: the per-photo pixel weights are built once, before any pass, and never
// move (the loop once resized their vector from one thread while another held a reference into it);
// a forward-only pass gives the same terms as the forward of a gradient pass, and repeats exactly.
#include "app/camera_isp.h"
#include "app/feature_term.h"
#include "app/loop_optimizers.h"
#include "app/loop_pass.h"
#include "app/network_scenes.h"
#include "tests/app/loop_fixtures.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

struct Rig {
  LoopConfig config = test::small_config();
  Dataset dataset = [] {
    Dataset d = test::disc_dataset(4);
    d.photos[2].mask = Tensor();  // one photo without a mask
    return d;
  }();
  ReconstructionNet net;
  CameraIsp camera{nlohmann::json(), nullptr, nullptr};
  NetworkScenes network;
  FeatureTerm features;
  LoopPass pass;

  Rig()
      : net([&] {
          ReconstructionNetOptions o;
          config.encoder.image_size = config.render.size;
          config.encoder.out_features = config.decoder.code_size;
          o.encoder = config.encoder;
          o.decoder = config.decoder;
          o.features = config.features;
          o.icosphere_level = config.icosphere_level;
          return o;
        }()),
        network(net, config, 1.0),
        features(net.features(), 4),
        pass(dataset, net.template_mesh(), config.render, 2) {
    camera.set_optimizer(make_loop_optimizer(camera.learnable_parameters(), config, 1.0));
  }
};

TEST(LoopPass, PixelWeightsAreBuiltOnceAndNeverMove) {
  Rig r;
  std::vector<const Tensor*> before;
  for (int i = 0; i < 4; ++i) before.push_back(r.pass.pixel_weight(i));
  EXPECT_NE(before[0], nullptr) << "built at construction, before any pass";
  EXPECT_NE(before[3], nullptr);
  EXPECT_EQ(before[2], nullptr) << "no mask, no weights";
  // Weights are mask + 0.1·(1 − mask): 1 on the disc, 0.1 off it.
  const Tensor& w = *before[0];
  const Tensor& m = r.dataset.photos[0].mask;
  for (int64_t k = 0; k < w.numel(); ++k) EXPECT_FLOAT_EQ(w[k], m[k] + kBackgroundWeight * (1.f - m[k]));
  StageTimes t;
  for (const std::vector<int>& batch : {std::vector<int>{0, 1}, {3, 2}, {1, 3}, {0, 2}})
    r.pass.run(batch, r.network, r.camera, r.features, r.config.weights, true, t);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.pass.pixel_weight(i), before[i]) << "photo " << i;
}

TEST(LoopPass, ForwardOnlyMatchesTheGradientPassAndRepeats) {
  Rig r;
  StageTimes t;
  const std::vector<int> batch = {1, 3};
  r.pass.run(batch, r.network, r.camera, r.features, r.config.weights, false, t);
  const LossValues a = r.pass.slot(0).terms, b = r.pass.slot(1).terms;
  r.pass.run(batch, r.network, r.camera, r.features, r.config.weights, true, t);
  for (size_t k = 0; k < a.size(); ++k) {
    if (std::isnan(a[k])) continue;
    EXPECT_EQ(a[k], r.pass.slot(0).terms[k]) << loss_terms()[k].name;
    EXPECT_EQ(b[k], r.pass.slot(1).terms[k]) << loss_terms()[k].name;
  }
  EXPECT_GT(t[LoopStage::kRender], 0.0);
}

}  // namespace
}  // namespace invgfx
