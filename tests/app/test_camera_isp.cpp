// The camera's render side develops a batch one photo per copy; what it gives must be what one sensor
// and one ISP give on the whole batch: the same RAW (noise included: each photo draws as its item of
// the batch), the same sRGB, the same gradients, and a field set through the camera's traversal
// reaches every copy.
#include "app/camera_isp.h"
#include "core/random.h"
#include "core/traverse.h"
#include "isp/color_matrix.h"
#include "isp/white_balance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

constexpr int kBatch = 3;
constexpr int64_t kSize = 24;

nlohmann::json noisy_camera() {
  nlohmann::json j = nlohmann::json::parse(R"({
    "cfa": "RGGB",
    "stages": [
      {"stage": "sensor", "params": {"noise": "gaussian", "shot": 0.01, "read": 0.001, "seed": 7, "clip": true}},
      {"stage": "black_white_level", "params": {"black": [0.01, 0.01, 0.01, 0.01], "white": 1.0}},
      {"stage": "white_balance", "params": {"log_gain_red": 0.2, "log_gain_blue": -0.1}, "learnable": true},
      {"stage": "demosaic", "params": {"method": "malvar"}},
      {"stage": "color_matrix", "params": {"matrix": [[1.2, -0.1, -0.1], [-0.1, 1.2, -0.1], [0, -0.2, 1.2]]},
       "learnable": true},
      {"stage": "tone_curve", "params": {"kind": "pwl", "knots": 16}, "learnable": true},
      {"stage": "sharpen", "params": {"amount": 0.5, "sigma": 1.0}, "enabled": false},
      {"stage": "srgb"}
    ]})");
  return j;
}

// The camera as one sensor and one ISP that take whole batches.
struct Reference {
  Sensor sensor;
  IspPipeline isp;
  explicit Reference(CameraIsp& camera) : isp(IspPipeline::from_json(camera.isp().to_json())) {
    sensor.params_from_json(camera.to_json()["stages"][0]["params"]);
    sensor.set_cfa(camera.sensor().cfa());
    sensor.set_frame(camera.sensor().frame());
    sensor.visit_parameters([](Parameter& p) { p.requires_grad = false; });
  }
};

Tensor uniform(const Shape& shape, uint64_t seed) {
  Tensor t(shape);
  Rng rng(seed);
  rng.fill_uniform(t, 0.0, 0.9);
  return t;
}

Tensor item(const Tensor& batch, int b) {
  const int64_t n = batch.numel() / batch.dim(0);
  Tensor t(Shape{batch.dim(1), batch.dim(2), batch.dim(3)});
  for (int64_t k = 0; k < n; ++k) t[k] = batch[b * n + k];
  return t;
}

std::vector<Parameter*> parameters_of(IspPipeline& isp) {
  std::vector<Parameter*> out;
  Traversal t;
  t.parameter = [&](Parameter& p) { out.push_back(&p); };
  isp.traverse(t);
  return out;
}

// Runs the batch through the camera's copies, slot by slot; returns the sRGB and, with `d_srgb`,
// leaves the parameters' gradients in the camera's ISP and the renders' in `d_rgb`.
Tensor run_camera(CameraIsp& camera, const Tensor& rgb, const Tensor* d_srgb, std::vector<Tensor>* d_rgb) {
  Tensor srgb(Shape{kBatch, 3, kSize, kSize});
  std::vector<Tensor> in, out(kBatch);
  for (int b = 0; b < kBatch; ++b) in.push_back(item(rgb, b));
  camera.begin_batch(kBatch);
  for (int b = kBatch - 1; b >= 0; --b) {  // any order: each slot is on its own
    camera.mosaic(b, in[static_cast<size_t>(b)]);
    camera.develop(b, out[static_cast<size_t>(b)]);
    for (int64_t k = 0; k < 3 * kSize * kSize; ++k) srgb[b * 3 * kSize * kSize + k] = out[static_cast<size_t>(b)][k];
  }
  if (!d_srgb) return srgb;
  for (Parameter* p : parameters_of(camera.isp())) p->zero_grad();
  d_rgb->assign(kBatch, Tensor());
  for (int b = 0; b < kBatch; ++b) {
    camera.develop_backward(b, out[static_cast<size_t>(b)], item(*d_srgb, b));
    camera.mosaic_backward(b, in[static_cast<size_t>(b)], (*d_rgb)[static_cast<size_t>(b)]);
  }
  camera.end_backward(kBatch);
  return srgb;
}

TEST(CameraIsp, PerPhotoCopiesDevelopAsTheWholeBatch) {
  CameraIsp camera(noisy_camera(), nullptr, nullptr);
  camera.sensor().next_frame();
  camera.sensor().next_frame();
  Reference ref(camera);
  const Tensor rgb = uniform(Shape{kBatch, 3, kSize, kSize}, 1);
  const Tensor d_srgb = uniform(Shape{kBatch, 3, kSize, kSize}, 2);

  std::vector<Tensor> d_rgb;
  const Tensor srgb = run_camera(camera, rgb, &d_srgb, &d_rgb);

  Tensor raw, want, d_raw, want_d_rgb;
  ref.sensor.forward(rgb, raw);
  ref.isp.forward(raw, want);
  for (int64_t k = 0; k < want.numel(); ++k) ASSERT_FLOAT_EQ(srgb[k], want[k]) << "value " << k;
  // The photos of a batch do not share one noise draw.
  double differ = 0;
  for (int64_t k = 0; k < kSize * kSize; ++k) differ += std::abs(raw[k] - raw[kSize * kSize + k]);
  EXPECT_GT(differ, 0.0);

  for (Parameter* p : parameters_of(ref.isp)) p->zero_grad();
  d_raw.resize(raw.shape());
  d_raw.zero();
  ref.isp.backward(raw, want, d_srgb, &d_raw);
  want_d_rgb.resize(rgb.shape());
  want_d_rgb.zero();
  ref.sensor.backward(rgb, raw, d_raw, &want_d_rgb);
  for (int b = 0; b < kBatch; ++b) {
    const Tensor w = item(want_d_rgb, b);
    for (int64_t k = 0; k < w.numel(); ++k)
      ASSERT_NEAR(d_rgb[static_cast<size_t>(b)][k], w[k], 1e-6 + 1e-5 * std::abs(w[k])) << "photo " << b;
  }
  const std::vector<Parameter*> got = parameters_of(camera.isp()), expected = parameters_of(ref.isp);
  ASSERT_EQ(got.size(), expected.size());
  int learnable = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!got[i]->requires_grad) continue;
    ++learnable;
    for (int64_t k = 0; k < got[i]->value.numel(); ++k)
      EXPECT_NEAR(got[i]->grad[k], expected[i]->grad[k], 1e-4 * (1 + std::abs(expected[i]->grad[k])))
          << got[i]->name << "[" << k << "]";
  }
  EXPECT_GE(learnable, 3);
}

TEST(CameraIsp, AFieldSetThroughTheCameraReachesEveryCopy) {
  CameraIsp camera(noisy_camera(), nullptr, nullptr);
  const Tensor rgb = uniform(Shape{kBatch, 3, kSize, kSize}, 3);
  run_camera(camera, rgb, nullptr, nullptr);  // the copies exist and have run

  ASSERT_TRUE(set_field<float>(camera, "sharpen.enabled", {1}));
  ASSERT_TRUE(set_field<float>(camera, "sharpen.sigma", {2.0}));
  ASSERT_TRUE(set_field<float>(camera, "sensor.seed", {11}));
  camera.fields_changed();
  // A parameter value moves without a field change (as the optimizer's step does).
  for (Parameter* p : parameters_of(camera.isp()))
    if (p->requires_grad) p->value[0] += 0.05f;
  const Tensor srgb = run_camera(camera, rgb, nullptr, nullptr);

  Reference ref(camera);
  Tensor raw, want;
  ref.sensor.forward(rgb, raw);
  ref.isp.forward(raw, want);
  for (int64_t k = 0; k < want.numel(); ++k) ASSERT_FLOAT_EQ(srgb[k], want[k]) << "value " << k;
}

// A RAW photo's camera starts from its metadata; a configuration the user gave (a calibrated ISP) keeps
// what it states — here the colour matrix — and takes from the metadata only what it leaves out (the
// white balance). With the default ISP the metadata gives both.
TEST(CameraIspRaw, AUsersConfigurationWinsOverTheMetadataWhereItStatesParams) {
  IspRawSettings raw;
  raw.wb_gains = {2.0, 1.0, 1.5};
  raw.camera_to_srgb = {1.5, -0.3, -0.2, -0.2, 1.4, -0.2, 0.0, -0.4, 1.4};  // rows sum to 1
  const std::array<double, 9> calibrated = {1.1, -0.05, 0.0, -0.1, 1.3, -0.1, 0.02, -0.3, 1.25};
  const nlohmann::json user = nlohmann::json::parse(R"({"stages": [
      {"stage": "black_white_level"}, {"stage": "white_balance", "params": {"clip_highlights": true}},
      {"stage": "demosaic"}, {"stage": "srgb"}]})");
  nlohmann::json with_matrix = user;
  nlohmann::json matrix_stage = nlohmann::json::object();
  matrix_stage["stage"] = "color_matrix";
  matrix_stage["params"] = {{"matrix", calibrated}, {"rows_sum_to_one", false}};
  with_matrix["stages"].insert(with_matrix["stages"].begin() + 3, matrix_stage);
  CameraIsp camera(with_matrix, &raw, nullptr);
  const auto got = camera.isp().get<ColorMatrix>("color_matrix").params().matrix;
  for (size_t k = 0; k < 9; ++k) EXPECT_NEAR(got[k], calibrated[k], 1e-6) << "entry " << k;
  const auto gains = camera.isp().get<WhiteBalance>("white_balance").gains();
  EXPECT_NEAR(gains[0], 2.0, 1e-5);
  EXPECT_NEAR(gains[2], 1.5, 1e-5);

  CameraIsp by_default(nlohmann::json(), &raw, nullptr);
  const auto meta = by_default.isp().get<ColorMatrix>("color_matrix").params().matrix;
  for (size_t k = 0; k < 9; ++k) EXPECT_NEAR(meta[k], raw.camera_to_srgb[k], 1e-6) << "entry " << k;
}

}  // namespace
}  // namespace invgfx
