// Image-quality and recovery tests: demosaic PSNR on natural-looking synthetic images, a learned 5×5
// demosaic trained with Adam, and recovery of a hidden ISP (white balance, CCM, tone curve) from
// linear/sRGB pairs.
#include "core/adam.h"
#include "core/metrics.h"
#include "core/random.h"
#include "isp/color_matrix.h"
#include "isp/demosaic.h"
#include "isp/pipeline.h"
#include "isp/sensor.h"
#include "isp/tone_curve.h"
#include "isp/white_balance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

// A "natural-looking" linear RGB image: smooth illumination gradient × reflectance with hard edges (a
// disc and a slanted step), mid-frequency texture, and colours that vary slowly, so the channels are
// strongly correlated as in photographs (the property Malvar-He-Cutler exploits).
TensorD natural_image(int64_t h, int64_t w, uint64_t seed) {
  Rng rng(seed);
  const double cx = rng.uniform_d(0.3, 0.7) * w, cy = rng.uniform_d(0.3, 0.7) * h, rad = rng.uniform_d(0.15, 0.3) * h;
  const double ang = rng.uniform_d(0, 3.14159), f1 = rng.uniform_d(0.25, 0.6), f2 = rng.uniform_d(0.25, 0.6);
  double tint[3][2];
  for (auto& t : tint) { t[0] = rng.uniform_d(0.5, 1.0); t[1] = rng.uniform_d(-0.3, 0.3); }
  TensorD img(Shape{3, h, w});
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      const double u = static_cast<double>(j) / w, v = static_cast<double>(i) / h;
      double L = 0.25 + 0.35 * u + 0.15 * v;                                           // illumination
      if ((j - cx) * (j - cx) + (i - cy) * (i - cy) < rad * rad) L *= 1.6;            // disc
      if (std::cos(ang) * (j - w / 2.0) + std::sin(ang) * (i - h / 2.0) > 0) L *= 0.7;  // slanted edge
      L *= 1 + 0.18 * std::sin(f1 * j + 0.7 * std::sin(f2 * i)) * std::cos(f2 * i);     // texture
      for (int c = 0; c < 3; ++c) img.at(c, i, j) = std::clamp(L * (tint[c][0] + tint[c][1] * (u - v)), 0.0, 1.0);
    }
  return img;
}

TensorD mosaic_of(const TensorD& rgb) {
  SensorD sensor;  // RGGB, no noise, no clipping
  TensorD raw;
  sensor.forward(rgb, raw);
  return raw;
}

double demosaic_psnr(DemosaicD& dm, const std::vector<TensorD>& images) {
  double total = 0;
  for (const auto& img : images) {
    TensorD out;
    dm.forward(mosaic_of(img), out);
    total += psnr(out, img, 2);  // a 2-pixel border, where the mirrored taps act, is left out
  }
  return total / static_cast<double>(images.size());
}

TEST(IspQuality, MalvarBeatsBilinearAndLearnedKernelMatchesOrBeatsMalvar) {
  std::vector<TensorD> train, test;
  for (uint64_t s = 0; s < 4; ++s) train.push_back(natural_image(40, 40, 100 + s));
  for (uint64_t s = 0; s < 3; ++s) test.push_back(natural_image(48, 48, 200 + s));
  DemosaicD bilinear({DemosaicMethod::Bilinear}), malvar({DemosaicMethod::Malvar});
  const double p_bil = demosaic_psnr(bilinear, test), p_mal = demosaic_psnr(malvar, test);
  EXPECT_GT(p_mal, p_bil + 2.0) << "bilinear " << p_bil << " dB, Malvar " << p_mal << " dB";

  // Learned 5×5 kernels from Malvar, Adam on the MSE over the training images.
  DemosaicD learned({DemosaicMethod::Learned});
  std::vector<TensorD> raws;
  for (const auto& img : train) raws.push_back(mosaic_of(img));
  AdamSettings as;
  as.lr = 2e-3;
  AdamD adam(collect_parameters<double>(learned), as);
  TensorD out, g;
  for (int step = 0; step < 300; ++step) {
    adam.zero_grad();
    for (size_t k = 0; k < train.size(); ++k) {
      learned.forward(raws[k], out);
      g.resize(out.shape());
      const double scale = 2.0 / static_cast<double>(out.numel() * static_cast<int64_t>(train.size()));
      for (int64_t i = 0; i < out.numel(); ++i) g[i] = scale * (out[i] - train[k][i]);
      learned.backward(raws[k], out, g, nullptr);
    }
    if (step == 200) adam.set_lr(5e-4);
    adam.step();
  }
  const double p_learn = demosaic_psnr(learned, test);
  EXPECT_GE(p_learn, p_mal) << "Malvar " << p_mal << " dB, learned " << p_learn << " dB";
  std::printf("demosaic PSNR (held-out synthetic images): bilinear %.2f dB, Malvar %.2f dB, learned %.2f dB\n",
              p_bil, p_mal, p_learn);
}

TEST(IspQuality, FittingRecoversHiddenWhiteBalanceCcmAndToneCurve) {
  // Pointwise stages on RGB (white balance per channel, CCM, PWL tone curve, sRGB): random linear
  // camera-RGB pixels, their sRGB under a hidden setting, and a fit from the identity with Adam.
  auto make = [] {
    return IspPipelineD::from_json({{"stages",
                                     {{{"stage", "white_balance"}, {"learnable", true}},
                                      {{"stage", "color_matrix"}, {"learnable", true}},
                                      {{"stage", "tone_curve"}, {"params", {{"knots", 16}}}, {"learnable", true}},
                                      {{"stage", "srgb"}}}}});
  };
  auto hidden = make();
  hidden.get<WhiteBalanceD>("white_balance").set_gains({1.8, 1.0, 1.45});
  hidden.get<ColorMatrixD>("color_matrix").set_params({{1.45, -0.3, -0.15, -0.2, 1.35, -0.15, 0.05, -0.35, 1.3}, true});
  ToneCurveParams tp;
  tp.values.assign(17, 0.0);
  for (int k = 1; k <= 16; ++k) {
    const double x = k / 16.0;
    tp.values[k] = 0.6 * (3 * x * x - 2 * x * x * x) + 0.4 * std::sqrt(x);  // an S-curve with lifted shadows
  }
  hidden.get<ToneCurveD>("tone_curve").set_params(tp);

  // Camera RGB pixels: mostly neutral-ish with colour variation, so that after WB and CCM the values
  // cover (0, 1) and every tone-curve segment sees data.
  Rng rng(7);
  TensorD x(Shape{3, 48, 48}), target;
  for (int64_t i = 0; i < 48 * 48; ++i) {
    const double lum = rng.uniform_d(0.0, 0.98);
    x[i] = lum / 1.8 * rng.uniform_d(0.8, 1.2);
    x[48 * 48 + i] = lum * rng.uniform_d(0.8, 1.2);
    x[2 * 48 * 48 + i] = lum / 1.45 * rng.uniform_d(0.8, 1.2);
  }
  hidden.forward(x, target);

  auto fit = make();
  AdamSettings as;
  as.lr = 0.02;
  AdamD adam(collect_parameters<double>(fit), as);
  TensorD out, g;
  double loss = 0;
  for (int step = 0; step < 2500; ++step) {
    adam.zero_grad();
    fit.forward(x, out);
    g.resize(out.shape());
    loss = 0;
    for (int64_t i = 0; i < out.numel(); ++i) {
      const double e = out[i] - target[i];
      loss += e * e / static_cast<double>(out.numel());
      g[i] = 2 * e / static_cast<double>(out.numel());
    }
    fit.backward(x, out, g, nullptr);
    if (step == 1500) adam.set_lr(0.005);
    if (step == 2100) adam.set_lr(0.001);
    adam.step();
  }
  EXPECT_LT(loss, 1e-6);
  const auto gw = fit.get<WhiteBalanceD>("white_balance").gains();
  EXPECT_NEAR(gw[0] / 1.8, 1.0, 0.02);
  EXPECT_NEAR(gw[2] / 1.45, 1.0, 0.02);
  const auto m = fit.get<ColorMatrixD>("color_matrix").params().matrix;
  const auto mh = hidden.get<ColorMatrixD>("color_matrix").params().matrix;
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(m[k], mh[k], 0.02) << "CCM entry " << k;
  const auto Y = fit.get<ToneCurveD>("tone_curve").knot_values();
  for (int k = 0; k <= 16; ++k) EXPECT_NEAR(Y[k], tp.values[k], 0.01) << "tone knot " << k;
}

}  // namespace
}  // namespace invgfx
