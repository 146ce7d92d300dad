// The camera panel's path into the loop: every field of the sensor and the ISP, edited the way the
// panel's widgets edit it (IspPanel::edit), reaches the loop and changes the render (a field that only
// shapes gradients changes them instead), including the plain fields no optimizer holds — the
// reproduction of the old bug: sharpen on with amount 2, sigma 1 → 6 changed the panel and not the
// render. Structural fields are refused with a message. All stages are on and away from identity, so
// every field matters.
#include "gui_test_env.h"

#include "app/camera_isp.h"
#include "app/gui/main_window.h"

#include <QTest>

#include <cmath>

namespace invgfx {
namespace {

nlohmann::json full_isp() {
  std::vector<double> curve;
  for (int k = 0; k <= 16; ++k) curve.push_back(std::pow(k / 16.0, 0.8));
  return nlohmann::json::parse(R"({"cfa": "RGGB", "stages": [
    {"stage": "sensor", "params": {"exposure": 1.5, "noise": "gaussian", "shot": 0.001, "read": 0.0001,
                                   "clip": true, "white": 1.0}},
    {"stage": "black_white_level", "params": {"black": [0.01, 0.01, 0.01, 0.01], "white": 1.0}},
    {"stage": "lens_shading", "params": {"k": [[0.1, 0, 0], [0.1, 0, 0], [0.1, 0, 0]]}},
    {"stage": "white_balance", "params": {"gains": [1.6, 1.0, 1.3], "clip_highlights": false}},
    {"stage": "demosaic", "params": {"method": "bilinear"}},
    {"stage": "denoise", "params": {"radius": 1, "sigma_spatial": 1.0, "sigma_range": 0.05}},
    {"stage": "color_matrix", "params": {"matrix": [[1.2, -0.1, 0], [0, 1.1, -0.05], [0, -0.1, 1.3]],
                                         "rows_sum_to_one": false}},
    {"stage": "tone_curve", "params": {"values": [0]}},
    {"stage": "saturation", "params": {"saturation": 1.2}},
    {"stage": "sharpen", "params": {"amount": 1.5, "sigma": 1.0}},
    {"stage": "srgb"}]})")
      .patch(nlohmann::json::array({{{"op", "replace"}, {"path", "/stages/7/params/values"}, {"value", curve}}}));
}

// A value different from `v` within the field's range, as a user would set it.
std::vector<double> another_value(const FieldSpec& s, std::vector<double> v) {
  for (double& x : v) {
    switch (s.kind) {
      case FieldKind::kBoolean: x = x != 0 ? 0 : 1; break;
      case FieldKind::kChoice: x = std::fmod(x + 1, static_cast<double>(s.choices.size())); break;
      case FieldKind::kInteger: x = x < s.hi ? x + 1 : x - 1; break;
      case FieldKind::kReal:
        if (s.size == 0) {
          x = std::pow(x, 0.8);  // a list in [0, 1] (a curve's knots): monotone, ends kept
        } else {
          const double d = 0.1 * (std::abs(x) + 0.1);
          x = x + d <= s.hi ? x + d : x - d;
        }
        break;
    }
  }
  return v;
}

double max_difference(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, static_cast<double>(std::abs(a[i] - b[i])));
  return m;
}

double gradient_norm(Loop& loop) {
  loop.loss_and_gradients({0});
  double s = 0;
  loop.visit_parameters([&](Parameter& p) {
    if (p.group == "net")
      for (float g : p.grad) s += static_cast<double>(g) * g;
  });
  return s;
}

class GuiIspPanel : public ::testing::Test {
 protected:
  void SetUp() override {
    gui_test::app();
    window_ = std::make_unique<MainWindow>();
    window_->set_confirm_close(false);
    LoopConfig c = gui_test::tiny_config();
    c.isp = full_isp();
    window_->set_config(c);
    window_->resize(1400, 860);
    window_->show();
    bool done = false, ok = false;
    window_->set_on_loaded([&](bool success) {
      done = true;
      ok = success;
    });
    window_->open_inputs({gui_test::samples_dir() / "apple.jpg"});
    ASSERT_TRUE(QTest::qWaitFor([&] { return done; }, 60000));
    ASSERT_TRUE(ok) << window_->last_error().toStdString();
    runner_ = window_->runner();
  }
  void TearDown() override {
    if (window_) window_->close();
    window_.reset();
  }

  // The snapshot after everything posted so far.
  LoopSnapshot settled() {
    EXPECT_TRUE(runner_->wait_idle(30000));
    LoopSnapshot s;
    uint64_t version = 0;
    runner_->copy_snapshot(s, version);
    return s;
  }
  void edit(const std::string& name, const std::vector<double>& values) {
    window_->dashboard().isp_panel().edit(*runner_, name, values);
  }
  static const CameraField* find(const LoopSnapshot& s, const std::string& name) {
    for (const CameraField& f : s.camera)
      if (f.spec.name == name) return &f;
    return nullptr;
  }

  std::unique_ptr<MainWindow> window_;
  LoopRunner* runner_ = nullptr;
};

TEST_F(GuiIspPanel, SharpenSigmaReachesTheRender) {
  edit("sharpen.amount", {2.0});
  edit("sharpen.sigma", {1.0});
  const LoopSnapshot before = settled();
  edit("sharpen.sigma", {6.0});
  const LoopSnapshot after = settled();
  ASSERT_NE(find(after, "sharpen.sigma"), nullptr);
  EXPECT_EQ(find(after, "sharpen.sigma")->values, std::vector<double>{6.0}) << "the panel shows 6";
  EXPECT_GT(max_difference(before.render_srgb, after.render_srgb), 1e-3) << "and the render changed";
}

TEST_F(GuiIspPanel, EveryFieldEditedThroughThePanelChangesTheRender) {
  const LoopSnapshot start = settled();
  ASSERT_GT(start.camera.size(), 30u);
  int edited = 0;
  for (const CameraField& field : start.camera) {
    const std::string& name = field.spec.name;
    SCOPED_TRACE(name);
    const std::vector<double> v = another_value(field.spec, field.values);
    if (!field.spec.editable()) {
      // Structural fields (a curve's knot count, the demosaic method, the sensor's mosaic) are fixed.
      edit(name, v);
      settled();
      window_->dashboard().isp_panel().poll_results();
      EXPECT_NE(window_->dashboard().isp_panel().error().find("fixed during a fit"), std::string::npos);
      continue;
    }
    const LoopSnapshot before = settled();
    double grad_before = 0;
    if (name == "sensor.clip_gradient") runner_->call([&](Loop& loop) { grad_before = gradient_norm(loop); });
    edit(name, v);
    const LoopSnapshot after = settled();
    if (name == "sensor.enabled" || name == "demosaic.enabled") {
      // Without the sensor's mosaic, or without the demosaic, the stages after them get images of
      // the wrong kind: the window says so (and the panel shows the switch as the user set it).
      EXPECT_NE(runner_->status().error.find("channels"), std::string::npos) << runner_->status().error;
      EXPECT_EQ(find(after, name)->values, v);
      edit(name, field.values);
      settled();
      ++edited;
      continue;
    }
    ASSERT_NE(find(after, name), nullptr);
    const std::vector<double>& got = find(after, name)->values;
    ASSERT_EQ(got.size(), v.size()) << name;
    for (size_t i = 0; i < v.size(); ++i)  // values held in float parameters come back rounded
      EXPECT_NEAR(got[i], v[i], 1e-6 * (1 + std::abs(v[i]))) << name << " did not take the panel's value";
    if (name == "sensor.clip_gradient") {
      // It shapes the backward only: the gradients change, the render does not.
      double grad_after = 0;
      runner_->call([&](Loop& loop) { grad_after = gradient_norm(loop); });
      EXPECT_NE(grad_after, grad_before);
    } else {
      EXPECT_GT(max_difference(before.render_srgb, after.render_srgb), 1e-6) << name << ": the render did not change";
    }
    edit(name, field.values);  // back, so every field is tried from the same camera
    settled();
    ++edited;
  }
  EXPECT_GT(edited, 30);
}

}  // namespace
}  // namespace invgfx
