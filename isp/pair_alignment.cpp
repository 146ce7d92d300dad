#include "isp/pair_alignment.h"

#include "isp/develop.h"
#include "isp/saturation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace invgfx {
namespace {

constexpr int kRotations[] = {0, 3, 5, 6};  // the orientations cameras write (no mirror images)
constexpr int kCoarseSize = 64, kMiddleSize = 256;

std::string size_str(int64_t w, int64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

// One grid of the search: the target shrunk by m (luma) and the RAW developed at a pitch close to a
// grid pixel (luma, whole visible area).
struct Level {
  int m = 1;
  int64_t gh = 0, gw = 0;
  Tensor target;  // 1×gh×gw
  int pitch = 1;
  RawWindow window;
  Tensor dev;     // 1×dh×dw
};

// A binomial [1 2 1]/4 blur in both directions (clamped at the edges), applied to both sides of the
// comparison so that the extra smoothing of bilinear sampling between pixels changes them little: on
// the raw side it would otherwise remove noise and aliasing the target does not share and pull the
// correlation's peak off the exact alignment.
Tensor binomial_blur(const Tensor& x) {
  const int64_t h = x.dim(1), w = x.dim(2);
  Tensor t({1, h, w}), y({1, h, w});
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c)
      t[r * w + c] = 0.25f * (x[r * w + std::max<int64_t>(c - 1, 0)] + 2 * x[r * w + c] + x[r * w + std::min(c + 1, w - 1)]);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < w; ++c)
      y[r * w + c] = 0.25f * (t[std::max<int64_t>(r - 1, 0) * w + c] + 2 * t[r * w + c] + t[std::min(r + 1, h - 1) * w + c]);
  return y;
}

Level make_level(const RawImage& raw, const Tensor& target, int long_side, double raw_per_target) {
  Level L;
  const int64_t H = target.dim(1), W = target.dim(2);
  L.m = std::max(1, static_cast<int>(std::lround(static_cast<double>(std::max(H, W)) / long_side)));
  L.gh = H / L.m;
  L.gw = W / L.m;
  L.target = binomial_blur(srgb_luma(shrink_by(target, L.m)));
  const double grid_pitch = raw_per_target * L.m;  // raw pixels per grid pixel
  L.pitch = working_pitch(grid_pitch);
  L.window = raw_window_around(raw, 0, 0, raw.width, raw.height, L.pitch);
  Tensor dev = develop_binned(bin_raw(raw, L.window, L.pitch), default_develop_isp_json());
  for (float& v : dev) v = std::isfinite(v) ? std::clamp(v, 0.f, 1.f) : 0.f;
  L.dev = binomial_blur(srgb_luma(dev));
  return L;
}

struct Candidate {
  int flip = 0;
  double sx = 1, sy = 1, ox = 0, oy = 0;
  double ncc = -2;
};

// The development's luma at the centre of every grid pixel under candidate c (bilinear, NaN where the
// centre falls outside the development).
void sample(const Level& L, const RawImage& raw, const Candidate& c, std::vector<float>& out) {
  const bool T = c.flip & 4;
  const double dh = static_cast<double>(L.dev.dim(1)), dw = static_cast<double>(L.dev.dim(2));
  // Along a grid column the oriented X varies; it is the raw x (or, transposed, the raw y).
  std::vector<double> col(static_cast<size_t>(L.gw)), row(static_cast<size_t>(L.gh));
  for (int64_t k = 0; k < L.gw; ++k) {
    double x, y;
    unorient_point(c.flip, raw.width, raw.height, c.ox + c.sx * L.m * (k + 0.5), 0, x, y);
    col[static_cast<size_t>(k)] = T ? (y - L.window.y0) / L.pitch - 0.5 : (x - L.window.x0) / L.pitch - 0.5;
  }
  for (int64_t k = 0; k < L.gh; ++k) {
    double x, y;
    unorient_point(c.flip, raw.width, raw.height, 0, c.oy + c.sy * L.m * (k + 0.5), x, y);
    row[static_cast<size_t>(k)] = T ? (x - L.window.x0) / L.pitch - 0.5 : (y - L.window.y0) / L.pitch - 0.5;
  }
  out.resize(static_cast<size_t>(L.gh * L.gw));
  const float* d = L.dev.data();
  const int64_t w = L.dev.dim(2);
  for (int64_t r = 0; r < L.gh; ++r)
    for (int64_t q = 0; q < L.gw; ++q) {
      const double u = T ? row[static_cast<size_t>(r)] : col[static_cast<size_t>(q)];
      const double v = T ? col[static_cast<size_t>(q)] : row[static_cast<size_t>(r)];
      float& o = out[static_cast<size_t>(r * L.gw + q)];
      if (!(u >= 0 && v >= 0 && u <= dw - 1 && v <= dh - 1)) {
        o = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const int64_t iw = w, ih = L.dev.dim(1);
      const int64_t u0 = std::min<int64_t>(static_cast<int64_t>(u), std::max<int64_t>(iw - 2, 0));
      const int64_t v0 = std::min<int64_t>(static_cast<int64_t>(v), std::max<int64_t>(ih - 2, 0));
      const int64_t u1 = std::min<int64_t>(u0 + 1, iw - 1), v1 = std::min<int64_t>(v0 + 1, ih - 1);
      const double fu = u - u0, fv = v - v0;
      o = static_cast<float>((1 - fv) * ((1 - fu) * d[v0 * w + u0] + fu * d[v0 * w + u1]) +
                             fv * ((1 - fu) * d[v1 * w + u0] + fu * d[v1 * w + u1]));
    }
}

// Pearson correlation of a and b over the pairs where a is defined; −2 when fewer than half the grid
// is covered or either side is flat.
struct Moments {
  double n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  void add(double a, double b) {
    n += 1;
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  double ncc(double min_n) const {
    if (n < min_n || n < 2) return -2;
    const double va = saa - sa * sa / n, vb = sbb - sb * sb / n, cov = sab - sa * sb / n;
    return va > 1e-12 && vb > 1e-12 ? cov / std::sqrt(va * vb) : -2;
  }
};

double luma_ncc(const Level& L, const std::vector<float>& s) {
  Moments m;
  for (size_t i = 0; i < s.size(); ++i)
    if (!std::isnan(s[i])) m.add(s[i], L.target[static_cast<int64_t>(i)]);
  return m.ncc(0.5 * static_cast<double>(s.size()));
}

double gradient_ncc(const Level& L, const std::vector<float>& s) {
  Moments m;
  auto at = [&](int64_t r, int64_t q) { return s[static_cast<size_t>(r * L.gw + q)]; };
  auto t = [&](int64_t r, int64_t q) { return static_cast<double>(L.target[r * L.gw + q]); };
  for (int64_t r = 0; r < L.gh; ++r)
    for (int64_t q = 0; q < L.gw; ++q) {
      if (std::isnan(at(r, q))) continue;
      if (q + 1 < L.gw && !std::isnan(at(r, q + 1))) m.add(at(r, q + 1) - at(r, q), t(r, q + 1) - t(r, q));
      if (r + 1 < L.gh && !std::isnan(at(r + 1, q))) m.add(at(r + 1, q) - at(r, q), t(r + 1, q) - t(r, q));
    }
  return m.ncc(0.5 * static_cast<double>(s.size()));
}

double score(const Level& L, const RawImage& raw, const Candidate& c, std::vector<float>& buf) {
  sample(L, raw, c, buf);
  return luma_ncc(L, buf);
}

// The refinement's objective: the correlations of luma and of its gradients together. Luma alone is
// biased wherever the two tone curves differ (an S-curve against a neutral one is not a linear relation,
// and a slight stretch can raise a linear correlation); gradients peak where the edges coincide, and
// luma keeps the basin wide.
double fine_score(const Level& L, const RawImage& raw, const Candidate& c, std::vector<float>& buf) {
  sample(L, raw, c, buf);
  const double a = luma_ncc(L, buf), b = gradient_ncc(L, buf);
  return a > -2 && b > -2 ? a + b : -4;
}

// Pattern search (Hooke & Jeeves 1961, without the pattern move) on fine_score from c with the given
// first steps, halved whenever no coordinate step helps, until the offset step is below `offset_tol`
// raw pixels. The coordinates are the target centre's position and the two scales, so that a change
// of scale does not also move the picture (with the corner as the origin, scale and offset would lie
// along one diagonal valley that coordinate steps follow poorly).
Candidate refine(const Level& L, const RawImage& raw, Candidate c, double offset_step, double scale_step,
                 double offset_tol) {
  std::vector<float> buf;
  const double hw = 0.5 * L.gw * L.m, hh = 0.5 * L.gh * L.m;  // half the target, in target pixels
  double p[4] = {c.ox + c.sx * hw, c.oy + c.sy * hh, c.sx, c.sy};
  auto at = [&](const double* q) {
    Candidate t = c;
    t.sx = q[2];
    t.sy = q[3];
    t.ox = q[0] - q[2] * hw;
    t.oy = q[1] - q[3] * hh;
    return t;
  };
  double best = fine_score(L, raw, at(p), buf);
  for (int it = 0; it < 400 && offset_step >= offset_tol; ++it) {
    bool improved = false;
    for (int k = 0; k < 4; ++k)
      for (int sign : {1, -1}) {
        double q[4] = {p[0], p[1], p[2], p[3]};
        q[k] += sign * (k < 2 ? offset_step : scale_step * q[k]);
        const double v = fine_score(L, raw, at(q), buf);
        if (v > best + 1e-9) {
          best = v;
          std::copy(q, q + 4, p);
          improved = true;
        }
      }
    if (!improved) {
      offset_step /= 2;
      scale_step /= 2;
    }
  }
  c = at(p);
  c.ncc = score(L, raw, c, buf);
  return c;
}

}  // namespace

void unorient_point(int flip, double W, double H, double X, double Y, double& x, double& y) {
  if (flip & 4) {
    y = X;
    x = Y;
  } else {
    x = X;
    y = Y;
  }
  if (flip & 2) y = H - y;
  if (flip & 1) x = W - x;
}

void orient_point(int flip, double W, double H, double x, double y, double& X, double& Y) {
  if (flip & 1) x = W - x;
  if (flip & 2) y = H - y;
  if (flip & 4) {
    X = y;
    Y = x;
  } else {
    X = x;
    Y = y;
  }
}

Tensor srgb_luma(const Tensor& srgb) {
  const int64_t h = srgb.dim(1), w = srgb.dim(2), plane = h * w;
  Tensor y({1, h, w});
  for (int64_t i = 0; i < plane; ++i)
    y[i] = static_cast<float>(kLumaRec709[0] * srgb[i] + kLumaRec709[1] * srgb[plane + i] +
                              kLumaRec709[2] * srgb[2 * plane + i]);
  return y;
}

void target_footprint(const PairGeometry& g, const RawImage& raw, double c0, double r0, double c1, double r1,
                      double& x0, double& y0, double& x1, double& y1) {
  double ax, ay, bx, by;
  unorient_point(g.flip, raw.width, raw.height, g.offset_x + g.scale_x * c0, g.offset_y + g.scale_y * r0, ax, ay);
  unorient_point(g.flip, raw.width, raw.height, g.offset_x + g.scale_x * c1, g.offset_y + g.scale_y * r1, bx, by);
  x0 = std::min(ax, bx);
  x1 = std::max(ax, bx);
  y0 = std::min(ay, by);
  y1 = std::max(ay, by);
}

AreaResampleGeometry development_to_target(const PairGeometry& g, const RawImage& raw, const RawWindow& window,
                                           int pitch, int m, int64_t out_h, int64_t out_w) {
  // Oriented raw → unoriented raw → the window's development (unoriented) → that development
  // oriented: the two mirrorings cancel, so the map stays axis-aligned with positive scales.
  const double dw = static_cast<double>(window.w) / pitch, dh = static_cast<double>(window.h) / pitch;
  auto dev_oriented = [&](double X, double Y, double& U, double& V) {
    double x, y;
    unorient_point(g.flip, raw.width, raw.height, X, Y, x, y);
    orient_point(g.flip, dw, dh, (x - window.x0) / pitch, (y - window.y0) / pitch, U, V);
  };
  double u0, v0, u1, v1;
  dev_oriented(g.offset_x, g.offset_y, u0, v0);
  dev_oriented(g.offset_x + g.scale_x * m, g.offset_y + g.scale_y * m, u1, v1);
  AreaResampleGeometry a;
  a.in_h = window.h / pitch;
  a.in_w = window.w / pitch;
  a.out_h = out_h;
  a.out_w = out_w;
  a.flip = g.flip;
  a.offset_x = u0;
  a.offset_y = v0;
  a.scale_x = u1 - u0;
  a.scale_y = v1 - v0;
  return a;
}

PairGeometry align_pair(const RawImage& raw, const Tensor& target, const std::string& name, const AlignOptions& o) {
  if (target.rank() != 3 || target.dim(0) != 3)
    throw std::invalid_argument("align_pair: target must be 3×H×W, got " + target.shape().str());
  const int64_t Ht = target.dim(1), Wt = target.dim(2);
  if (std::max(Ht, Wt) < o.min_target_size)
    throw std::runtime_error(name + ": only " + size_str(Wt, Ht) + " pixels; need at least " +
                             std::to_string(o.min_target_size) + " on the long side to calibrate against");

  // Orientations whose shape fits: the target must cover ≥ min_coverage of each side when scaled
  // to the largest crop that fits, and must not be larger than the RAW's image.
  std::vector<Candidate> fits;
  bool too_large = false;
  for (int flip : kRotations) {
    const double Wo = (flip & 4) ? raw.height : raw.width, Ho = (flip & 4) ? raw.width : raw.height;
    const double s = std::min(Wo / Wt, Ho / Ht);
    if (s * Wt < o.min_coverage * Wo || s * Ht < o.min_coverage * Ho) continue;
    if (s < 0.97) {
      too_large = true;
      continue;
    }
    Candidate c;
    c.flip = flip;
    c.sx = c.sy = s;
    fits.push_back(c);
  }
  const std::string raw_size = size_str(raw.width, raw.height);
  if (fits.empty() && too_large)
    throw std::runtime_error(name + ": " + size_str(Wt, Ht) + " is larger than the image of " + raw.path + " (" +
                             raw_size + "): not a JPEG this RAW could have made");
  if (fits.empty())
    throw std::runtime_error(name + ": " + size_str(Wt, Ht) + " does not fit the image of " + raw.path + " (" +
                             raw_size + ") in any orientation: the sizes do not match (no camera crop keeps less than " +
                             std::to_string(static_cast<int>(o.min_coverage * 100)) + "% of a side)");

  // 1. Coarse: exhaustive over orientation, scale and offset.
  const double s0 = fits.front().sx;
  const Level L0 = make_level(raw, target, kCoarseSize, s0);
  std::vector<float> buf;
  std::vector<Candidate> best;
  for (const Candidate& f : fits) {
    const double Wo = (f.flip & 4) ? raw.height : raw.width, Ho = (f.flip & 4) ? raw.width : raw.height;
    Candidate top;
    for (int j = 0; j <= 12; ++j) {
      const double s = f.sx * (1.02 - 0.01 * j);
      const double step = s * L0.m;  // one grid pixel
      for (double oy = -0.02 * Ho; oy <= 1.02 * Ho - s * Ht + 1e-9; oy += step)
        for (double ox = -0.02 * Wo; ox <= 1.02 * Wo - s * Wt + 1e-9; ox += step) {
          Candidate c{f.flip, s, s, ox, oy, -2};
          c.ncc = score(L0, raw, c, buf);
          if (c.ncc > top.ncc) top = c;
        }
    }
    if (top.ncc > -2) best.push_back(top);
  }
  std::sort(best.begin(), best.end(), [](const Candidate& a, const Candidate& b) { return a.ncc > b.ncc; });

  // 2. Middle grid: refine the orientations that could still win.
  const Level L1 = make_level(raw, target, kMiddleSize, s0);
  std::vector<Candidate> refined;
  for (const Candidate& c : best)
    if (!best.empty() && c.ncc >= best.front().ncc - 0.15)
      refined.push_back(refine(L1, raw, c, c.sx * L0.m, 0.005, 0.05 * c.sx * L1.m));
  if (refined.empty())
    throw std::runtime_error(name + ": does not show the picture in " + raw.path + " (no overlap found)");
  std::sort(refined.begin(), refined.end(), [](const Candidate& a, const Candidate& b) { return a.ncc > b.ncc; });
  Candidate c = refined.front();
  for (const Candidate& r : refined)
    if (r.flip == raw.flip && r.ncc >= c.ncc - 0.02) c = r;

  // 3. The working grid, when it is finer than the middle one.
  const Level L2 = make_level(raw, target, std::max(o.size, kCoarseSize), s0);
  const Level& F = L2.m < L1.m ? L2 : L1;
  if (&F == &L2) c = refine(L2, raw, c, 0.25 * c.sx * L1.m, 0.001, 0.02 * c.sx * L2.m);
  // A full-size JPEG is an exact crop: scale 1 and whole-pixel offsets, if that matches as well.
  if (std::abs(c.sx - 1) < 0.003 && std::abs(c.sy - 1) < 0.003) {
    Candidate exact{c.flip, 1, 1, std::round(c.ox), std::round(c.oy), -2};
    if (fine_score(F, raw, exact, buf) >= fine_score(F, raw, c, buf) - 0.004) c = exact;
  }

  PairGeometry g;
  g.flip = c.flip;
  g.scale_x = c.sx;
  g.scale_y = c.sy;
  g.offset_x = c.ox;
  g.offset_y = c.oy;
  g.target_w = static_cast<int>(Wt);
  g.target_h = static_cast<int>(Ht);
  sample(F, raw, c, buf);
  g.correlation = luma_ncc(F, buf);
  g.detail_correlation = gradient_ncc(F, buf);
  if (g.correlation < o.min_correlation || g.detail_correlation < o.min_detail_correlation) {
    char nums[160];
    std::snprintf(nums, sizeof nums, "correlation %.2f, of detail %.2f; need %.2f and %.2f", std::max(g.correlation, -1.0),
                  std::max(g.detail_correlation, -1.0), o.min_correlation, o.min_detail_correlation);
    throw std::runtime_error(name + ": does not show the picture in " + raw.path + " (" + nums +
                             "): a JPEG of another photo?");
  }
  return g;
}

}  // namespace invgfx
