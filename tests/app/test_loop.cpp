// The loop: the loss falls, groups freeze and take their own learning rates, the divergence guard
// rolls back, sessions resume bit for bit and reject bad files, and the ISP receives gradients from
// both branches of a RAW photo. Small: 64 px, icosphere level 2, a few synthetic photos.
#include "app/loop.h"
#include "tests/app/loop_fixtures.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

namespace invgfx {
namespace {

constexpr int kS = 64;

using test::disc_dataset;
using test::disc_photo;
using test::error_of;
using test::small_config;

// name → values of every parameter.
std::map<std::string, std::vector<float>> values_of(Loop& loop, const std::string& group = "") {
  std::map<std::string, std::vector<float>> out;
  loop.visit_parameters([&](Parameter& p) {
    if (group.empty() || p.group == group) out[p.group + ":" + p.name] = {p.value.begin(), p.value.end()};
  });
  return out;
}

bool all_finite(Loop& loop) {
  bool ok = true;
  loop.visit_parameters([&](Parameter& p) {
    for (float v : p.value) ok = ok && std::isfinite(v);
  });
  return ok;
}

std::filesystem::path temp_dir() {
  const auto d = std::filesystem::temp_directory_path() / "invgfx_test_loop";
  std::filesystem::create_directories(d);
  return d;
}

TEST(Loop, LossFallsInTrainingAndRefinement) {
  LoopConfig c = small_config();
  c.iterations = 40;
  Loop loop(c, disc_dataset(2));
  std::vector<double> train, refine;
  while (!loop.done()) {
    const StepInfo s = loop.step();
    ASSERT_TRUE(s.applied) << s.event;
    ASSERT_TRUE(std::isfinite(s.loss));
    (s.phase == LoopPhase::kTraining ? train : refine).push_back(s.loss);
  }
  ASSERT_EQ(train.size(), 20u);
  ASSERT_EQ(refine.size(), 20u);
  auto mean = [](const std::vector<double>& v, size_t a, size_t b) {
    double s = 0;
    for (size_t i = a; i < b; ++i) s += v[i];
    return s / static_cast<double>(b - a);
  };
  EXPECT_LT(mean(train, 17, 20), 0.9 * mean(train, 0, 3));
  EXPECT_LT(mean(refine, 17, 20), mean(refine, 0, 3));
  const FitMetrics m = loop.metrics();
  ASSERT_EQ(m.photos.size(), 2u);
  EXPECT_GT(m.psnr, 10);
  EXPECT_GT(m.iou, 0.3);
  EXPECT_EQ(m.iterations, 40);
  EXPECT_GT(m.iterations_per_second, 0);
  EXPECT_TRUE(m.to_json().contains("terms"));
}

TEST(Loop, EveryGroupCanBeFrozen) {
  for (const char* g : {"net", "shape", "texture", "light", "camera", "background", "isp"}) {
    LoopConfig c = small_config();
    c.iterations = 6;
    c.groups[g].frozen = true;
    Loop loop(c, disc_dataset(2));
    const auto before = values_of(loop, g);
    ASSERT_FALSE(before.empty()) << g;
    for (int i = 0; i < 2; ++i) loop.step();
    EXPECT_EQ(values_of(loop, g), before) << g << " changed in training";
    loop.start_refinement();
    const auto refined_start = values_of(loop, g);
    for (int i = 0; i < 2; ++i) loop.step();
    EXPECT_EQ(values_of(loop, g), refined_start) << g << " changed in refinement";
    // Unfrozen, the same group moves.
    GroupSettings s;
    loop.set_group(g, s);
    loop.set_iterations(10);
    loop.step();
    if (std::string(g) != "net") {
      EXPECT_NE(values_of(loop, g), refined_start) << g << " does not move once thawed";
    }
  }
}

TEST(Loop, EveryGroupHasItsOwnLearningRate) {
  // Adam's first step moves each element by lr·sign(g): the largest change shows the group's rate.
  LoopConfig c = small_config();
  c.train_fraction = 0;
  c.max_grad_norm = 0;
  c.groups["camera"].lr = 0.02;
  c.groups["light"].lr = 0.001;
  c.groups["background"].lr_scale = 10;  // 10 × base 3e-3
  Loop loop(c, disc_dataset(2));
  loop.start_refinement();
  const auto before = values_of(loop);
  loop.step();
  const auto after = values_of(loop);
  std::map<std::string, double> max_step;
  for (const auto& [k, v] : before) {
    const std::string grp = k.substr(0, k.find(':'));
    for (size_t i = 0; i < v.size(); ++i)
      max_step[grp] = std::max(max_step[grp], static_cast<double>(std::abs(after.at(k)[i] - v[i])));
  }
  EXPECT_NEAR(max_step["camera"], 0.02, 0.002);
  EXPECT_NEAR(max_step["light"], 0.001, 1e-4);
  EXPECT_NEAR(max_step["background"], 0.03, 0.003);
  EXPECT_NEAR(loop.group("camera").lr.value(), 0.02, 1e-12);
}

// Frozen features of a fixed sRGB photo are computed once and kept; trained features are recomputed
// every step. Both must give the same loss and the same gradients to the scene.
TEST(Loop, KeptPhotoFeaturesMatchRecomputedOnes) {
  LoopConfig kept = small_config(), fresh = small_config();
  kept.weights.feature = fresh.weights.feature = 1.0;
  fresh.groups["features"].frozen = false;  // trainable features: nothing may be kept
  Loop a(kept, disc_dataset(3)), b(fresh, disc_dataset(3));
  auto grads = [](Loop& loop) {
    std::map<std::string, std::vector<float>> out;
    loop.visit_parameters([&](Parameter& p) {
      if (p.group != "features") out[p.name] = {p.grad.begin(), p.grad.end()};
    });
    return out;
  };
  for (const std::vector<int>& photos : {std::vector<int>{0, 1}, {2, 0}, {1, 2}}) {
    const double la = a.loss_and_gradients(photos), lb = b.loss_and_gradients(photos);
    EXPECT_NEAR(la, lb, 1e-6 * std::abs(lb));
    const auto ga = grads(a), gb = grads(b);
    ASSERT_EQ(ga.size(), gb.size());
    double worst = 0, scale = 0;
    for (const auto& [name, g] : gb)
      for (size_t i = 0; i < g.size(); ++i) {
        worst = std::max(worst, static_cast<double>(std::abs(ga.at(name)[i] - g[i])));
        scale = std::max(scale, static_cast<double>(std::abs(g[i])));
      }
    EXPECT_GT(scale, 0);
    EXPECT_LE(worst, 1e-4 * scale);
  }
}

TEST(Loop, NanPhotoIsRolledBackAndReported) {
  Dataset d = disc_dataset(2);
  d.photos[1].srgb.at(1, 10, 10) = std::nanf("");
  LoopConfig c = small_config();
  c.batch_size = 2;
  Loop loop(c, std::move(d));
  const auto before = values_of(loop);
  const StepInfo s = loop.step();
  EXPECT_FALSE(s.applied);
  EXPECT_NE(s.event.find("rolled back"), std::string::npos) << s.event;
  EXPECT_NE(s.event.find("halved"), std::string::npos) << s.event;
  EXPECT_EQ(values_of(loop), before);
  EXPECT_TRUE(all_finite(loop));
  EXPECT_EQ(loop.iteration(), 1);
}

TEST(Loop, HugeLearningRateIsRolledBackAndLowered) {
  LoopConfig c = small_config();
  c.train_fraction = 0;
  c.groups["light"].lr = 1e300;  // overflows to inf in float: the new values are not finite
  Loop loop(c, disc_dataset(2));
  loop.start_refinement();
  const auto before = values_of(loop);
  const StepInfo s = loop.step();
  EXPECT_FALSE(s.applied);
  EXPECT_NE(s.event.find("not finite"), std::string::npos) << s.event;
  EXPECT_EQ(values_of(loop), before);  // parameters and (below) optimiser state restored
  EXPECT_TRUE(all_finite(loop));
  // A sane rate afterwards works from the restored state.
  GroupSettings g;
  g.lr = 0.01;
  loop.set_group("light", g);
  const StepInfo t = loop.step();
  EXPECT_TRUE(t.applied) << t.event;
  EXPECT_TRUE(all_finite(loop));
}

void expect_resume_is_exact(int steps_before, int steps_after) {
  LoopConfig c = small_config();
  c.iterations = 12;
  c.batch_size = 2;
  const auto path = temp_dir() / ("resume" + std::to_string(steps_before) + ".bin");
  Loop a(c, disc_dataset(3));
  for (int i = 0; i < steps_before; ++i) a.step();
  a.save_session(path);
  for (int i = 0; i < steps_after; ++i) a.step();

  Loop b(Loop::session_config(path), disc_dataset(3));
  b.load_session(path);
  EXPECT_EQ(b.iteration(), steps_before);
  for (int i = 0; i < steps_after; ++i) b.step();
  EXPECT_EQ(b.iteration(), a.iteration());
  EXPECT_EQ(b.phase(), a.phase());
  const auto va = values_of(a), vb = values_of(b);
  ASSERT_EQ(va.size(), vb.size());
  for (const auto& [k, v] : va) EXPECT_TRUE(v == vb.at(k)) << k << " differs after resuming";
  EXPECT_EQ(a.metrics().loss, b.metrics().loss);
}

TEST(Loop, SessionResumesBitIdenticallyInTraining) { expect_resume_is_exact(3, 5); }
TEST(Loop, SessionResumesBitIdenticallyInRefinement) { expect_resume_is_exact(8, 3); }

TEST(Loop, BadSessionFilesThrowNamingTheFile) {
  LoopConfig c = small_config();
  Loop loop(c, disc_dataset(2));
  loop.step();
  const auto good = temp_dir() / "good.bin";
  loop.save_session(good);
  std::ifstream f(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);

  auto write = [&](const std::string& name, const std::string& b) {
    const auto p = temp_dir() / name;
    std::ofstream(p, std::ios::binary) << b;
    return p;
  };
  const auto truncated = write("truncated.bin", bytes.substr(0, bytes.size() / 2));
  std::string wrong_magic = bytes;
  wrong_magic[0] = 'X';
  std::string wrong_version = bytes;
  wrong_version[8] = 99;
  std::string corrupt = bytes;
  corrupt[bytes.size() - 3] ^= 0x55;  // the end marker
  for (const auto& p : {truncated, write("magic.bin", wrong_magic), write("version.bin", wrong_version),
                        write("corrupt.bin", corrupt)}) {
    Loop l(c, disc_dataset(2));
    const std::string e = error_of([&] { l.load_session(p); });
    EXPECT_NE(e.find(p.string()), std::string::npos) << "no file name in: " << e;
  }
  EXPECT_NE(error_of([&] { Loop l(c, disc_dataset(2)); l.load_session(write("version.bin", wrong_version)); })
                .find("version"),
            std::string::npos);
  Loop three(c, disc_dataset(3));
  const std::string e = error_of([&] { three.load_session(good); });
  EXPECT_NE(e.find("photos"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { Loop::session_config(temp_dir() / "missing.bin"); }).find("missing.bin"),
            std::string::npos);
}

// A RAW photo: a linear disc mosaicked RGGB, as the dataset stores it (black 0, white 1).
Photo raw_photo() {
  Photo p = disc_photo(0, kS, 0.5f, 0.5f, 0.3f, {0.35f, 0.2f, 0.1f});
  p.raw.resize({1, kS, kS});
  for (int y = 0; y < kS; ++y)
    for (int x = 0; x < kS; ++x) {
      const int ch = (y % 2 == 0) ? (x % 2 == 0 ? 0 : 1) : (x % 2 == 0 ? 1 : 2);
      p.raw.at(0, y, x) = 0.6f * p.srgb.at(ch, y, x) * p.srgb.at(ch, y, x);
    }
  p.raw_settings.wb_gains = {2.0, 1.0, 1.5};
  return p;
}

double isp_grad(Loop& loop, const std::string& name, int k) {
  double g = 0;
  loop.isp().visit_parameters([&](Parameter& p) {
    if (p.name == name) g = p.grad[k];
  });
  return g;
}
void set_value(Loop& loop, const std::string& name, int k, float v) {
  loop.isp().visit_parameters([&](Parameter& p) {
    if (p.name == name) p.value[k] = v;
  });
}
float value_of(Loop& loop, const std::string& name, int k) {
  float v = 0;
  loop.isp().visit_parameters([&](Parameter& p) {
    if (p.name == name) v = p.value[k];
  });
  return v;
}

TEST(Loop, RawPhotoGivesTheIspGradientsThroughBothBranches) {
  LoopConfig c = small_config();
  c.batch_size = 1;
  c.raw_denoiser = true;
  c.weights.isp_prior = 0;  // the two loops below start the prior from different metadata
  // White balance without highlight clipping: its kink (min with the smallest gain) would make the
  // central difference straddle a non-differentiable point for near-saturated render pixels.
  {
    std::ifstream f(assets_dir() / "isp" / "default.json");
    c.isp = nlohmann::json::parse(f);
    for (auto& st : c.isp["stages"])
      if (st["stage"] == "white_balance") st["params"]["clip_highlights"] = false;
  }
  Dataset raw;
  raw.photos.push_back(raw_photo());
  Loop loop(c, raw);
  loop.start_refinement();
  const std::string wb = "white_balance.log_gains";
  // Full loss: finite differences against the analytic gradient of both log gains.
  for (int k = 0; k < 2; ++k) {
    loop.loss_and_gradients({0});
    const double g = isp_grad(loop, wb, k);
    const float v0 = value_of(loop, wb, k), h = 2e-3f;
    set_value(loop, wb, k, v0 + h);
    const double lp = loop.loss_and_gradients({0});
    set_value(loop, wb, k, v0 - h);
    const double lm = loop.loss_and_gradients({0});
    set_value(loop, wb, k, v0);
    const double fd = (lp - lm) / (static_cast<double>(v0 + h) - static_cast<double>(v0 - h));
    EXPECT_NEAR(g, fd, 0.05 * std::abs(fd) + 1e-4) << "log gain " << k;
    EXPECT_NE(g, 0.0);
  }
  // Render branch alone: the same photo given as the sRGB the ISP develops from its RAW.
  Tensor srgb;
  {
    Dataset d = raw;
    Loop probe(c, d);
    LoopSnapshot snap;
    probe.snapshot(0, snap);
    srgb = snap.photo_srgb;
  }
  Dataset plain = raw;
  plain.photos[0].raw = Tensor();
  plain.photos[0].srgb = srgb;
  Loop render_only(c, plain);
  render_only.start_refinement();
  // Same ISP start as the RAW loop (the RAW metadata set its white balance).
  loop.isp().visit_parameters([&](Parameter& p) {
    render_only.isp().visit_parameters([&](Parameter& q) {
      if (q.name == p.name) q.value.copy_from(p.value);
    });
  });
  loop.loss_and_gradients({0});
  render_only.loss_and_gradients({0});
  for (int k = 0; k < 2; ++k) {
    const double both = isp_grad(loop, wb, k), render = isp_grad(render_only, wb, k);
    EXPECT_NE(render, 0.0) << "no gradient through the render branch";
    EXPECT_GT(std::abs(both - render), 1e-6) << "no gradient through the photo branch";
  }
  // Training phase too: the encoder sees the developed RAW.
  Loop train(c, raw);
  train.loss_and_gradients({0});
  EXPECT_NE(isp_grad(train, wb, 0), 0.0);
}

}  // namespace
}  // namespace invgfx
