// Implementation of render/texture_lod.h.
#include "render/texture_lod.h"

#include "render/raster_binning.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace invgfx {

namespace {

// One face at one pixel. c: the face's clip-space columns (x, y, w); t: its uvs in texels; (fx, fy)
// the pixel centre in NDC; (sx, sy) NDC per pixel. Returns λ before the clamp at 0 (−∞ when the
// footprint is degenerate). With dc, also dλ/dc (3 columns × (x, y, w)).
double pixel_lod(const double c[3][3], const double t[3][2], double fx, double fy, double sx, double sy,
                 double bias, double dc[3][3]) {
  double E[3][3], e = 0, ex = 0, ey = 0, n[2] = {0, 0}, nx[2] = {0, 0}, ny[2] = {0, 0};
  const double p[3] = {fx, fy, 1};
  for (int i = 0; i < 3; ++i) {
    const double* a = c[(i + 1) % 3];
    const double* b = c[(i + 2) % 3];
    E[i][0] = a[1] * b[2] - a[2] * b[1], E[i][1] = a[2] * b[0] - a[0] * b[2], E[i][2] = a[0] * b[1] - a[1] * b[0];
    const double ei = E[i][0] * fx + E[i][1] * fy + E[i][2];
    e += ei, ex += E[i][0], ey += E[i][1];
    for (int k = 0; k < 2; ++k) n[k] += ei * t[i][k], nx[k] += E[i][0] * t[i][k], ny[k] += E[i][1] * t[i][k];
  }
  if (!(std::abs(e) > 0)) return -std::numeric_limits<double>::infinity();
  double tk[2], dx[2], dy[2], jx2 = 0, jy2 = 0;
  for (int k = 0; k < 2; ++k) {
    tk[k] = n[k] / e;
    dx[k] = (nx[k] - tk[k] * ex) / e * sx, dy[k] = (ny[k] - tk[k] * ey) / e * sy;
    jx2 += dx[k] * dx[k], jy2 += dy[k] * dy[k];
  }
  const bool use_x = jx2 >= jy2;
  const double j2 = use_x ? jx2 : jy2;
  const double lod = 0.5 * std::log2(j2) + bias;
  if (!dc) return lod;
  // Reverse through the steps above, for the axis that gave the max.
  const double gj2 = 0.5 / (j2 * std::log(2.0));
  const double s = use_x ? sx : sy;
  const double* d = use_x ? dx : dy;
  const double de = use_x ? ex : ey;  // the axis' Σ E_i.axis
  double g_e = 0, g_de = 0, g_n[2], g_nd[2];
  for (int k = 0; k < 2; ++k) {
    const double gd = 2 * d[k] * gj2;
    g_nd[k] = gd * s / e;
    const double g_t = -gd * s * de / e;
    g_de += -gd * s * tk[k] / e;
    g_e += -gd * d[k] / e;
    g_n[k] = g_t / e;
    g_e += -g_t * tk[k] / e;
  }
  const int axis = use_x ? 0 : 1;
  double gE[3][3];
  for (int i = 0; i < 3; ++i) {
    const double si = g_n[0] * t[i][0] + g_n[1] * t[i][1];  // through e_i in n_k
    for (int m = 0; m < 3; ++m) gE[i][m] = (si + g_e) * p[m];
    gE[i][axis] += g_nd[0] * t[i][0] + g_nd[1] * t[i][1] + g_de;
  }
  for (int k = 0; k < 3; ++k)
    for (int m = 0; m < 3; ++m) dc[k][m] = 0;
  for (int i = 0; i < 3; ++i) {
    // E_i = a × b: dL/da = b × gE, dL/db = gE × a.
    double* ga = dc[(i + 1) % 3];
    double* gb = dc[(i + 2) % 3];
    const double* a = c[(i + 1) % 3];
    const double* b = c[(i + 2) % 3];
    const double* g = gE[i];
    ga[0] += b[1] * g[2] - b[2] * g[1], ga[1] += b[2] * g[0] - b[0] * g[2], ga[2] += b[0] * g[1] - b[1] * g[0];
    gb[0] += g[1] * a[2] - g[2] * a[1], gb[1] += g[2] * a[0] - g[0] * a[2], gb[2] += g[0] * a[1] - g[1] * a[0];
  }
  return lod;
}

template <class T>
void check_inputs(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& uvs,
                  const std::vector<int32_t>& uv_faces, const RasterOutputT<T>& r, int tw, int th, const char* what) {
  auto fail = [&](const std::string& m) { throw std::invalid_argument(std::string(what) + ": " + m); };
  check_clip_positions(clip_pos, what);
  if (uvs.rank() != 2 || uvs.dim(1) != 2) fail("uvs must be U×2, got " + uvs.shape().str());
  if (uv_faces.size() != faces.size())
    fail("uv_faces has " + std::to_string(uv_faces.size()) + " indices, faces has " + std::to_string(faces.size()));
  if (static_cast<int64_t>(r.face.size()) != int64_t(r.width) * r.height) fail("the raster output is incomplete");
  if (tw < 1 || th < 1) fail("texture size must be ≥ 1");
  for (size_t i = 0; i < faces.size(); ++i)
    if (faces[i] < 0 || faces[i] >= clip_pos.dim(0) || uv_faces[i] < 0 || uv_faces[i] >= uvs.dim(0))
      fail("face corner " + std::to_string(i) + " indexes past the vertices or uvs");
}

// The face's clip columns and texel-space uvs.
template <class T>
void face_data(const T* pos, const T* uv, const std::vector<int32_t>& faces, const std::vector<int32_t>& uv_faces,
               int64_t f, int tw, int th, double c[3][3], double t[3][2]) {
  for (int k = 0; k < 3; ++k) {
    const int64_t v = faces[static_cast<size_t>(3 * f + k)], u = uv_faces[static_cast<size_t>(3 * f + k)];
    c[k][0] = pos[4 * v], c[k][1] = pos[4 * v + 1], c[k][2] = pos[4 * v + 3];
    t[k][0] = uv[2 * u] * tw, t[k][1] = uv[2 * u + 1] * th;
  }
}

}  // namespace

template <class T>
void TextureLodT<T>::forward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& uvs,
                             const std::vector<int32_t>& uv_faces, const RasterOutputT<T>& r, int texture_width,
                             int texture_height, TensorT<T>& lod, double bias) const {
  check_inputs(clip_pos, faces, uvs, uv_faces, r, texture_width, texture_height, "texture_lod");
  const int W = r.width, H = r.height;
  const int64_t P = int64_t(W) * H, F = static_cast<int64_t>(faces.size() / 3);
  lod.resize({H, W});
  const double sx = 2.0 / W, sy = 2.0 / H;  // NDC per pixel (the sign of y does not matter for a length)
#pragma omp parallel for schedule(static) if (P >= kRasterParallelMinPixels)
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int64_t p = int64_t(y) * W + x;
      const int32_t f = r.face[static_cast<size_t>(p)];
      lod[p] = T(0);
      if (f < 0 || f >= F) continue;
      double c[3][3], t[3][2];
      face_data(clip_pos.data(), uvs.data(), faces, uv_faces, f, texture_width, texture_height, c, t);
      const double l = pixel_lod(c, t, pixel_center_ndc_x<double>(x, W), pixel_center_ndc_y<double>(y, H), sx, sy,
                                 bias, nullptr);
      lod[p] = std::isfinite(l) && l > 0 ? T(l) : T(0);
    }
}

template <class T>
void TextureLodT<T>::backward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& uvs,
                              const std::vector<int32_t>& uv_faces, const RasterOutputT<T>& r, int texture_width,
                              int texture_height, const TensorT<T>& dL_dlod, TensorT<T>* dL_dclip, double bias) {
  check_inputs(clip_pos, faces, uvs, uv_faces, r, texture_width, texture_height, "texture_lod backward");
  const int W = r.width, H = r.height;
  if (dL_dlod.numel() != int64_t(W) * H)
    throw std::invalid_argument("texture_lod backward: dL_dlod must have " + std::to_string(int64_t(W) * H) +
                                " values, got " + dL_dlod.shape().str());
  if (!dL_dclip) return;
  const int64_t F = static_cast<int64_t>(faces.size() / 3);
  if (static_cast<int64_t>(r.face_pixel_start.size()) != F + 1)
    throw std::invalid_argument("texture_lod backward: the raster output is for another mesh");
  topology_.update(faces, clip_pos.dim(0), "texture_lod backward: faces");
  corner_grad_.resize(static_cast<size_t>(F * 12));
  const double sx = 2.0 / W, sy = 2.0 / H;
#pragma omp parallel for schedule(dynamic, 64) if (F >= kRasterParallelMinFaces)
  for (int64_t f = 0; f < F; ++f) {
    T* cg = corner_grad_.data() + 12 * f;
    std::fill(cg, cg + 12, T(0));
    const int32_t b = r.face_pixel_start[static_cast<size_t>(f)], e = r.face_pixel_start[static_cast<size_t>(f) + 1];
    if (b == e) continue;
    double c[3][3], t[3][2], acc[3][3] = {};
    face_data(clip_pos.data(), uvs.data(), faces, uv_faces, f, texture_width, texture_height, c, t);
    for (int32_t i = b; i < e; ++i) {
      const int32_t p = r.face_pixels[static_cast<size_t>(i)];
      const double g = static_cast<double>(dL_dlod[p]);
      if (g == 0) continue;
      double dc[3][3];
      const double l = pixel_lod(c, t, pixel_center_ndc_x<double>(p % W, W), pixel_center_ndc_y<double>(p / W, H), sx,
                                 sy, bias, dc);
      if (!(std::isfinite(l) && l > 0)) continue;  // clamped: λ does not move
      for (int k = 0; k < 3; ++k)
        for (int m = 0; m < 3; ++m) acc[k][m] += g * dc[k][m];
    }
    for (int k = 0; k < 3; ++k) {
      cg[4 * k] = T(acc[k][0]), cg[4 * k + 1] = T(acc[k][1]), cg[4 * k + 3] = T(acc[k][2]);
    }
  }
  if (dL_dclip->shape() != clip_pos.shape()) dL_dclip->resize(clip_pos.shape()), dL_dclip->zero();
  topology_.gather_corners(corner_grad_.data(), 4, dL_dclip->data());
}

template class TextureLodT<float>;
template class TextureLodT<double>;

}  // namespace invgfx
