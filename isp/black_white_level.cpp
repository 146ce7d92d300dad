// Implementation of isp/black_white_level.h.
#include "isp/black_white_level.h"

#include <limits>

#include <omp.h>

namespace invgfx {

template <class T>
BlackWhiteLevelT<T>::BlackWhiteLevelT(const BlackWhiteLevelParams& p) {
  black_.requires_grad = false;  // levels come from metadata; learnable only on request
  white_.requires_grad = false;
  set_params(p);
}

template <class T>
BlackWhiteLevelParams BlackWhiteLevelT<T>::params() const {
  BlackWhiteLevelParams p;
  for (int i = 0; i < 4; ++i) p.black[i] = static_cast<double>(black_.value[i]);
  p.white = static_cast<double>(white_.value[0]);
  return p;
}

template <class T>
void BlackWhiteLevelT<T>::set_params(const BlackWhiteLevelParams& p) {
  for (int i = 0; i < 4; ++i) {
    if (!(p.white > p.black[i]))
      throw std::invalid_argument("isp stage 'black_white_level': white level " + std::to_string(p.white) +
                                  " must exceed black level " + std::to_string(p.black[i]) + " of site " +
                                  std::to_string(i));
    black_.value[i] = static_cast<T>(p.black[i]);
  }
  white_.value[0] = static_cast<T>(p.white);
}

template <class T>
nlohmann::json BlackWhiteLevelT<T>::params_to_json() const {
  const auto p = params();
  return {{"black", p.black}, {"white", p.white}};
}

template <class T>
std::vector<FieldSpec> BlackWhiteLevelT<T>::field_specs() const {
  // What params_from_json accepts: any black levels below a white level within ±1e9.
  return {FieldSpec::real("black", -std::numeric_limits<double>::infinity(), 1e9, "DN").values(4).learnable(),
          FieldSpec::real("white", -1e9, 1e9, "DN").learnable()};
}

template <class T>
void BlackWhiteLevelT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"black", "white"});
  auto p = params();
  if (j.contains("black")) {
    const auto b = read_numbers(j, name(), "black", 0);
    if (b.size() == 1) p.black = {b[0], b[0], b[0], b[0]};
    else if (b.size() == 4) p.black = {b[0], b[1], b[2], b[3]};
    else throw std::invalid_argument("isp stage 'black_white_level': parameter 'black' must have 1 or 4 numbers, got " +
                                     std::to_string(b.size()));
  }
  if (j.contains("white")) p.white = read_number(j, name(), "white", -1e9, 1e9);
  set_params(p);
}

template <class T>
int BlackWhiteLevelT<T>::site_of(int64_t c, int64_t channels, int64_t row, int64_t col) const {
  if (channels == 1) return static_cast<int>(((row & 1) << 1) | (col & 1));
  return cfa_tile_index_of(this->cfa_, static_cast<int>(c));
}

template <class T>
void BlackWhiteLevelT<T>::check_levels() const {
  for (int i = 0; i < 4; ++i)
    if (!(white_.value[0] > black_.value[i]))
      throw std::invalid_argument("isp stage 'black_white_level': white level must exceed the black level of site " +
                                  std::to_string(i));
}

template <class T>
void BlackWhiteLevelT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims_of(x.shape(), *this, true, true);
  check_levels();
  y.resize(x.shape());
  const int64_t rows = d.n * d.c * d.h;
#pragma omp parallel for schedule(static) if (x.numel() >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r % d.h, c = (r / d.h) % d.c;
    T b[2], s[2];
    for (int k = 0; k < 2; ++k) {
      b[k] = black_.value[site_of(c, d.c, row, k)];
      s[k] = T(1) / (white_.value[0] - b[k]);
    }
    const T* xr = x.data() + r * d.w;
    T* yr = y.data() + r * d.w;
    for (int64_t col = 0; col < d.w; ++col) yr[col] = (xr[col] - b[col & 1]) * s[col & 1];
  }
}

template <class T>
void BlackWhiteLevelT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                           TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const int64_t rows = d.n * d.c * d.h;
  const bool want_p = black_.requires_grad || white_.requires_grad;
  double g_all[5] = {};  // ∂L/∂black per site (4), then ∂L/∂white
  double* g_black = g_all;
  double& g_white = g_all[4];
  isp_detail::reduce_blocks(rows, 5, x.numel() >= isp_detail::kOmpMinWork, g_all, [&](int64_t r0, int64_t r1, double* l) {
    double lb[4] = {0, 0, 0, 0}, lw = 0;  // locals, so the sums stay in registers
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t row = r % d.h, c = (r / d.h) % d.c;
      const T w = white_.value[0];
      int site[2];
      T b[2], s[2];
      for (int k = 0; k < 2; ++k) {
        site[k] = site_of(c, d.c, row, k);
        b[k] = black_.value[site[k]];
        s[k] = T(1) / (w - b[k]);
      }
      const T* xr = x.data() + r * d.w;
      const T* gr = dL_dy.data() + r * d.w;
      if (dL_dx) {
        T* dr = dL_dx->data() + r * d.w;
        for (int64_t col = 0; col < d.w; ++col) dr[col] += gr[col] * s[col & 1];
      }
      if (want_p) {
        // ∂y/∂b = (x − w)/(w − b)², ∂y/∂w = −(x − b)/(w − b)².
        for (int64_t col = 0; col < d.w; ++col) {
          const int k = col & 1;
          const double g = static_cast<double>(gr[col]) * s[k] * s[k];
          lb[site[k]] += g * (xr[col] - w);
          lw -= g * (xr[col] - b[k]);
        }
      }
    }
    for (int i = 0; i < 4; ++i) l[i] = lb[i];
    l[4] = lw;
  });
  if (black_.requires_grad) {
    black_.grad.resize(black_.value.shape());
    for (int i = 0; i < 4; ++i) black_.grad[i] += static_cast<T>(g_black[i]);
  }
  if (white_.requires_grad) {
    white_.grad.resize(white_.value.shape());
    white_.grad[0] += static_cast<T>(g_white);
  }
}

template <class T>
void BlackWhiteLevelT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  const Dims4 d = isp_detail::image_dims_of(y.shape(), *this, true, true);
  x.resize(y.shape());
  const int64_t rows = d.n * d.c * d.h;
#pragma omp parallel for schedule(static) if (y.numel() >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = r % d.h, c = (r / d.h) % d.c;
    for (int64_t col = 0; col < d.w; ++col) {
      const T b = black_.value[site_of(c, d.c, row, col)];
      x[r * d.w + col] = b + y[r * d.w + col] * (white_.value[0] - b);
    }
  }
}

template class BlackWhiteLevelT<float>;
template class BlackWhiteLevelT<double>;

}  // namespace invgfx
