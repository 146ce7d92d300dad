// Implementation of isp/demosaic.h.
#include "isp/demosaic.h"

#include <algorithm>

namespace invgfx {
namespace {

using K5 = std::array<double, 25>;

K5 transpose(const K5& k) {
  K5 t{};
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) t[i * 5 + j] = k[j * 5 + i];
  return t;
}

// Reflect-101 of index i into [0, n).
inline int64_t reflect(int64_t i, int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

}  // namespace

std::array<double, 300> demosaic_kernels(DemosaicMethod method, CfaPattern cfa) {
  K5 ident{}, g_at_rb{}, row{}, diag{};
  ident[12] = 1;
  if (method == DemosaicMethod::Bilinear) {
    g_at_rb = {0, 0, 0, 0, 0, 0, 0, .25, 0, 0, 0, .25, 0, .25, 0, 0, 0, .25, 0, 0, 0, 0, 0, 0, 0};
    row = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, .5, 0, .5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    diag = {0, 0, 0, 0, 0, 0, .25, 0, .25, 0, 0, 0, 0, 0, 0, 0, .25, 0, .25, 0, 0, 0, 0, 0, 0};
  } else {
    // Malvar-He-Cutler 2004, Fig. 2, all divided by 8.
    g_at_rb = {0, 0, -1, 0, 0, 0, 0, 2, 0, 0, -1, 2, 4, 2, -1, 0, 0, 2, 0, 0, 0, 0, -1, 0, 0};
    row = {0, 0, .5, 0, 0, 0, -1, 0, -1, 0, -1, 4, 5, 4, -1, 0, -1, 0, -1, 0, 0, 0, .5, 0, 0};
    diag = {0, 0, -1.5, 0, 0, 0, 2, 0, 2, 0, -1.5, 0, 6, 0, -1.5, 0, 2, 0, 2, 0, 0, 0, -1.5, 0, 0};
    for (K5* k : {&g_at_rb, &row, &diag})
      for (double& v : *k) v /= 8;
  }
  const K5 col = transpose(row);
  std::array<double, 300> out{};
  for (int t = 0; t < 4; ++t) {
    const int sy = t >> 1, sx = t & 1;
    const int own = cfa_colour_at(cfa, sy, sx);
    for (int c = 0; c < 3; ++c) {
      const K5* k;
      if (c == own) k = &ident;
      else if (own != 1 && c == 1) k = &g_at_rb;
      else if (own != 1) k = &diag;
      else k = cfa_colour_at(cfa, sy, sx ^ 1) == c ? &row : &col;  // colour c on this row → horizontal
      std::copy(k->begin(), k->end(), out.begin() + (t * 3 + c) * 25);
    }
  }
  return out;
}

std::string to_string(DemosaicMethod m) {
  switch (m) {
    case DemosaicMethod::Bilinear: return "bilinear";
    case DemosaicMethod::Malvar: return "malvar";
    case DemosaicMethod::Learned: return "learned";
  }
  return "bilinear";
}

DemosaicMethod demosaic_method_from_string(const std::string& s) {
  if (s == "bilinear") return DemosaicMethod::Bilinear;
  if (s == "malvar") return DemosaicMethod::Malvar;
  if (s == "learned") return DemosaicMethod::Learned;
  throw std::invalid_argument("isp stage 'demosaic': unknown method '" + s + "' (expected bilinear, malvar or learned)");
}

template <class T>
DemosaicT<T>::DemosaicT(const DemosaicParams& p) {
  set_params(p);
}

template <class T>
void DemosaicT<T>::set_params(const DemosaicParams& p) {
  method_ = p.method;
  // Fixed methods use their table; (re)starting the learned method initialises it from Malvar.
  const auto k = demosaic_kernels(method_ == DemosaicMethod::Bilinear ? DemosaicMethod::Bilinear
                                                                       : DemosaicMethod::Malvar,
                                  this->cfa_);
  for (int i = 0; i < 300; ++i) kernels_.value[i] = static_cast<T>(k[i]);
  rebuild_taps();
}

template <class T>
void DemosaicT<T>::set_kernels(const std::vector<double>& k) {
  if (k.size() != 300)
    throw std::invalid_argument("isp stage 'demosaic': 'kernels' must have 4·3·25 = 300 numbers, got " +
                                std::to_string(k.size()));
  method_ = DemosaicMethod::Learned;
  for (int i = 0; i < 300; ++i) kernels_.value[i] = static_cast<T>(k[i]);
  rebuild_taps();
}

template <class T>
void DemosaicT<T>::set_cfa(CfaPattern p) {
  if (p == this->cfa_) return;
  if (method_ == DemosaicMethod::Learned) {
    // Site (sy, sx) of the new pattern shows the colours of site (sy+dy, sx+dx) of the old one.
    int dy = 0, dx = 0;
    for (int s = 0; s < 4; ++s)
      if (cfa_shifted(this->cfa_, s >> 1, s & 1) == p) { dy = s >> 1; dx = s & 1; break; }
    TensorT<T> old;
    old.copy_from(kernels_.value);
    for (int t = 0; t < 4; ++t) {
      const int src = ((((t >> 1) + dy) & 1) << 1) | (((t & 1) + dx) & 1);
      std::copy(old.data() + src * 75, old.data() + src * 75 + 75, kernels_.value.data() + t * 75);
    }
    this->cfa_ = p;
  } else {
    this->cfa_ = p;
    set_params({method_});
    return;
  }
  rebuild_taps();
}

template <class T>
void DemosaicT<T>::rebuild_taps() {
  for (int t = 0; t < 4; ++t) {
    for (int c = 0; c < 3; ++c) {
      taps_[t][c].clear();
      for (int k = 0; k < 25; ++k) {
        const T w = kernels_.value[(t * 3 + c) * 25 + k];
        if (w != T(0)) taps_[t][c].push_back({k / 5, k % 5, w});
      }
    }
  }
  // Padded pixel (a, b) receives from output (i, j) = (a − dy, b − dx) through tap (dy, dx) of the
  // site of (i, j); the site depends only on the parities of a and b for a given tap.
  for (int pc = 0; pc < 4; ++pc) {
    back_taps_[pc].clear();
    const int pa = pc >> 1, pb = pc & 1;
    for (int dy = 0; dy < 5; ++dy)
      for (int dx = 0; dx < 5; ++dx) {
        const int t = (((pa - dy) & 1) << 1) | ((pb - dx) & 1);
        for (int c = 0; c < 3; ++c) {
          const T w = kernels_.value[(t * 3 + c) * 25 + dy * 5 + dx];
          if (w != T(0)) back_taps_[pc].push_back({dy, dx, c, w});
        }
      }
  }
}

template <class T>
nlohmann::json DemosaicT<T>::params_to_json() const {
  nlohmann::json j = {{"method", to_string(method_)}};
  if (method_ == DemosaicMethod::Learned) {
    std::vector<double> k(300);
    for (int i = 0; i < 300; ++i) k[i] = static_cast<double>(kernels_.value[i]);
    j["kernels"] = k;
  }
  return j;
}

template <class T>
std::vector<FieldSpec> DemosaicT<T>::field_specs() const {
  return {FieldSpec::choice("method", {"bilinear", "malvar", "learned"}).structural(),
          FieldSpec::real("kernels", -1e3, 1e3).values(300).learnable()};
}

template <class T>
void DemosaicT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"method", "kernels"});
  if (j.contains("method")) set_params({demosaic_method_from_string(read_string(j, name(), "method"))});
  if (j.contains("kernels")) {
    if (method_ != DemosaicMethod::Learned)
      throw std::invalid_argument("isp stage 'demosaic': 'kernels' is only allowed with method 'learned'");
    set_kernels(read_numbers(j, name(), "kernels", 300));
  }
}

template <class T>
void DemosaicT<T>::pad(const T* src, int64_t h, int64_t w) {
  const int64_t pw = w + 4;
  padded_.resize(Shape{h + 4, pw});
  T* p = padded_.data();
#pragma omp parallel for schedule(static) if (h * w >= isp_detail::kOmpMinWork)
  for (int64_t a = 0; a < h + 4; ++a) {
    const T* s = src + reflect(a - 2, h) * w;
    T* dst = p + a * pw;
    dst[0] = s[reflect(-2, w)];
    dst[1] = s[reflect(-1, w)];
    std::copy(s, s + w, dst + 2);
    dst[w + 2] = s[reflect(w, w)];
    dst[w + 3] = s[reflect(w + 1, w)];
  }
}

template <class T>
void DemosaicT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), true, false);
  if (d.h < 3 || d.w < 3)
    throw std::invalid_argument("isp stage 'demosaic': the mosaic must be at least 3×3, got " + x.shape().str());
  // Learned kernels change under the optimizer (and the gradient checker): refresh the tap lists
  // (capacity is kept, so this does not allocate in steady state).
  if (method_ == DemosaicMethod::Learned) rebuild_taps();
  if (x.rank() == 3) y.resize(Shape{3, d.h, d.w});
  else y.resize(Shape{d.n, 3, d.h, d.w});
  const int64_t hw = d.h * d.w, pw = d.w + 4;
  for (int64_t n = 0; n < d.n; ++n) {
    pad(x.data() + n * hw, d.h, d.w);
    const T* p = padded_.data();
    T* out = y.data() + n * 3 * hw;
#pragma omp parallel for schedule(static) if (hw >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < d.h; ++i) {
      for (int c = 0; c < 3; ++c) {
        T* yr = out + c * hw + i * d.w;
        for (int par = 0; par < 2; ++par) {
          const auto& taps = taps_[((i & 1) << 1) | par][c];
          for (int64_t j = par; j < d.w; j += 2) {
            const T* pp = p + i * pw + j;
            T s = 0;
            for (const Tap& tp : taps) s += tp.w * pp[tp.dy * pw + tp.dx];
            yr[j] = s;
          }
        }
      }
    }
  }
}

template <class T>
void DemosaicT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                    TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const int64_t hw = d.h * d.w, ph = d.h + 4, pw = d.w + 4;
  const bool want_k = method_ == DemosaicMethod::Learned && kernels_.requires_grad;
  double gk[300] = {};  // ∂L/∂kernels, summed in double
  if (method_ == DemosaicMethod::Learned) rebuild_taps();
  for (int64_t n = 0; n < d.n; ++n) {
    const T* g = dL_dy.data() + n * 3 * hw;
    if (dL_dx) {
      // Gather into the padded gradient, then fold the mirrored border back onto its sources.
      dpadded_.resize(Shape{ph, pw});
      T* dp = dpadded_.data();
#pragma omp parallel for schedule(static) if (hw >= isp_detail::kOmpMinWork)
      for (int64_t a = 0; a < ph; ++a) {
        for (int64_t b = 0; b < pw; ++b) {
          const auto& taps = back_taps_[((a & 1) << 1) | (b & 1)];
          T s = 0;
          if (a >= 4 && a < d.h && b >= 4 && b < d.w) {
            for (const BackTap& tp : taps) s += tp.w * g[tp.c * hw + (a - tp.dy) * d.w + (b - tp.dx)];
          } else {
            for (const BackTap& tp : taps) {
              const int64_t i = a - tp.dy, j = b - tp.dx;
              if (i >= 0 && i < d.h && j >= 0 && j < d.w) s += tp.w * g[tp.c * hw + i * d.w + j];
            }
          }
          dp[a * pw + b] = s;
        }
      }
      T* dx = dL_dx->data() + n * hw;
#pragma omp parallel for schedule(static) if (hw >= isp_detail::kOmpMinWork)
      for (int64_t i = 0; i < d.h; ++i) {
        const T* row = dp + (i + 2) * pw;
        T* dr = dx + i * d.w;
        for (int64_t j = 0; j < d.w; ++j) dr[j] += row[j + 2];
        for (int64_t b : {int64_t(0), int64_t(1), d.w + 2, d.w + 3}) dr[reflect(b - 2, d.w)] += row[b];
      }
      for (int64_t a : {int64_t(0), int64_t(1), d.h + 2, d.h + 3}) {
        T* dr = dx + reflect(a - 2, d.h) * d.w;
        for (int64_t b = 0; b < pw; ++b) dr[reflect(b - 2, d.w)] += dp[a * pw + b];
      }
    }
    if (want_k) {
      pad(x.data() + n * hw, d.h, d.w);
      const T* p = padded_.data();
      isp_detail::reduce_blocks(d.h, 300, hw >= isp_detail::kOmpMinWork, gk, [&](int64_t i0, int64_t i1, double* lk) {
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t j = 0; j < d.w; ++j) {
            const int t = static_cast<int>(((i & 1) << 1) | (j & 1));
            const T* pp = p + i * pw + j;
            for (int c = 0; c < 3; ++c) {
              const double gv = g[c * hw + i * d.w + j];
              if (gv == 0) continue;
              double* k = lk + (t * 3 + c) * 25;
              for (int dy = 0; dy < 5; ++dy)
                for (int dx = 0; dx < 5; ++dx) k[dy * 5 + dx] += gv * pp[dy * pw + dx];
            }
          }
      });
    }
  }
  if (want_k) {
    kernels_.grad.resize(kernels_.value.shape());
    for (int k = 0; k < 300; ++k) kernels_.grad[k] += static_cast<T>(gk[k]);
  }
}

template <class T>
void DemosaicT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  const Dims4 d = isp_detail::image_dims(y.shape(), name(), false, true);
  if (y.rank() == 3) x.resize(Shape{1, d.h, d.w});
  else x.resize(Shape{d.n, 1, d.h, d.w});
  const int64_t hw = d.h * d.w;
#pragma omp parallel for schedule(static) if (y.numel() >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < d.n * d.h; ++r) {
    const int64_t n = r / d.h, i = r % d.h;
    for (int64_t j = 0; j < d.w; ++j)
      x[n * hw + i * d.w + j] =
          y[(n * 3 + cfa_colour_at(this->cfa_, static_cast<int>(i), static_cast<int>(j))) * hw + i * d.w + j];
  }
}

template class DemosaicT<float>;
template class DemosaicT<double>;

}  // namespace invgfx
