// Scale: a 105,600-face grid in perspective at 1024² through both modes, forward and backward.
// Checks coverage against the projected quad's analytic area and that everything stays finite.
#include "render/antialias.h"
#include "render/interpolate.h"
#include "render/mesh_templates.h"
#include "render/rasterize.h"
#include "render/soft_rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace invgfx {
namespace {

TEST(RasterLarge, HundredThousandFacesAt1024) {
  const int n = 1024;
  const double fov = 1.0, tilt = 0.5;  // rad
  Mesh m = make_grid<float>(240, 220, 2.f, 1.6f);
  ASSERT_GT(m.num_faces(), 100000);
  // Tilt the grid about x and put it 3 units in front of the camera.
  auto to_eye = [&](double x, double y) {
    return std::array<double, 3>{x, y * std::cos(tilt), y * std::sin(tilt) - 3.0};
  };
  std::vector<double> eye;
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    auto e = to_eye(m.positions.at(i, 0), m.positions.at(i, 1));
    eye.insert(eye.end(), e.begin(), e.end());
  }
  Tensor pos = raster_test::perspective<float>(eye, fov, 1.0, 0.1, 20);
  Tensor colors(Shape{m.num_vertices(), 3}, 0.5f);
  // Analytic reference: shoelace area of the projected outline, in pixels.
  const double f = 1.0 / std::tan(0.5 * fov);
  double X[4], Y[4], area = 0, perimeter = 0;
  const double cx[4] = {-1.0, 1.0, 1.0, -1.0}, cy[4] = {-0.8, -0.8, 0.8, 0.8};
  for (int k = 0; k < 4; ++k) {
    auto e = to_eye(cx[k], cy[k]);
    X[k] = (f * e[0] / -e[2] + 1) * 0.5 * n, Y[k] = (1 - f * e[1] / -e[2]) * 0.5 * n;
  }
  for (int k = 0; k < 4; ++k) {
    const int j = (k + 1) % 4;
    area += 0.5 * (X[k] * Y[j] - X[j] * Y[k]);
    perimeter += std::hypot(X[j] - X[k], Y[j] - Y[k]);
  }
  area = std::abs(area);

  Rasterizer rz;
  Interpolator ip;
  Antialiaser aa;
  RasterOutput r;
  Tensor img, out, dL_dimg, dL_drast, gpos, gcol;
  rz.forward(pos, m.faces, {n, n}, r);
  ip.forward(colors, m.faces, r, img);
  aa.forward(img, pos, m.faces, r, out);
  EXPECT_NEAR(double(r.covered_pixels()), area, perimeter);  // boundary pixels go either way
  Tensor w(out.shape(), 1.f);
  aa.backward(img, pos, m.faces, r, w, &dL_dimg, &gpos);
  ip.backward(colors, m.faces, r, dL_dimg, &gcol, &dL_drast);
  rz.backward(pos, m.faces, r, dL_drast, gpos);
  for (float v : out) ASSERT_TRUE(std::isfinite(v));
  for (float v : gpos) ASSERT_TRUE(std::isfinite(v));

  // Soft mode, σ = 1e-8 (reach ≈ 0.16 px, nearly hard). Inside the mesh A = 1 − Π(1 − D) only dips
  // at interior edges, where the two faces give D = sigmoid(±x) and A = 1 − sigmoid(x)·sigmoid(−x)
  // ≥ 0.75 (a SoftRas property); with faces ~3 px across these bands cover about a third of the
  // pixels, so Σ A is a few percent below the area, and every pixel whose 3×3 neighbourhood is hard-
  // covered must have A ≥ 0.75. (With the default σ = 1e-5, reach ≈ 5 px, the 8 faces nearest in
  // depth among the ~30 in reach need not include the covering one, as with PyTorch3D's top-K.)
  SoftRasterizeOptions opt;
  opt.width = n, opt.height = n, opt.sigma = 1e-8;
  SoftRasterizer sr;
  Tensor rgba, g(Shape{4, n, n}, 1.f), sgpos, sgcol;
  sr.forward(pos, m.faces, colors, opt, rgba);
  double alpha = 0;
  const int64_t plane = int64_t(n) * n;
  for (int64_t p = 0; p < plane; ++p) alpha += rgba[3 * plane + p];
  EXPECT_LT(alpha, area + perimeter);
  EXPECT_GT(alpha, 0.9 * area);
  float min_inner = 1.f;
  for (int y = 1; y + 1 < n; ++y)
    for (int x = 1; x + 1 < n; ++x) {
      bool inner = true;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) inner = inner && r.face_at(x + dx, y + dy) >= 0;
      if (inner) min_inner = std::min(min_inner, rgba[3 * plane + int64_t(y) * n + x]);
    }
  // float32: a pixel centre within ~1e-3 px of a vertex may be judged just outside every face there.
  EXPECT_GE(min_inner, 0.75f - 1e-3f);
  sr.backward(pos, m.faces, colors, opt, rgba, g, &sgpos, &sgcol);
  for (float v : sgpos) ASSERT_TRUE(std::isfinite(v));
  for (float v : sgcol) ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace invgfx
