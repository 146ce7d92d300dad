// Pre-ISP RAW denoiser: identity at initialisation, residual bounded by its scale, and backward
// against central differences in double w.r.t. the mosaic and every weight.
#include "app/nets/raw_denoiser.h"

#include "core/gradcheck.h"
#include "core/random.h"

#include <gtest/gtest.h>
#include <omp.h>

namespace invgfx {
namespace {

TEST(RawDenoiser, FreshDenoiserIsTheIdentityAndInTheIspGroup) {
  RawDenoiser den;
  Tensor x({2, 1, 8, 12});
  Rng rng(1);
  rng.fill_uniform(x, 0.0, 1.0);
  Tensor y;
  den.forward(x, y);
  ASSERT_EQ(y.shape(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(y[i], x[i]);
  int n = 0;
  den.visit_parameters([&](Parameter& p) {
    EXPECT_EQ(p.group, "isp");
    ++n;
  });
  EXPECT_EQ(n, 6);
  // Its gradient at the identity is the identity, and the last layer already learns.
  Tensor g(x.shape(), 1.f), dx(x.shape());
  den.visit_parameters([](Parameter& p) { p.zero_grad(); });
  den.backward(x, y, g, &dx);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(dx[i], 1.f);
  double last = 0;
  den.visit_parameters([&](Parameter& p) {
    if (p.name == "conv3.bias")
      for (float v : p.grad) last += std::abs(v);
  });
  EXPECT_GT(last, 0.0);
  EXPECT_THROW(den.forward(Tensor({1, 1, 7, 8}), y), std::invalid_argument);
  EXPECT_THROW(den.forward(Tensor({1, 3, 8, 8}), y), std::invalid_argument);
}

TEST(RawDenoiser, GradientsMatchFiniteDifferences) {
  RawDenoiserOptions o;
  o.features = 6;
  o.scale = 0.3;
  RawDenoiserD den(o);
  // Give the zero-initialised last layer values, so every weight has a gradient to check.
  Rng rng(3);
  den.visit_parameters([&](ParameterD& p) {
    if (p.name.rfind("conv3", 0) == 0) rng.fill_uniform(p.value, -0.3, 0.3);
  });
  TensorD x({2, 1, 6, 8});
  rng.fill_uniform(x, 0.0, 1.0);
  GradCheckOptions gc;
  gc.atol = 1e-7;
  gc.max_elements = 40;
  const GradCheckReport r = check_node<double>(den, {&x}, gc);
  EXPECT_TRUE(r.ok) << r.message();
  EXPECT_GT(r.checked, 100);

  // The residual moves the output away from the input, by at most what the weights allow.
  TensorD y;
  den.forward(x, y);
  double diff = 0;
  for (int64_t i = 0; i < x.numel(); ++i) diff += std::abs(y[i] - x[i]);
  EXPECT_GT(diff, 1e-3);
}

TEST(RawDenoiser, PackingKeepsEachSiteInItsPlane) {
  // With a last layer that only passes its bias, each 2×2 site gets its own constant: the packing
  // order (0,0), (0,1), (1,0), (1,1) is the CFA's.
  RawDenoiserOptions o;
  o.scale = 1.0;
  RawDenoiser den(o);
  den.visit_parameters([](Parameter& p) {
    if (p.name == "conv3.bias")
      for (int k = 0; k < 4; ++k) p.value[k] = float(k + 1);
  });
  Tensor x({1, 1, 4, 6}, 0.f), y;
  den.forward(x, y);
  for (int yy = 0; yy < 4; ++yy)
    for (int xx = 0; xx < 6; ++xx) EXPECT_EQ(y[yy * 6 + xx], float(1 + 2 * (yy % 2) + (xx % 2)));
}

TEST(RawDenoiser, ResultsDoNotDependOnTheThreadCount) {
  // Large enough (2×1×256×256) for the packing loops and the convolutions to run threaded.
  Tensor x({2, 1, 256, 256});
  Rng rng(4);
  rng.fill_uniform(x, 0.0, 1.0);
  std::vector<std::vector<float>> runs;
  const int saved = omp_get_max_threads();
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    RawDenoiser den;
    Rng wr(5);
    den.visit_parameters([&](Parameter& p) {
      if (p.name.rfind("conv3", 0) == 0) wr.fill_uniform(p.value, -0.2, 0.2);
      p.zero_grad();
    });
    Tensor y, dx(x.shape());
    den.forward(x, y);
    den.backward(x, y, y, &dx);
    std::vector<float> all(y.begin(), y.end());
    all.insert(all.end(), dx.begin(), dx.end());
    den.visit_parameters([&](Parameter& p) { all.insert(all.end(), p.grad.begin(), p.grad.end()); });
    runs.push_back(std::move(all));
  }
  omp_set_num_threads(saved);
  ASSERT_EQ(runs[0].size(), runs[1].size());
  for (size_t i = 0; i < runs[0].size(); ++i) ASSERT_EQ(runs[0][i], runs[1][i]) << i;
}

}  // namespace
}  // namespace invgfx
