// Implementation of isp/color_matrix.h.
#include "isp/color_matrix.h"

#include <Eigen/Dense>

namespace invgfx {

template <class T>
ColorMatrixT<T>::ColorMatrixT(const ColorMatrixParams& p) {
  set_params(p);
}

template <class T>
std::array<T, 9> ColorMatrixT<T>::effective() const {
  std::array<T, 9> m;
  for (int i = 0; i < 9; ++i) m[i] = matrix_.value[i];
  if (rows_sum_to_one_)
    for (int r = 0; r < 3; ++r) {
      const T excess = (m[r * 3] + m[r * 3 + 1] + m[r * 3 + 2] - T(1)) / T(3);
      for (int c = 0; c < 3; ++c) m[r * 3 + c] -= excess;
    }
  return m;
}

template <class T>
ColorMatrixParams ColorMatrixT<T>::params() const {
  ColorMatrixParams p;
  const auto m = effective();
  for (int i = 0; i < 9; ++i) p.matrix[i] = static_cast<double>(m[i]);
  p.rows_sum_to_one = rows_sum_to_one_;
  return p;
}

template <class T>
void ColorMatrixT<T>::set_params(const ColorMatrixParams& p) {
  for (double v : p.matrix)
    if (!std::isfinite(v) || std::abs(v) > 8)
      throw std::invalid_argument("isp stage 'color_matrix': entries must be finite and within [-8, 8], got " +
                                  std::to_string(v));
  for (int i = 0; i < 9; ++i) matrix_.value[i] = static_cast<T>(p.matrix[i]);
  rows_sum_to_one_ = p.rows_sum_to_one;
}

template <class T>
nlohmann::json ColorMatrixT<T>::params_to_json() const {
  const auto p = params();
  return {{"matrix", {{p.matrix[0], p.matrix[1], p.matrix[2]},
                      {p.matrix[3], p.matrix[4], p.matrix[5]},
                      {p.matrix[6], p.matrix[7], p.matrix[8]}}},
          {"rows_sum_to_one", p.rows_sum_to_one}};
}

template <class T>
std::vector<FieldSpec> ColorMatrixT<T>::field_specs() const {
  return {FieldSpec::real("matrix", -8, 8).values(9).learnable(), FieldSpec::boolean("rows_sum_to_one")};
}

template <class T>
void ColorMatrixT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"matrix", "rows_sum_to_one"});
  auto p = params();
  if (j.contains("rows_sum_to_one")) p.rows_sum_to_one = read_bool(j, name(), "rows_sum_to_one");
  if (j.contains("matrix")) {
    const auto m = read_numbers(j, name(), "matrix", 9);
    std::copy(m.begin(), m.end(), p.matrix.begin());
  }
  set_params(p);
}

template <class T>
void ColorMatrixT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), false, true);
  y.resize(x.shape());
  const auto m = effective();
  const int64_t hw = d.h * d.w;
  for (int64_t n = 0; n < d.n; ++n) {
    const T *r = x.data() + n * 3 * hw, *g = r + hw, *b = g + hw;
    T *yr = y.data() + n * 3 * hw, *yg = yr + hw, *yb = yg + hw;
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < hw; ++i) {
      const T R = r[i], G = g[i], B = b[i];
      yr[i] = m[0] * R + m[1] * G + m[2] * B;
      yg[i] = m[3] * R + m[4] * G + m[5] * B;
      yb[i] = m[6] * R + m[7] * G + m[8] * B;
    }
  }
}

template <class T>
void ColorMatrixT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                       TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const auto m = effective();
  const int64_t hw = d.h * d.w;
  const bool want_p = matrix_.requires_grad;
  double gm[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t n = 0; n < d.n; ++n) {
    const T *r = x.data() + n * 3 * hw, *g = r + hw, *b = g + hw;
    const T *gr = dL_dy.data() + n * 3 * hw, *gg = gr + hw, *gb = gg + hw;
    if (dL_dx) {
      T *dr = dL_dx->data() + n * 3 * hw, *dg = dr + hw, *db = dg + hw;
#pragma omp parallel for simd schedule(static) if (hw >= isp_detail::kOmpMinWork)
      for (int64_t i = 0; i < hw; ++i) {
        dr[i] += m[0] * gr[i] + m[3] * gg[i] + m[6] * gb[i];
        dg[i] += m[1] * gr[i] + m[4] * gg[i] + m[7] * gb[i];
        db[i] += m[2] * gr[i] + m[5] * gg[i] + m[8] * gb[i];
      }
    }
    if (want_p) {
      isp_detail::reduce_blocks(hw, 9, hw >= isp_detail::kOmpMinWork, gm, [&](int64_t i0, int64_t i1, double* a) {
        // Local copies of the pointers: through the closure the compiler would gather.
        const T *xr = r + i0, *xg = g + i0, *xb = b + i0, *dr = gr + i0, *dg = gg + i0, *db = gb + i0;
        const int64_t len = i1 - i0;
        double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7, a8)
        for (int64_t i = 0; i < len; ++i) {
          a0 += dr[i] * xr[i]; a1 += dr[i] * xg[i]; a2 += dr[i] * xb[i];
          a3 += dg[i] * xr[i]; a4 += dg[i] * xg[i]; a5 += dg[i] * xb[i];
          a6 += db[i] * xr[i]; a7 += db[i] * xg[i]; a8 += db[i] * xb[i];
        }
        a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3, a[4] = a4, a[5] = a5, a[6] = a6, a[7] = a7, a[8] = a8;
      });
    }
  }
  if (want_p) {
    matrix_.grad.resize(matrix_.value.shape());
    for (int row = 0; row < 3; ++row) {
      const double mean = rows_sum_to_one_ ? (gm[row * 3] + gm[row * 3 + 1] + gm[row * 3 + 2]) / 3 : 0.0;
      for (int c = 0; c < 3; ++c) matrix_.grad[row * 3 + c] += static_cast<T>(gm[row * 3 + c] - mean);
    }
  }
}

template <class T>
void ColorMatrixT<T>::inverse(const TensorT<T>& y, TensorT<T>& x) const {
  const Dims4 d = isp_detail::image_dims(y.shape(), name(), false, true);
  const auto m = effective();
  Eigen::Matrix3d M;
  for (int i = 0; i < 9; ++i) M(i / 3, i % 3) = static_cast<double>(m[i]);
  if (std::abs(M.determinant()) < 1e-9)
    throw std::invalid_argument("isp stage 'color_matrix': the matrix is singular and cannot be inverted");
  const Eigen::Matrix3d Mi = M.inverse();
  x.resize(y.shape());
  const int64_t hw = d.h * d.w;
  for (int64_t n = 0; n < d.n; ++n) {
    const T* in = y.data() + n * 3 * hw;
    T* out = x.data() + n * 3 * hw;
#pragma omp parallel for schedule(static) if (hw >= isp_detail::kOmpMinWork)
    for (int64_t i = 0; i < hw; ++i) {
      const Eigen::Vector3d v(in[i], in[hw + i], in[2 * hw + i]);
      const Eigen::Vector3d u = Mi * v;
      for (int c = 0; c < 3; ++c) out[c * hw + i] = static_cast<T>(u[c]);
    }
  }
}

template class ColorMatrixT<float>;
template class ColorMatrixT<double>;

}  // namespace invgfx
