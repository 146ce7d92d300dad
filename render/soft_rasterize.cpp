// Implementation of render/soft_rasterize.h.
#include "render/soft_rasterize.h"
#include "render/raster_binning.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace invgfx {

void SoftRasterizeOptions::check(const char* what) const {
  auto fail = [&](const std::string& m) { throw std::invalid_argument(std::string(what) + ": " + m); };
  if (width < 1 || width > 16384 || height < 1 || height > 16384)
    fail("image size " + std::to_string(width) + "×" + std::to_string(height) + " outside 1..16384");
  if (!(sigma > 0) || !std::isfinite(sigma)) fail("sigma must be > 0, got " + std::to_string(sigma));
  if (!(gamma > 0) || !std::isfinite(gamma)) fail("gamma must be > 0, got " + std::to_string(gamma));
  if (!(dist_eps > 0 && dist_eps < 0.5)) fail("dist_eps must be in (0, 0.5), got " + std::to_string(dist_eps));
  if (!(background_eps >= 0 && background_eps < 1)) fail("background_eps must be in [0, 1)");
  if (!std::isfinite(background)) fail("background must be finite");
  if (max_faces < 1 || max_faces > 32) fail("max_faces must be in 1..32, got " + std::to_string(max_faces));
}

namespace {
constexpr int kMaxK = 32;

// q = (x, y)/w, z_n = z/w  ⇒  ∂/∂x = ∂/∂q_x / w, …, ∂/∂w = −(x ∂q_x + y ∂q_y + z ∂z_n)/w².
template <class T>
void screen_to_clip_grad(const T* v, T gx, T gy, T gz, T* out) {
  const T iw = T(1) / v[3];
  out[0] = gx * iw, out[1] = gy * iw, out[2] = gz * iw;
  out[3] = -(gx * v[0] + gy * v[1] + gz * v[2]) * iw * iw;
}
}  // namespace

template <class T>
bool SoftRasterizerT<T>::sample_row(const FaceSetup& s, const T* fx, T fy, int la, int lb, const T* floor, T cutoff,
                                    LaneSamples& o) const {
  if (fy < s.box[1] || fy > s.box[3]) return false;
  const T Y0 = s.q[0][1] - fy, Y1 = s.q[1][1] - fy, Y2 = s.q[2][1] - fy;
  // Edge e runs from vertex a = (e+1)%3 to b = (e+2)%3.
  T ax[3], ay[3], abx[3], aby[3];
  for (int e = 0; e < 3; ++e) {
    const T* a = s.q[(e + 1) % 3];
    const T* b = s.q[(e + 2) % 3];
    ax[e] = a[0], ay[e] = fy - a[1], abx[e] = b[0] - a[0], aby[e] = b[1] - a[1];
  }
  Mask any = 0;
#pragma omp simd reduction(| : any)
  for (int l = 0; l < kTileSize; ++l) {
    const T x = fx[l];
    const T X0 = s.q[0][0] - x, X1 = s.q[1][0] - x, X2 = s.q[2][0] - x;
    // n_i = (q_a − f) × (q_b − f), evaluated from differences rather than the expanded affine form,
    // whose large constant term loses float precision on small faces away from the screen centre.
    const T n[3] = {X1 * Y2 - Y1 * X2, X2 * Y0 - Y2 * X0, X0 * Y1 - Y0 * X1};
    T lam[3], m[3];
    bool in = true, far = false;
    for (int i = 0; i < 3; ++i) {
      lam[i] = n[i] * s.inv_area;
      in = in & (lam[i] >= T(0));
      const T ld = n[i] * s.inv_len[i];
      far = far | ((lam[i] < T(0)) & (ld * ld >= cutoff));
      m[i] = lam[i] > T(0) ? lam[i] : T(0);
    }
    // Outside an edge, the distance to the triangle is at least the distance to that edge's line
    // (`far`); the λ̂ clamp is PyTorch3D's clip_barycentric_coords.
    const T M = m[0] + m[1] + m[2];
    T z = 0;
    for (int i = 0; i < 3; ++i) {
      o.lam_hat[i][l] = m[i] / M;
      z += o.lam_hat[i][l] * s.zn[i];
    }
    const T zt = (T(1) - z) * T(0.5);
    T d2 = std::numeric_limits<T>::infinity(), tmin = 0, emin = 0;
    for (int e = 0; e < 3; ++e) {
      T t = ((x - ax[e]) * abx[e] + ay[e] * aby[e]) * s.inv_len2[e];
      t = t < T(0) ? T(0) : (t > T(1) ? T(1) : t);
      const T rx = x - (ax[e] + t * abx[e]), ry = ay[e] - t * aby[e];
      const T de = rx * rx + ry * ry;
      const bool closer = de < d2;
      d2 = closer ? de : d2, tmin = closer ? t : tmin, emin = closer ? T(e) : emin;
    }
    const bool ok = (l >= la) & (l <= lb) & (x >= s.box[0]) & (x <= s.box[2]) & !far & (zt > floor[l]) &
                    (in | (d2 < cutoff));
    o.M[l] = M, o.zt[l] = zt, o.d2[l] = d2, o.t[l] = tmin, o.edge[l] = emin;
    o.inside[l] = in ? Mask(-1) : Mask(0);
    o.accept[l] = ok ? Mask(-1) : Mask(0);
    any |= o.accept[l];
  }
  return any != 0;
}

template <class T>
void SoftRasterizerT<T>::setup_triangle(const T* const v[3], const SoftRasterizeOptions& opt, double reach,
                                        FaceSetup& s) const {
  const int W = opt.width, H = opt.height;
  for (int i = 0; i < 3; ++i) {
    if (!(v[i][3] > T(0)) || !std::isfinite(double(v[i][3]))) return;
    s.q[i][0] = v[i][0] / v[i][3], s.q[i][1] = v[i][1] / v[i][3], s.zn[i] = v[i][2] / v[i][3];
  }
  double area = 0;
  for (int i = 0; i < 3; ++i) {
    const T* a = s.q[(i + 1) % 3];
    const T* b = s.q[(i + 2) % 3];
    s.n[i][0] = a[1] - b[1], s.n[i][1] = b[0] - a[0], s.n[i][2] = a[0] * b[1] - a[1] * b[0];
    area += double(s.n[i][2]);
    const double len = std::hypot(double(b[0]) - a[0], double(b[1]) - a[1]);
    s.inv_len[i] = len > 0 ? T(1.0 / len) : T(0);
    s.inv_len2[i] = len > 0 ? T(1.0 / (len * len)) : T(0);
  }
  if (!(std::abs(area) > 1e-14) || !std::isfinite(area)) return;
  if ((opt.cull == CullMode::kBack && area < 0) || (opt.cull == CullMode::kFront && area > 0)) return;
  s.inv_area = T(1.0 / area);
  double x0 = s.q[0][0], x1 = x0, y0 = s.q[0][1], y1 = y0;
  for (int i = 1; i < 3; ++i)
    x0 = std::min<double>(x0, s.q[i][0]), x1 = std::max<double>(x1, s.q[i][0]),
    y0 = std::min<double>(y0, s.q[i][1]), y1 = std::max<double>(y1, s.q[i][1]);
  x0 -= reach, x1 += reach, y0 -= reach, y1 += reach;
  s.box[0] = T(x0), s.box[1] = T(y0), s.box[2] = T(x1), s.box[3] = T(y1);
  auto clampd = [](double val, double lo, double hi) { return std::min(std::max(val, lo), hi); };
  const int px0 = int(clampd(std::floor((x0 + 1) * 0.5 * W - 0.5), -1, W));
  const int px1 = int(clampd(std::ceil((x1 + 1) * 0.5 * W - 0.5), -1, W));
  const int py0 = int(clampd(std::floor((1 - y1) * 0.5 * H - 0.5), -1, H));
  const int py1 = int(clampd(std::ceil((1 - y0) * 0.5 * H - 0.5), -1, H));
  s.rect = PixelRect{std::max(0, px0), std::max(0, py0), std::min(W - 1, px1), std::min(H - 1, py1)};
}

template <class T>
void SoftRasterizerT<T>::clipped_source_weights(const FaceSetup& s, const T lam_hat[3], T mu[3]) const {
  const ClipTraceT<T>& tr = traces_[static_cast<size_t>(s.clip)];
  for (int k = 0; k < 3; ++k)
    mu[k] = lam_hat[0] * tr.node[s.node[0]].b[k] + lam_hat[1] * tr.node[s.node[1]].b[k] +
            lam_hat[2] * tr.node[s.node[2]].b[k];
}

template <class T>
void SoftRasterizerT<T>::forward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces, const TensorT<T>& colors,
                                 const SoftRasterizeOptions& opt, TensorT<T>& out) {
  opt.check("soft_rasterize: options");
  check_clip_positions(clip_pos, "soft_rasterize: clip_pos");
  const int64_t V = clip_pos.dim(0);
  if (colors.rank() != 2 || colors.dim(0) != V)
    throw std::invalid_argument("soft_rasterize: colors must be V×C with V = " + std::to_string(V) + ", got " +
                                colors.shape().str());
  topology_.update(faces, V, "soft_rasterize: faces");
  const int W = opt.width, H = opt.height, K = opt.max_faces;
  const int64_t F = static_cast<int64_t>(faces.size() / 3), C = colors.dim(1), plane = int64_t(W) * H;
  const T* pos = clip_pos.data();
  const double cutoff = opt.sigma * std::log(1.0 / opt.dist_eps - 1.0);
  const double reach = std::sqrt(cutoff);

  ndc_x_.resize(static_cast<size_t>(W));
  ndc_y_.resize(static_cast<size_t>(H));
  for (int x = 0; x < W; ++x) ndc_x_[static_cast<size_t>(x)] = pixel_center_ndc_x<T>(x, W);
  for (int y = 0; y < H; ++y) ndc_y_[static_cast<size_t>(y)] = pixel_center_ndc_y<T>(y, H);

  // Face setup: screen vertices, barycentric planes, bounds grown by the cut-off radius. Faces
  // reaching past the near or far plane are set aside for clipping.
  setup_.resize(static_cast<size_t>(F));
  needs_clip_.resize(static_cast<size_t>(F));
#pragma omp parallel for schedule(static) if (F >= kRasterParallelMinFaces)
  for (int64_t f = 0; f < F; ++f) {
    FaceSetup& s = setup_[static_cast<size_t>(f)];
    s.rect = PixelRect{0, 0, -1, -1};
    s.face = static_cast<int32_t>(f), s.clip = -1;
    const T* v[3];
    bool finite = true, inside = true;
    for (int i = 0; i < 3; ++i) {
      v[i] = pos + 4 * int64_t(faces[static_cast<size_t>(3 * f + i)]);
      finite = finite && std::isfinite(double(v[i][0])) && std::isfinite(double(v[i][1])) &&
               std::isfinite(double(v[i][2])) && std::isfinite(double(v[i][3]));
      inside = inside && v[i][3] > T(0) && v[i][3] + v[i][2] >= T(0) && v[i][3] - v[i][2] >= T(0);
    }
    needs_clip_[static_cast<size_t>(f)] = finite && !inside;
    if (finite && inside) setup_triangle(v, opt, reach, s);
  }
  // Clipped faces (few: those crossing the near or far plane): trace the clip, then one primitive per
  // fan triangle — the first in the face's own slot, the others appended after the F faces.
  clip_faces_.clear();
  for (int64_t f = 0; f < F; ++f)
    if (needs_clip_[static_cast<size_t>(f)]) clip_faces_.push_back(static_cast<int32_t>(f));
  traces_.resize(clip_faces_.size());
  clip_extra_start_.resize(clip_faces_.size());
  int64_t P = F;
  for (size_t i = 0; i < clip_faces_.size(); ++i) {
    const int32_t* fv = faces.data() + 3 * int64_t(clip_faces_[i]);
    const int n = clip_triangle_traced(pos + 4 * int64_t(fv[0]), pos + 4 * int64_t(fv[1]), pos + 4 * int64_t(fv[2]),
                                       traces_[i]);
    clip_extra_start_[i] = static_cast<int32_t>(P);
    P += std::max(0, n - 3);
  }
  setup_.resize(static_cast<size_t>(P));
  for (size_t i = 0; i < clip_faces_.size(); ++i) {
    const ClipTraceT<T>& tr = traces_[i];
    for (int j = 0; j + 2 < tr.n; ++j) {
      FaceSetup& s = setup_[static_cast<size_t>(j == 0 ? clip_faces_[i] : clip_extra_start_[i] + j - 1)];
      s.rect = PixelRect{0, 0, -1, -1};
      s.face = clip_faces_[i], s.clip = static_cast<int32_t>(i);
      s.node[0] = static_cast<int8_t>(tr.poly[0]), s.node[1] = static_cast<int8_t>(tr.poly[j + 1]);
      s.node[2] = static_cast<int8_t>(tr.poly[j + 2]);
      const T* v[3] = {tr.node[s.node[0]].p, tr.node[s.node[1]].p, tr.node[s.node[2]].p};
      setup_triangle(v, opt, reach, s);
    }
  }

  // Binning (face order within each tile), and the face → bin-entry lists (tile order) for backward.
  const int tx = (W + kTileSize - 1) / kTileSize, ty = (H + kTileSize - 1) / kTileSize;
  const size_t num_tiles = static_cast<size_t>(tx) * ty;
  bin_faces_to_tiles(P, tx, num_tiles, kTileSize, [&](int64_t f) -> const PixelRect& { return setup_[static_cast<size_t>(f)].rect; },
                     tile_start_, tile_faces_, fill_);
  const size_t num_entries = tile_faces_.size();
  face_entry_start_.assign(static_cast<size_t>(P) + 1, 0);
  for (const int32_t f : tile_faces_) ++face_entry_start_[static_cast<size_t>(f) + 1];
  for (int64_t f = 0; f < P; ++f) face_entry_start_[static_cast<size_t>(f) + 1] += face_entry_start_[static_cast<size_t>(f)];
  face_entries_.resize(num_entries);
  fill_.assign(face_entry_start_.begin(), face_entry_start_.end() - 1);
  for (size_t e = 0; e < num_entries; ++e)
    face_entries_[static_cast<size_t>(fill_[static_cast<size_t>(tile_faces_[e])]++)] = static_cast<int32_t>(e);

  out.resize({C + 1, H, W});
  kept_count_.resize(static_cast<size_t>(plane));
  tile_kept_.resize(num_tiles);
  tile_again_.resize(num_tiles);
  nearest_face_.resize(static_cast<size_t>(plane));
  depth_.resize({H, W});
  nearest_weights_.resize({3, H, W});
  const T inv_sigma = T(1.0 / opt.sigma), cut = T(cutoff), inv_gamma = T(1.0 / opt.gamma);
  const T eps_b = T(opt.background_eps), bg = T(opt.background);
  const T* col = colors.data();
  T* o = out.data();

  tiles_.resize(static_cast<size_t>(omp_get_max_threads()));
  for (TileCandidates& tc : tiles_) tc.resize(K);
  // Each tile reserves a span of kept_ for its kept candidates as it finishes (the order of the spans
  // varies between runs, their contents do not). A tile that finds kept_ full only reserves; kept_
  // then grows once, with room to spare, and those tiles run again into their reserved spans.
  std::atomic<int64_t> used{0};
  const int64_t capacity = static_cast<int64_t>(kept_.size());
  auto run_tile = [&](int64_t t, bool again) {
    const int x0 = int(t % tx) * kTileSize, y0 = int(t / tx) * kTileSize;
    const int x1 = std::min(W, x0 + kTileSize) - 1, y1 = std::min(H, y0 + kTileSize) - 1;
    const int32_t eb = tile_start_[static_cast<size_t>(t)], ee = tile_start_[static_cast<size_t>(t) + 1];
    TileCandidates& tc = tiles_[static_cast<size_t>(omp_get_thread_num())];
    tc.clear();
    T fxs[kTileSize];
    for (int l = 0; l < kTileSize; ++l) fxs[l] = ndc_x_[static_cast<size_t>(std::min(x0 + l, W - 1))];
    // Face-major: each face is evaluated on a whole tile row at once (branch-free, across lanes), and
    // the pixels it reaches take it into their K-nearest lists. Faces arrive in entry order, so each
    // pixel sees its candidates in face order, as a per-pixel loop would.
    LaneSamples ls;
    for (int32_t e = eb; e < ee; ++e) {
      const FaceSetup& s = setup_[static_cast<size_t>(tile_faces_[static_cast<size_t>(e)])];
      const int ya = std::max(y0, s.rect.y0), yb = std::min(y1, s.rect.y1);
      const int la = std::max(x0, s.rect.x0) - x0, lb = std::min(x1, s.rect.x1) - x0;
      for (int y = ya; y <= yb; ++y) {
        const int row = (y - y0) * kTileSize;
        if (!sample_row(s, fxs, ndc_y_[static_cast<size_t>(y)], la, lb, tc.floor.data() + row, cut, ls)) continue;
        for (int l = la; l <= lb; ++l) {
          if (!ls.accept[l]) continue;
          const int px = row + l;
          // Keep the K nearest (largest z̃); equal depths keep face order.
          int& n = tc.n[static_cast<size_t>(px)];
          int8_t* ord = tc.ord.data() + px * K;
          Candidate* pool = tc.pool.data() + px * (K + 1);
          int8_t& spare = tc.spare[static_cast<size_t>(px)];
          const int idx = spare;
          Candidate& cd = pool[idx];
          cd.zt = ls.zt[l];
          for (int i = 0; i < 3; ++i) cd.lam_hat[i] = ls.lam_hat[i][l];
          const T x = (ls.inside[l] ? ls.d2[l] : -ls.d2[l]) * inv_sigma;
          cd.D = T(1) / (T(1) + std::exp(-x));
          cd.M = ls.M[l], cd.t = ls.t[l];
          cd.edge = static_cast<int8_t>(ls.edge[l]);
          cd.inside = ls.inside[l] != 0;
          cd.entry = e;
          int j;
          if (n < K) {
            j = n++;
            spare = static_cast<int8_t>(n < K ? n : K);
          } else {
            j = K - 1;
            spare = ord[K - 1];
          }
          while (j > 0 && cd.zt > pool[ord[j - 1]].zt) ord[j] = ord[j - 1], --j;
          ord[j] = static_cast<int8_t>(idx);
          if (n == K) tc.floor[static_cast<size_t>(px)] = pool[ord[K - 1]].zt;
        }
      }
    }
    // The tile's kept candidates go to its span, nearest first, pixel by pixel in row order.
    if (!again) {
      int64_t total = 0;
      for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) total += tc.n[static_cast<size_t>((y - y0) * kTileSize + (x - x0))];
      const int64_t offset = used.fetch_add(total, std::memory_order_relaxed);
      tile_kept_[static_cast<size_t>(t)] = offset;
      tile_again_[static_cast<size_t>(t)] = offset + total > capacity;
      if (tile_again_[static_cast<size_t>(t)]) return;
    }
    Candidate* kept = kept_.data() + tile_kept_[static_cast<size_t>(t)];
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const int64_t p = int64_t(y) * W + x;
        const int px = (y - y0) * kTileSize + (x - x0);
        const int n = tc.n[static_cast<size_t>(px)];
        const Candidate* pool = tc.pool.data() + px * (K + 1);
        const int8_t* ord = tc.ord.data() + px * K;
        Candidate* smp = kept;
        kept += n;
        for (int j = 0; j < n; ++j) smp[j] = pool[ord[j]];
        kept_count_[static_cast<size_t>(p)] = static_cast<uint8_t>(n);
        nearest_face_[static_cast<size_t>(p)] = -1;
        depth_[p] = T(0);
        for (int k = 0; k < 3; ++k) nearest_weights_[k * plane + p] = T(0);
        for (int j = 0; j < n; ++j)
          if (smp[j].inside) {
            const FaceSetup& s = setup_[static_cast<size_t>(tile_faces_[static_cast<size_t>(smp[j].entry)])];
            nearest_face_[static_cast<size_t>(p)] = s.face;
            depth_[p] = T(1) - T(2) * smp[j].zt;
            T mu[3] = {smp[j].lam_hat[0], smp[j].lam_hat[1], smp[j].lam_hat[2]};
            if (s.clip >= 0) clipped_source_weights(s, smp[j].lam_hat, mu);
            for (int k = 0; k < 3; ++k) nearest_weights_[k * plane + p] = mu[k];
            break;
          }
        // Softmax over depth with the background term, and the silhouette.
        T zmax = eps_b;
        for (int j = 0; j < n; ++j) zmax = std::max(zmax, smp[j].zt);
        const T wb = std::exp((eps_b - zmax) * inv_gamma);
        T wsum = wb, keep = T(1);
        T wj[kMaxK];
        for (int j = 0; j < n; ++j) {
          smp[j].e = std::exp((smp[j].zt - zmax) * inv_gamma);
          wj[j] = smp[j].D * smp[j].e;
          wsum += wj[j];
          keep *= T(1) - smp[j].D;
        }
        const T inv_wsum = T(1) / wsum;
        const int32_t* fvs[kMaxK];
        const T* mu[kMaxK];
        T mu_clipped[kMaxK][3];
        for (int j = 0; j < n; ++j) {
          const FaceSetup& s = setup_[static_cast<size_t>(tile_faces_[static_cast<size_t>(smp[j].entry)])];
          fvs[j] = faces.data() + 3 * int64_t(s.face);
          mu[j] = smp[j].lam_hat;
          if (s.clip >= 0) clipped_source_weights(s, smp[j].lam_hat, mu_clipped[j]), mu[j] = mu_clipped[j];
        }
        for (int64_t c = 0; c < C; ++c) {
          T acc = wb * bg;
          for (int j = 0; j < n; ++j) {
            const int32_t* fv = fvs[j];
            const T cj = mu[j][0] * col[fv[0] * C + c] + mu[j][1] * col[fv[1] * C + c] + mu[j][2] * col[fv[2] * C + c];
            acc += wj[j] * cj;
          }
          o[c * plane + p] = acc * inv_wsum;
        }
        o[C * plane + p] = T(1) - keep;
      }
    }
  };
  const bool parallel = int64_t(W) * H >= kRasterParallelMinPixels;
#pragma omp parallel for schedule(dynamic, 2) if (parallel)
  for (int64_t t = 0; t < static_cast<int64_t>(num_tiles); ++t) run_tile(t, false);
  if (used.load() > capacity) {
    kept_.resize(static_cast<size_t>(used.load() + used.load() / 4));
#pragma omp parallel for schedule(dynamic, 2) if (parallel)
    for (int64_t t = 0; t < static_cast<int64_t>(num_tiles); ++t)
      if (tile_again_[static_cast<size_t>(t)]) run_tile(t, true);
  }
}

template <class T>
void SoftRasterizerT<T>::backward(const TensorT<T>& clip_pos, const std::vector<int32_t>& faces,
                                  const TensorT<T>& colors, const SoftRasterizeOptions& opt, const TensorT<T>& out,
                                  const TensorT<T>& dL_dout, TensorT<T>* dL_dpos, TensorT<T>* dL_dcolors) {
  opt.check("soft_rasterize backward: options");
  check_clip_positions(clip_pos, "soft_rasterize backward: clip_pos");
  if (dL_dout.shape() != out.shape())
    throw std::invalid_argument("soft_rasterize backward: dL_dout must be " + out.shape().str() + ", got " +
                                dL_dout.shape().str());
  topology_.update(faces, clip_pos.dim(0), "soft_rasterize backward: faces");
  const int W = opt.width, H = opt.height;
  const int64_t F = static_cast<int64_t>(faces.size() / 3), C = colors.dim(1), plane = int64_t(W) * H;
  const int64_t R = 9 + 3 * C;  // record: dL/dq (3×2), dL/d(z/w) (3), dL/dcolour (3×C)
  const int tx = (W + kTileSize - 1) / kTileSize, ty = (H + kTileSize - 1) / kTileSize;
  const int64_t num_tiles = int64_t(tx) * ty;
  if (out.rank() != 3 || out.dim(1) != H || out.dim(2) != W || out.dim(0) != C + 1 ||
      static_cast<int64_t>(kept_count_.size()) != plane || static_cast<int64_t>(tile_kept_.size()) != num_tiles ||
      static_cast<int64_t>(setup_.size()) < F)
    throw std::invalid_argument("soft_rasterize backward: must follow a forward with the same inputs and options (out is " +
                                out.shape().str() + ")");
  entry_grad_.resize(tile_faces_.size() * static_cast<size_t>(R));
  const T inv_sigma = T(1.0 / opt.sigma), inv_gamma = T(1.0 / opt.gamma);
  const T eps_b = T(opt.background_eps);
  const T* col = colors.data();
  const T* o = out.data();
  const T* g = dL_dout.data();

#pragma omp parallel for schedule(dynamic, 2) if (int64_t(W) * H >= kRasterParallelMinPixels)
  for (int64_t t = 0; t < num_tiles; ++t) {
    const int x0 = int(t % tx) * kTileSize, y0 = int(t / tx) * kTileSize;
    const int x1 = std::min(W, x0 + kTileSize) - 1, y1 = std::min(H, y0 + kTileSize) - 1;
    const int32_t eb = tile_start_[static_cast<size_t>(t)], ee = tile_start_[static_cast<size_t>(t) + 1];
    std::fill(entry_grad_.begin() + eb * R, entry_grad_.begin() + ee * R, T(0));
    T wj[kMaxK], prefix[kMaxK + 1], suffix[kMaxK + 1];
    const Candidate* kept = kept_.data() + tile_kept_[static_cast<size_t>(t)];
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const int64_t p = int64_t(y) * W + x;
        const Candidate* smp = kept;
        const int n = kept_count_[static_cast<size_t>(p)];
        kept += n;
        if (n == 0) continue;
        const T fx = ndc_x_[static_cast<size_t>(x)], fy = ndc_y_[static_cast<size_t>(y)];
        T zmax = eps_b;
        for (int j = 0; j < n; ++j) zmax = std::max(zmax, smp[j].zt);
        T wsum = std::exp((eps_b - zmax) * inv_gamma);
        for (int j = 0; j < n; ++j) {
          wj[j] = smp[j].D * smp[j].e;
          wsum += wj[j];
        }
        prefix[0] = T(1), suffix[n] = T(1);
        for (int j = 0; j < n; ++j) prefix[j + 1] = prefix[j] * (T(1) - smp[j].D);
        for (int j = n; j > 0; --j) suffix[j - 1] = suffix[j] * (T(1) - smp[j - 1].D);
        const T inv_wsum = T(1) / wsum;
        const T gA = g[C * plane + p];
        for (int j = 0; j < n; ++j) {
          const Candidate& sm = smp[j];
          const int32_t e = sm.entry;
          const FaceSetup& s = setup_[static_cast<size_t>(tile_faces_[static_cast<size_t>(e)])];
          const int32_t* fv = faces.data() + 3 * int64_t(s.face);
          T* rec = entry_grad_.data() + int64_t(e) * R;
          T mu_clipped[3];
          const T* mu = sm.lam_hat;
          if (s.clip >= 0) clipped_source_weights(s, sm.lam_hat, mu_clipped), mu = mu_clipped;
          // Colour path: I = (Σ w c + w_b bg)/Σw  →  ∂I/∂w_j = (c_j − I)/Σw, ∂I/∂c_j = w_j/Σw. The record
          // holds dL/d(colour at the primitive's vertices) = λ̂ dc (for a clipped face's sub-triangle,
          // its cut vertices' colours; the per-face pass maps them to the source vertices).
          T dL_dw = 0, dL_dlh[3] = {0, 0, 0};
          for (int64_t c = 0; c < C; ++c) {
            const T gc = g[c * plane + p];
            if (gc == T(0)) continue;
            const T v0 = col[fv[0] * C + c], v1 = col[fv[1] * C + c], v2 = col[fv[2] * C + c];
            const T cjc = mu[0] * v0 + mu[1] * v1 + mu[2] * v2;
            dL_dw += gc * (cjc - o[c * plane + p]) * inv_wsum;
            const T dc = gc * wj[j] * inv_wsum;
            dL_dlh[0] += dc * v0, dL_dlh[1] += dc * v1, dL_dlh[2] += dc * v2;
            rec[9 + c] += sm.lam_hat[0] * dc, rec[9 + C + c] += sm.lam_hat[1] * dc, rec[9 + 2 * C + c] += sm.lam_hat[2] * dc;
          }
          if (s.clip >= 0) {
            // So far dL_dlh = dL/dμ; λ̂ reaches it through μ = Bᵀλ̂.
            const ClipTraceT<T>& tr = traces_[static_cast<size_t>(s.clip)];
            T d[3];
            for (int v = 0; v < 3; ++v) {
              const T* b = tr.node[s.node[v]].b;
              d[v] = b[0] * dL_dlh[0] + b[1] * dL_dlh[1] + b[2] * dL_dlh[2];
            }
            for (int v = 0; v < 3; ++v) dL_dlh[v] = d[v];
          }
          // Silhouette: ∂A/∂D_j = Π_{k≠j} (1 − D_k), from prefix and suffix products (O(n) per pixel).
          const T dL_dD = dL_dw * sm.e + gA * (prefix[j] * suffix[j + 1]);
          const T dL_dzt = dL_dw * wj[j] * inv_gamma;
          // z̃ = (1 − Σ λ̂ z_n)/2.
          for (int i = 0; i < 3; ++i) {
            rec[6 + i] += T(-0.5) * dL_dzt * sm.lam_hat[i];
            dL_dlh[i] += T(-0.5) * dL_dzt * s.zn[i];
          }
          // λ̂ = max(λ, 0)/M, then λ = n/Σn. Where λ_i > 0, λ_i = λ̂_i·M; elsewhere dL/dλ_i = 0.
          const T sh = dL_dlh[0] * sm.lam_hat[0] + dL_dlh[1] * sm.lam_hat[1] + dL_dlh[2] * sm.lam_hat[2];
          T dL_dlam[3];
          for (int i = 0; i < 3; ++i) dL_dlam[i] = sm.lam_hat[i] > T(0) ? (dL_dlh[i] - sh) / sm.M : T(0);
          const T sl2 = (dL_dlam[0] * sm.lam_hat[0] + dL_dlam[1] * sm.lam_hat[1] + dL_dlam[2] * sm.lam_hat[2]) * sm.M;
          T dn[3];
          for (int i = 0; i < 3; ++i) dn[i] = (dL_dlam[i] - sl2) * s.inv_area;
          // n_0 = X_1 Y_2 − Y_1 X_2 (cyclic), X = q_x − f_x, Y = q_y − f_y.
          const T X0 = s.q[0][0] - fx, Y0 = s.q[0][1] - fy, X1 = s.q[1][0] - fx, Y1 = s.q[1][1] - fy;
          const T X2 = s.q[2][0] - fx, Y2 = s.q[2][1] - fy;
          rec[0] += -dn[1] * Y2 + dn[2] * Y1, rec[1] += dn[1] * X2 - dn[2] * X1;
          rec[2] += dn[0] * Y2 - dn[2] * Y0, rec[3] += -dn[0] * X2 + dn[2] * X0;
          rec[4] += -dn[0] * Y1 + dn[1] * Y0, rec[5] += dn[0] * X1 - dn[1] * X0;
          // D = sigmoid(δ d²/σ); d² to the closest point c = a + t(b − a) of the closest edge.
          const T dL_dd2 = dL_dD * sm.D * (T(1) - sm.D) * (sm.inside ? inv_sigma : -inv_sigma);
          static constexpr int kNext[3] = {1, 2, 0}, kPrev[3] = {2, 0, 1};
          const int a = kNext[sm.edge], b = kPrev[sm.edge];
          const T abx = s.q[b][0] - s.q[a][0], aby = s.q[b][1] - s.q[a][1];
          const T rx = fx - (s.q[a][0] + sm.t * abx), ry = fy - (s.q[a][1] + sm.t * aby);
          rec[2 * a] += dL_dd2 * T(-2) * rx * (T(1) - sm.t), rec[2 * a + 1] += dL_dd2 * T(-2) * ry * (T(1) - sm.t);
          rec[2 * b] += dL_dd2 * T(-2) * rx * sm.t, rec[2 * b + 1] += dL_dd2 * T(-2) * ry * sm.t;
        }
      }
  }

  // Per face: sum its bin records in tile order (a clipped face's fan triangles in fan order), then
  // chain screen → clip.
  const bool want_pos = dL_dpos != nullptr, want_col = dL_dcolors != nullptr;
  if (want_pos) corner_pos_grad_.resize(static_cast<size_t>(F * 12));
  if (want_col) corner_color_grad_.resize(static_cast<size_t>(F * 3 * C));
  const T* pos = clip_pos.data();
#pragma omp parallel for schedule(dynamic, 64) if (F >= kRasterParallelMinFaces)
  for (int64_t f = 0; f < F; ++f) {
    T* cc = want_col ? corner_color_grad_.data() + f * 3 * C : nullptr;
    if (want_col) std::fill(cc, cc + 3 * C, T(0));
    T* cg = want_pos ? corner_pos_grad_.data() + 12 * f : nullptr;
    if (want_pos) std::fill(cg, cg + 12, T(0));
    const FaceSetup& fs = setup_[static_cast<size_t>(f)];
    if (fs.clip < 0) {
      T acc[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
      for (int32_t i = face_entry_start_[static_cast<size_t>(f)]; i < face_entry_start_[static_cast<size_t>(f) + 1]; ++i) {
        const T* rec = entry_grad_.data() + int64_t(face_entries_[static_cast<size_t>(i)]) * R;
        for (int k = 0; k < 9; ++k) acc[k] += rec[k];
        if (want_col)
          for (int64_t k = 0; k < 3 * C; ++k) cc[k] += rec[9 + k];
      }
      if (want_pos && face_entry_start_[static_cast<size_t>(f)] != face_entry_start_[static_cast<size_t>(f) + 1])
        for (int i = 0; i < 3; ++i)
          screen_to_clip_grad(pos + 4 * int64_t(faces[static_cast<size_t>(3 * f + i)]), acc[2 * i], acc[2 * i + 1],
                              acc[6 + i], cg + 4 * i);
      continue;
    }
    // A clipped face: each fan triangle's gradients go to its trace nodes (clip position, and the
    // node's source weights B through its vertex colours), then back through the cuts.
    const ClipTraceT<T>& tr = traces_[static_cast<size_t>(fs.clip)];
    const int32_t* fv = faces.data() + 3 * f;
    T node_grad[ClipTraceT<T>::kMaxNodes][7] = {};
    for (int j = 0; j + 2 < tr.n; ++j) {
      const int64_t prim = j == 0 ? f : clip_extra_start_[static_cast<size_t>(fs.clip)] + j - 1;
      const FaceSetup& s = setup_[static_cast<size_t>(prim)];
      T acc[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
      for (int32_t i = face_entry_start_[static_cast<size_t>(prim)]; i < face_entry_start_[static_cast<size_t>(prim) + 1]; ++i) {
        const T* rec = entry_grad_.data() + int64_t(face_entries_[static_cast<size_t>(i)]) * R;
        for (int k = 0; k < 9; ++k) acc[k] += rec[k];
        // Vertex v's colour is Σ_k B_vk C_k: dL/dC_k += B_vk g_v, dL/dB_vk = g_v · C_k.
        for (int v = 0; v < 3; ++v) {
          const T* b = tr.node[s.node[v]].b;
          T* gb = node_grad[s.node[v]] + 4;
          for (int64_t c = 0; c < C; ++c) {
            const T gv = rec[9 + v * C + c];
            for (int k = 0; k < 3; ++k) {
              if (want_col) cc[k * C + c] += b[k] * gv;
              gb[k] += gv * col[fv[k] * C + c];
            }
          }
        }
      }
      if (face_entry_start_[static_cast<size_t>(prim)] == face_entry_start_[static_cast<size_t>(prim) + 1]) continue;
      for (int v = 0; v < 3; ++v) {
        T g4[4];
        screen_to_clip_grad(tr.node[s.node[v]].p, acc[2 * v], acc[2 * v + 1], acc[6 + v], g4);
        for (int k = 0; k < 4; ++k) node_grad[s.node[v]][k] += g4[k];
      }
    }
    if (want_pos) clip_triangle_traced_backward(tr, node_grad, cg);
  }
  if (want_pos) {
    if (dL_dpos->shape() != clip_pos.shape()) dL_dpos->resize(clip_pos.shape()), dL_dpos->zero();
    topology_.gather_corners(corner_pos_grad_.data(), 4, dL_dpos->data());
  }
  if (want_col) {
    if (dL_dcolors->shape() != colors.shape()) dL_dcolors->resize(colors.shape()), dL_dcolors->zero();
    topology_.gather_corners(corner_color_grad_.data(), static_cast<int>(C), dL_dcolors->data());
  }
}

template class SoftRasterizerT<float>;
template class SoftRasterizerT<double>;

}  // namespace invgfx
