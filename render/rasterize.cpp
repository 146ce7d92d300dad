// Implementation of render/rasterize.h.
#include "render/rasterize.h"
#include "render/raster_binning.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace invgfx {

void RasterizeOptions::check(const char* what) const {
  if (width < 1 || width > 16384 || height < 1 || height > 16384)
    throw std::invalid_argument(std::string(what) + ": image size " + std::to_string(width) + "×" +
                                std::to_string(height) + " outside 1..16384");
}

template <class T>
void check_clip_positions(const TensorT<T>& pos, const char* what) {
  if (pos.rank() != 2 || pos.dim(1) != 4)
    throw std::invalid_argument(std::string(what) + ": clip positions must be V×4 (x y z w), got " +
                                pos.shape().str());
}

namespace {

using Vec3 = std::array<double, 3>;

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

}  // namespace

template <class T>
void RasterizerT<T>::setup_face(const T* pos, const int32_t* f, const RasterizeOptions& opt, FaceSetup& s) const {
  s.rect = PixelRect{0, 0, -1, -1};
  const T* p[3] = {pos + 4 * int64_t(f[0]), pos + 4 * int64_t(f[1]), pos + 4 * int64_t(f[2])};
  Vec3 P[3];
  bool finite = true;
  for (int i = 0; i < 3; ++i) {
    P[i] = {double(p[i][0]), double(p[i][1]), double(p[i][3])};
    for (int k = 0; k < 4; ++k) finite = finite && std::isfinite(double(p[i][k]));
  }
  if (!finite) return;

  // Edge functions. Each edge's cross product is taken in a canonical vertex order (lexicographic in
  // position) and negated as needed, so two faces sharing an edge get exactly opposite functions and
  // a pixel centre on the edge is never missed by both.
  double e[3][3];
  for (int i = 0; i < 3; ++i) {
    const Vec3& a = P[(i + 1) % 3];
    const Vec3& b = P[(i + 2) % 3];
    const bool swap = b < a;
    Vec3 c = swap ? cross(b, a) : cross(a, b);
    for (int k = 0; k < 3; ++k) e[i][k] = swap ? -c[k] : c[k];
  }
  const double D = P[0][0] * e[0][0] + P[0][1] * e[0][1] + P[0][2] * e[0][2];  // P_0 · (P_1 × P_2)
  if (!(D != 0.0) || !std::isfinite(D)) return;  // edge-on or degenerate: covers no pixel centre
  if ((opt.cull == CullMode::kBack && D < 0) || (opt.cull == CullMode::kFront && D > 0)) return;

  ClipVertexT<T> poly[kMaxClipVertices];
  const int n = clip_triangle_near_far(p[0], p[1], p[2], poly);
  if (n < 3) return;
  s.clipped = false;
  for (int i = 0; i < 3; ++i) s.clipped = s.clipped || p[i][3] + p[i][2] < T(0) || p[i][3] - p[i][2] < T(0);
  const PixelRect rect = clip_polygon_pixel_rect(poly, n, opt.width, opt.height);
  if (rect.empty()) return;

  const double sg = D > 0 ? 1.0 : -1.0;
  for (int k = 0; k < 3; ++k) {
    double dz = 0, dn = 0, df = 0;
    for (int i = 0; i < 3; ++i) {
      const double z = double(p[i][2]), w = double(p[i][3]);
      dz += e[i][k] * z, dn += e[i][k] * (w + z), df += e[i][k] * (w - z);
    }
    for (int i = 0; i < 3; ++i) s.edge[i][k] = T(sg * e[i][k]);
    s.depth[k] = T(sg * dz);
    s.clip[0][k] = T(sg * dn);
    s.clip[1][k] = T(sg * df);
  }
  // Faces inside both planes get clip functions that are identically 1, so the forward's branch-free
  // row loop tests them unconditionally.
  if (!s.clipped)
    for (int j = 0; j < 2; ++j) s.clip[j][0] = T(0), s.clip[j][1] = T(0), s.clip[j][2] = T(1);
  s.inv_abs_det = T(1.0 / std::abs(D));
  s.rect = rect;
}

template <class T>
void RasterizerT<T>::forward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
                             const RasterizeOptions& opt, RasterOutputT<T>& out) {
  opt.check("rasterize: options");
  check_clip_positions(clip_pos, "rasterize: clip_pos");
  const int64_t V = clip_pos.dim(0);
  topology_.update(faces, V, "rasterize: faces");  // validates indices; reused by backward
  const int W = opt.width, H = opt.height;
  const int64_t F = static_cast<int64_t>(faces.size() / 3);
  const T* pos = clip_pos.data();

  ndc_x_.resize(static_cast<size_t>(W));
  ndc_y_.resize(static_cast<size_t>(H));
  for (int x = 0; x < W; ++x) ndc_x_[static_cast<size_t>(x)] = pixel_center_ndc_x<T>(x, W);
  for (int y = 0; y < H; ++y) ndc_y_[static_cast<size_t>(y)] = pixel_center_ndc_y<T>(y, H);

  // Triangle setup, in parallel.
  setup_.resize(static_cast<size_t>(F));
#pragma omp parallel for schedule(static) if (F >= kRasterParallelMinFaces)
  for (int64_t f = 0; f < F; ++f) setup_face(pos, faces.data() + 3 * f, opt, setup_[static_cast<size_t>(f)]);

  // Binning into tiles in face order (counting sort), so each bin lists its faces ascending.
  const int tx = (W + kTileSize - 1) / kTileSize, ty = (H + kTileSize - 1) / kTileSize;
  const size_t num_tiles = static_cast<size_t>(tx) * ty;
  bin_faces_to_tiles(F, tx, num_tiles, kTileSize, [&](int64_t f) -> const PixelRect& { return setup_[static_cast<size_t>(f)].rect; },
                     tile_start_, tile_faces_, tile_fill_);

  out.width = W, out.height = H, out.num_faces = F;
  win_entry_.resize(static_cast<size_t>(W) * H);
  if (tile_faces_.size() > entry_count_.capacity()) entry_count_.reserve(tile_faces_.capacity());
  entry_count_.assign(tile_faces_.size(), 0);
  out.rast.resize({4, H, W});
  out.face.resize(static_cast<size_t>(W) * H);
  const int64_t plane = int64_t(W) * H;
  T* rast = out.rast.data();

  // Per-tile rasterization with a tile-local depth buffer.
#pragma omp parallel for schedule(dynamic, 4) if (int64_t(W) * H >= kRasterParallelMinPixels)
  for (int64_t t = 0; t < static_cast<int64_t>(num_tiles); ++t) {
    const int x0 = int(t % tx) * kTileSize, y0 = int(t / tx) * kTileSize;
    const int x1 = std::min(W, x0 + kTileSize) - 1, y1 = std::min(H, y0 + kTileSize) - 1;
    // Branch-free row spans (vectorised over x): the winning face's a_0, a_1 and Σa are kept and
    // divided once per pixel at write-out, which gives the same bits as dividing at each hit.
    alignas(64) T zbuf[kTileSize * kTileSize], ab0[kTileSize * kTileSize], ab1[kTileSize * kTileSize],
        sb[kTileSize * kTileSize];
    alignas(64) int32_t ib[kTileSize * kTileSize], kb[kTileSize * kTileSize];
    std::fill(std::begin(zbuf), std::end(zbuf), std::numeric_limits<T>::infinity());
    std::fill(std::begin(ib), std::end(ib), -1);
    std::fill(std::begin(kb), std::end(kb), 0);
    std::fill(std::begin(ab0), std::end(ab0), T(0));
    std::fill(std::begin(ab1), std::end(ab1), T(0));
    std::fill(std::begin(sb), std::end(sb), T(1));
    const T* ndc_x = ndc_x_.data();
    for (int32_t k = tile_start_[static_cast<size_t>(t)]; k < tile_start_[static_cast<size_t>(t) + 1]; ++k) {
      const int32_t f = tile_faces_[static_cast<size_t>(k)];
      const FaceSetup& s = setup_[static_cast<size_t>(f)];
      const int ry0 = std::max(y0, s.rect.y0), ry1 = std::min(y1, s.rect.y1);
      const int rx0 = std::max(x0, s.rect.x0), rx1 = std::min(x1, s.rect.x1);
      const T e00 = s.edge[0][0], e10 = s.edge[1][0], e20 = s.edge[2][0];
      const T n0 = s.clip[0][0], f0 = s.clip[1][0], d0 = s.depth[0], inv_det = s.inv_abs_det;
      for (int y = ry0; y <= ry1; ++y) {
        const T fy = ndc_y_[static_cast<size_t>(y)];
        const T c0 = s.edge[0][1] * fy + s.edge[0][2];
        const T c1 = s.edge[1][1] * fy + s.edge[1][2];
        const T c2 = s.edge[2][1] * fy + s.edge[2][2];
        const T cn = s.clip[0][1] * fy + s.clip[0][2];
        const T cf = s.clip[1][1] * fy + s.clip[1][2];
        const T dy = s.depth[1] * fy, d2 = s.depth[2];
        const int row = (y - y0) * kTileSize - x0;
        T* zr = zbuf + row;
        T* a0r = ab0 + row;
        T* a1r = ab1 + row;
        T* sr = sb + row;
        int32_t* ir = ib + row;
        int32_t* kr = kb + row;
#pragma omp simd
        for (int x = rx0; x <= rx1; ++x) {
          const T fx = ndc_x[x];
          const T a0 = e00 * fx + c0, a1 = e10 * fx + c1, a2 = e20 * fx + c2;
          const T sum = a0 + a1 + a2;
          const T z = (d0 * fx + dy + d2) * inv_det;
          const bool win = (a0 >= T(0)) & (a1 >= T(0)) & (a2 >= T(0)) & (sum > T(0)) & (n0 * fx + cn >= T(0)) &
                           (f0 * fx + cf >= T(0)) & (z < zr[x]);
          zr[x] = win ? z : zr[x];
          a0r[x] = win ? a0 : a0r[x];
          a1r[x] = win ? a1 : a1r[x];
          sr[x] = win ? sum : sr[x];
          ir[x] = win ? f : ir[x];
          kr[x] = win ? k : kr[x];
        }
      }
    }
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const int li = (y - y0) * kTileSize + (x - x0);
        const int64_t p = int64_t(y) * W + x;
        out.face[static_cast<size_t>(p)] = ib[li];
        win_entry_[static_cast<size_t>(p)] = ib[li] >= 0 ? kb[li] : -1;
        if (ib[li] >= 0) ++entry_count_[static_cast<size_t>(kb[li])];
        const bool hit = ib[li] >= 0;
        rast[p] = hit ? ab0[li] / sb[li] : T(0);
        rast[plane + p] = hit ? ab1[li] / sb[li] : T(0);
        rast[2 * plane + p] = hit ? std::clamp(zbuf[li], T(-1), T(1)) : T(0);
        rast[3 * plane + p] = T(ib[li] + 1);
      }
  }

  // Pixel lists per face for the deterministic backward gathers, without a serial pass over the
  // image: each (tile, face) bin entry counted its pixels above; a face's list is its entries in tile
  // order, each entry's pixels in row-major order within the tile. Only O(entries + F) work is serial.
  const size_t num_entries = tile_faces_.size();
  out.face_pixel_start.assign(static_cast<size_t>(F) + 1, 0);
  for (size_t e = 0; e < num_entries; ++e) {
    const size_t f = static_cast<size_t>(tile_faces_[e]);
    out.face_pixel_start[f + 1] += entry_count_[e];
  }
  for (int64_t f = 0; f < F; ++f) out.face_pixel_start[static_cast<size_t>(f) + 1] += out.face_pixel_start[static_cast<size_t>(f)];
  // Entries are in tile-major order, so visiting them in order and appending per face gives each
  // face its entries in tile order; entry_count_ becomes each entry's write offset.
  tile_fill_.assign(out.face_pixel_start.begin(), out.face_pixel_start.end() - 1);
  for (size_t e = 0; e < num_entries; ++e) {
    const size_t f = static_cast<size_t>(tile_faces_[e]);
    const int32_t c = entry_count_[e];
    entry_count_[e] = tile_fill_[f];
    tile_fill_[f] += c;
  }
  out.face_pixels.reserve(static_cast<size_t>(W) * H);  // at most every pixel: allocated once
  out.face_pixels.resize(static_cast<size_t>(out.face_pixel_start[static_cast<size_t>(F)]));
#pragma omp parallel for schedule(dynamic, 4) if (int64_t(W) * H >= kRasterParallelMinPixels)
  for (int64_t t = 0; t < static_cast<int64_t>(num_tiles); ++t) {
    const int x0 = int(t % tx) * kTileSize, y0 = int(t / tx) * kTileSize;
    const int x1 = std::min(W, x0 + kTileSize) - 1, y1 = std::min(H, y0 + kTileSize) - 1;
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const int64_t p = int64_t(y) * W + x;
        const int32_t k = win_entry_[static_cast<size_t>(p)];
        if (k >= 0) out.face_pixels[static_cast<size_t>(entry_count_[static_cast<size_t>(k)]++)] = static_cast<int32_t>(p);
      }
  }
}

template <class T>
void RasterizerT<T>::backward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
                              const RasterOutputT<T>& r, const TensorT<T>& dL_drast, TensorT<T>& dL_dpos) {
  check_clip_positions(clip_pos, "rasterize backward: clip_pos");
  const int W = r.width, H = r.height;
  if (dL_drast.rank() != 3 || dL_drast.dim(0) < 2 || dL_drast.dim(1) != H || dL_drast.dim(2) != W)
    throw std::invalid_argument("rasterize backward: dL_drast must be C×" + std::to_string(H) + "×" +
                                std::to_string(W) + " with C ≥ 2, got " + dL_drast.shape().str());
  const int64_t F = static_cast<int64_t>(faces.size() / 3);
  if (F != r.num_faces)
    throw std::invalid_argument("rasterize backward: faces differ from the forward's (" + std::to_string(F) +
                                " vs " + std::to_string(r.num_faces) + ")");
  const int64_t V = clip_pos.dim(0);
  topology_.update(faces, V, "rasterize backward: faces");
  if (dL_dpos.shape() != clip_pos.shape()) {
    dL_dpos.resize(clip_pos.shape());
    dL_dpos.zero();
  }
  ndc_x_.resize(static_cast<size_t>(W));
  ndc_y_.resize(static_cast<size_t>(H));
  for (int x = 0; x < W; ++x) ndc_x_[static_cast<size_t>(x)] = pixel_center_ndc_x<T>(x, W);
  for (int y = 0; y < H; ++y) ndc_y_[static_cast<size_t>(y)] = pixel_center_ndc_y<T>(y, H);

  const int64_t plane = int64_t(W) * H;
  const T* gu = dL_drast.data();
  const T* gv = dL_drast.data() + plane;
  const T* pos = clip_pos.data();
  corner_grad_.resize(static_cast<size_t>(F) * 12);

  // Per face: Σ over its pixels of dL/d(x, y, w) of its three vertices, from the closed form
  // u = a_0/S, v = a_1/S with a_i = X_j Y_k − Y_j X_k, X = x − f_x w, Y = y − f_y w.
#pragma omp parallel for schedule(dynamic, 64) if (r.covered_pixels() > 4096)
  for (int64_t f = 0; f < F; ++f) {
    T* g = corner_grad_.data() + 12 * f;
    std::fill(g, g + 12, T(0));
    const int32_t b = r.face_pixel_start[static_cast<size_t>(f)], e = r.face_pixel_start[static_cast<size_t>(f) + 1];
    if (b == e) continue;
    const T* p0 = pos + 4 * int64_t(faces[3 * f]);
    const T* p1 = pos + 4 * int64_t(faces[3 * f + 1]);
    const T* p2 = pos + 4 * int64_t(faces[3 * f + 2]);
    T gx0 = 0, gy0 = 0, gw0 = 0, gx1 = 0, gy1 = 0, gw1 = 0, gx2 = 0, gy2 = 0, gw2 = 0;
    for (int32_t i = b; i < e; ++i) {
      const int32_t p = r.face_pixels[static_cast<size_t>(i)];
      const T du = gu[p], dv = gv[p];
      if (du == T(0) && dv == T(0)) continue;
      const T fx = ndc_x_[static_cast<size_t>(p % W)], fy = ndc_y_[static_cast<size_t>(p / W)];
      const T X0 = p0[0] - fx * p0[3], Y0 = p0[1] - fy * p0[3];
      const T X1 = p1[0] - fx * p1[3], Y1 = p1[1] - fy * p1[3];
      const T X2 = p2[0] - fx * p2[3], Y2 = p2[1] - fy * p2[3];
      const T a0 = X1 * Y2 - Y1 * X2, a1 = X2 * Y0 - Y2 * X0, a2 = X0 * Y1 - Y0 * X1;
      const T S = a0 + a1 + a2;
      if (S == T(0)) continue;
      const T inv = T(1) / S;
      const T common = (du * a0 + dv * a1) * inv;
      const T da0 = (du - common) * inv, da1 = (dv - common) * inv, da2 = -common * inv;
      const T dX0 = -da1 * Y2 + da2 * Y1, dY0 = da1 * X2 - da2 * X1;
      const T dX1 = da0 * Y2 - da2 * Y0, dY1 = -da0 * X2 + da2 * X0;
      const T dX2 = -da0 * Y1 + da1 * Y0, dY2 = da0 * X1 - da1 * X0;
      if (!std::isfinite(dX0 + dY0 + dX1 + dY1 + dX2 + dY2)) continue;
      gx0 += dX0, gy0 += dY0, gw0 -= fx * dX0 + fy * dY0;
      gx1 += dX1, gy1 += dY1, gw1 -= fx * dX1 + fy * dY1;
      gx2 += dX2, gy2 += dY2, gw2 -= fx * dX2 + fy * dY2;
    }
    g[0] = gx0, g[1] = gy0, g[3] = gw0;
    g[4] = gx1, g[5] = gy1, g[7] = gw1;
    g[8] = gx2, g[9] = gy2, g[11] = gw2;
  }
  topology_.gather_corners(corner_grad_.data(), 4, dL_dpos.data());
}

template class RasterizerT<float>;
template class RasterizerT<double>;
template void check_clip_positions<float>(const Tensor&, const char*);
template void check_clip_positions<double>(const TensorD&, const char*);

}  // namespace invgfx
