// Silhouette antialiasing: finite-difference gradients through rasterize → interpolate → antialias,
// the coverage gradient against the analytic derivative of the covered area, and the topology test
// (interior edges of a closed mesh are not blended).
#include "core/gradcheck.h"
#include "core/random.h"
#include "render/antialias.h"
#include "render/interpolate.h"
#include "render/mesh_templates.h"
#include "render/rasterize.h"
#include "tests/render/test_raster_util.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

using raster_test::ndc;
using raster_test::perspective;

// The whole hard pipeline on one context; loss = Σ w ⊙ antialias(interpolate(colours)).
template <class T>
struct HardPipeline {
  RasterizerT<T> rz;
  InterpolatorT<T> ip;
  AntialiaserT<T> aa;
  RasterOutputT<T> r;
  TensorT<T> img, out, dL_dimg, dL_drast;

  T loss(const TensorT<T>& pos, const std::vector<int32_t>& faces, const TensorT<T>& colors, const TensorT<T>& w, int W,
         int H) {
    rz.forward(pos, faces, {W, H}, r);
    ip.forward(colors, faces, r, img);
    aa.forward(img, pos, faces, r, out);
    T s = 0;
    for (int64_t i = 0; i < out.numel(); ++i) s += w[i] * out[i];
    return s;
  }
  // Adds dL/dpos and dL/dcolors (after a loss() with the same inputs).
  void backward(const TensorT<T>& pos, const std::vector<int32_t>& faces, const TensorT<T>& colors, const TensorT<T>& w,
                TensorT<T>& dL_dpos, TensorT<T>& dL_dcolors) {
    dL_dimg.resize(img.shape());
    dL_dimg.zero();
    dL_drast.resize({4, r.height, r.width});
    dL_drast.zero();
    aa.backward(img, pos, faces, r, w, &dL_dimg, &dL_dpos);
    ip.backward(colors, faces, r, dL_dimg, &dL_dcolors, &dL_drast);
    rz.backward(pos, faces, r, dL_drast, dL_dpos);
  }
};

TEST(RasterAntialias, GradientsMatchFiniteDifferencesAgainstBackgroundAndSurface) {
  // A front triangle partly over a back triangle, both with their own vertices and random vertex
  // colours, on a 20×18 image: blends against the background and against the back surface. For a
  // perturbation h = 1e-6 no pixel centre changes coverage and no blend switches side, so L is smooth
  // in the perturbed variable: central differences are accurate to ~1e-9 relative (rtol 1e-5).
  const int W = 20, H = 18;
  TensorD pos = perspective<double>({-1.3, -1.1, -3.0, 1.2, -0.9, -3.6, 0.1, 1.3, -3.2,  //
                                     -0.2, -0.6, -2.0, 0.9, 0.1, -2.2, -0.4, 0.8, -2.1},
                                    1.0, double(W) / H, 0.1, 50);
  std::vector<int32_t> faces = {0, 1, 2, 3, 4, 5};
  TensorD colors({6, 3}), w({3, H, W});
  Rng rng(5);
  rng.fill_uniform(colors, 0, 1);
  rng.fill_uniform(w, -1, 1);
  HardPipeline<double> pipe;
  auto loss = [&]() { return pipe.loss(pos, faces, colors, w, W, H); };
  loss();
  const int64_t pairs = pipe.aa.num_pairs();
  EXPECT_GT(pairs, 20);
  TensorD dL_dpos({6, 4}), dL_dcolors({6, 3});
  pipe.backward(pos, faces, colors, w, dL_dpos, dL_dcolors);
  // The antialiasing alone must contribute position gradients (visibility), checked separately.
  TensorD aa_only({6, 4});
  pipe.aa.backward(pipe.img, pos, faces, pipe.r, w, nullptr, &aa_only);
  double aa_norm = 0;
  for (double g : aa_only) aa_norm += g * g;
  EXPECT_GT(aa_norm, 1e-4);
  GradCheckOptions opt;
  auto rp = check_gradient<double>("clip positions", pos.data(), pos.numel(), dL_dpos.data(), loss, opt);
  EXPECT_TRUE(rp.ok) << rp.message();
  auto rc = check_gradient<double>("colours", colors.data(), colors.numel(), dL_dcolors.data(), loss, opt);
  EXPECT_TRUE(rc.ok) << rc.message();
}

// Area in pixels of an NDC triangle with w = 1 (x_pix = (x+1)·W/2, y_pix = (1−y)·H/2), and its
// derivative with respect to the NDC x and y of each vertex, from the shoelace formula.
double pixel_area(const TensorD& p, int W, int H, double* dA) {
  double X[3], Y[3];
  for (int i = 0; i < 3; ++i) X[i] = (p.at(i, 0) + 1) * 0.5 * W, Y[i] = (1 - p.at(i, 1)) * 0.5 * H;
  const double cr = (X[1] - X[0]) * (Y[2] - Y[0]) - (X[2] - X[0]) * (Y[1] - Y[0]);
  const double sg = cr > 0 ? 0.5 : -0.5;
  for (int i = 0; i < 3; ++i) {
    const int j = (i + 1) % 3, k = (i + 2) % 3;
    dA[2 * i] = sg * (Y[j] - Y[k]) * 0.5 * W;        // ∂A/∂x_i
    dA[2 * i + 1] = sg * (X[k] - X[j]) * -0.5 * H;   // ∂A/∂y_i
  }
  return sg * cr;
}

TEST(RasterAntialias, CoverageGradientMatchesAnalyticAreaDerivative) {
  // Uniform colour c_front on a background c_back (0, or a large back quad of 0.25): the sum of the
  // antialiased image is ≈ c_back·(pixels) + (c_front − c_back)·area, so its gradient with respect
  // to a vertex should be (c_front − c_back)·∂area/∂vertex — the true visibility gradient, which
  // point sampling alone gives as zero. Antialiasing is a per-pixel-pair 1-D box-filter model, exact
  // for the edge's interior rows and approximate only at the ends of each edge (the vertex pixels),
  // so the tolerance is 3% of the gradient norm for a triangle ~40 px across.
  const int W = 64, H = 64;
  for (double back : {0.0, 0.25}) {
    TensorD pos = ndc<double>({-0.61, -0.52, 0.0, 0.57, -0.43, 0.0, 0.08, 0.66, 0.0,  //
                               -1.5, -1.5, 0.5, 1.5, -1.5, 0.5, 1.5, 1.5, 0.5, -1.5, 1.5, 0.5});
    std::vector<int32_t> faces = {0, 1, 2};
    if (back > 0) faces.insert(faces.end(), {3, 4, 5, 3, 5, 6});
    TensorD colors({7, 1});
    for (int i = 0; i < 7; ++i) colors[i] = i < 3 ? 1.0 : back;
    TensorD w({1, H, W}, 1.0);
    HardPipeline<double> pipe;
    pipe.loss(pos, faces, colors, w, W, H);
    TensorD dL_dpos({7, 4}), dL_dcolors({7, 1});
    pipe.backward(pos, faces, colors, w, dL_dpos, dL_dcolors);
    double dA[6];
    pixel_area(pos, W, H, dA);
    double err = 0, norm = 0;
    for (int i = 0; i < 3; ++i)
      for (int k = 0; k < 2; ++k) {
        const double ref = (1.0 - back) * dA[2 * i + k];
        err += (dL_dpos.at(i, k) - ref) * (dL_dpos.at(i, k) - ref);
        norm += ref * ref;
      }
    EXPECT_LT(std::sqrt(err / norm), 0.03) << "background " << back;
    // The back quad extends past the image, so none of its edges is blended.
    for (int i = 3; i < 7; ++i) EXPECT_EQ(dL_dpos.at(i, 0), 0.0);
  }
}

TEST(RasterAntialias, ClosedMeshBlendsOnlyItsSilhouette) {
  // Icosphere (welded) 3 units in front of the camera: only the outline is blended, about one pair
  // per outline pixel. With every face given its own vertices, each interior edge also counts as a
  // silhouette, so many more pairs appear: the topology test is doing its job. Expected outline
  // radius: f·tan(asin(1/3))·W/2 ≈ 20.7 px, perimeter ≈ 130 px.
  const int W = 64, H = 64;
  Mesh m = make_icosphere<float>(3, 1.f);
  std::vector<double> eye;
  for (int64_t i = 0; i < m.num_vertices(); ++i)
    eye.insert(eye.end(), {m.positions.at(i, 0), m.positions.at(i, 1), m.positions.at(i, 2) - 3.0});
  Tensor pos = perspective<float>(eye, 1.0, 1.0, 0.1, 50);
  Tensor colors(Shape{m.num_vertices(), 3}, 0.5f);
  Rasterizer rz;
  Interpolator ip;
  Antialiaser aa;
  RasterOutput r;
  Tensor img, out;
  rz.forward(pos, m.faces, {W, H}, r);
  ip.forward(colors, m.faces, r, img);
  aa.forward(img, pos, m.faces, r, out);
  const int64_t welded_pairs = aa.num_pairs();
  EXPECT_GT(welded_pairs, 65);
  EXPECT_LT(welded_pairs, 260);

  // Unwelded copy: every face its own three vertices.
  Tensor pos2({m.num_faces() * 3, 4}), colors2(Shape{m.num_faces() * 3, 3}, 0.5f);
  std::vector<int32_t> faces2(m.faces.size());
  for (size_t c = 0; c < m.faces.size(); ++c) {
    for (int k = 0; k < 4; ++k) pos2.at(int64_t(c), k) = pos.at(m.faces[c], k);
    faces2[c] = static_cast<int32_t>(c);
  }
  rz.forward(pos2, faces2, {W, H}, r);
  ip.forward(colors2, faces2, r, img);
  aa.forward(img, pos2, faces2, r, out);
  EXPECT_GT(aa.num_pairs(), 3 * welded_pairs);
  // Welding by position restores the outline-only behaviour.
  std::vector<int32_t> welded = weld_faces_by_position(pos2, faces2);
  aa.forward(img, pos2, welded, r, out);
  EXPECT_EQ(aa.num_pairs(), welded_pairs);
}

}  // namespace
}  // namespace invgfx
