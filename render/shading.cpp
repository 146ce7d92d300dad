// Implementation of render/shading.h.
#include "render/shading.h"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace invgfx {

namespace {

// Ramamoorthi & Hanrahan 2001, eq. 13 constants.
constexpr double kC1 = 0.429043, kC2 = 0.511664, kC3 = 0.743125, kC4 = 0.886227, kC5 = 0.247708;

template <class T>
using V3 = Eigen::Matrix<T, 3, 1>;

// ∂E/∂L_k for the nine coefficients at unit normal (x, y, z).
template <class T>
void irradiance_basis(T x, T y, T z, T* b) {
  b[0] = T(kC4);
  b[1] = T(2 * kC2) * y;
  b[2] = T(2 * kC2) * z;
  b[3] = T(2 * kC2) * x;
  b[4] = T(2 * kC1) * x * y;
  b[5] = T(2 * kC1) * y * z;
  b[6] = T(kC3) * z * z - T(kC5);
  b[7] = T(2 * kC1) * x * z;
  b[8] = T(kC1) * (x * x - y * y);
}

// ∇_n E for one channel's coefficients L.
template <class T>
V3<T> irradiance_gradient(const T* L, T x, T y, T z) {
  const T c1 = T(2 * kC1), c2 = T(2 * kC2);
  return V3<T>(c1 * L[8] * x + c1 * (L[4] * y + L[7] * z) + c2 * L[3],
               -c1 * L[8] * y + c1 * (L[4] * x + L[5] * z) + c2 * L[1],
               T(2 * kC3) * L[6] * z + c1 * (L[7] * x + L[5] * y) + c2 * L[2]);
}

template <class T>
void check_image(const TensorT<T>* t, const char* what, int64_t H, int64_t W) {
  if (!t || t->rank() != 3 || t->dim(0) != 3 || (H >= 0 && (t->dim(1) != H || t->dim(2) != W)))
    throw std::invalid_argument(std::string("Shading: ") + what + " must be 3×H×W" +
                                (t ? ", got " + t->shape().str() : ", missing"));
}

}  // namespace

template <class T>
T ShadingT<T>::irradiance(const T* L, T x, T y, T z) {
  T b[9];
  irradiance_basis(x, y, z, b);
  T e = 0;
  for (int k = 0; k < 9; ++k) e += b[k] * L[k];
  return e;
}

template <class T>
ShadingT<T>::ShadingT(const ShadingOptions& o)
    : options(o),
      ambient("ambient", group::kLight, Shape{3}),
      direction("direction", group::kLight, Shape{3}),
      color("color", group::kLight, Shape{3}),
      sh("sh", group::kLight, Shape{3, 9}),
      specular_strength("specular_strength", group::kLight, Shape{1}),
      shininess("shininess", group::kLight, Shape{1}) {
  ambient.value.fill(T(0.3));
  direction.value[0] = T(0.3);
  direction.value[1] = T(0.5);
  direction.value[2] = T(1);
  color.value.fill(T(0.7));
  specular_strength.value[0] = T(0.2);
  shininess.value[0] = T(32);
}

template <class T>
void ShadingT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  if (options.ambient) visit(ambient);
  if (options.directional || options.specular) {
    visit(direction);
    visit(color);
  }
  if (options.spherical_harmonics) visit(sh);
  if (options.specular) {
    visit(specular_strength);
    visit(shininess);
  }
}

template <class T>
void ShadingT<T>::forward(In in, Out out) {
  const TensorT<T>* albedo = in.ptr(0);
  const TensorT<T>* normals = in.ptr(1);
  check_image(albedo, "albedo", -1, -1);
  const int64_t H = albedo->dim(1), W = albedo->dim(2), HW = H * W;
  check_image(normals, "normals", H, W);
  const TensorT<T>* view = in.ptr(2);
  if (options.specular) check_image(view, "view (needed for specular)", H, W);
  TensorT<T>& y = out[0];
  y.resize({3, H, W});

  const V3<T> dvec(direction.value[0], direction.value[1], direction.value[2]);
  const T dlen = dvec.norm();
  if ((options.directional || options.specular) && !(dlen > T(0)))
    throw std::invalid_argument("Shading: light direction must not be the zero vector");
  const V3<T> l = dlen > T(0) ? V3<T>(dvec / dlen) : V3<T>::Zero();
  const T alpha = std::max(shininess.value[0], T(1));
  const T* A = albedo->data();
  const T* N = normals->data();
  const T* Vw = view ? view->data() : nullptr;
  T* Y = y.data();
#pragma omp parallel for schedule(static) if (HW > 4096)
  for (int64_t i = 0; i < HW; ++i) {
    V3<T> n(N[i], N[HW + i], N[2 * HW + i]);
    const T len = n.norm();
    n = len > T(0) ? V3<T>(n / len) : V3<T>::Zero();
    const T ndotl = n.dot(l);
    T spec = 0;
    if (options.specular && ndotl > T(0)) {
      const V3<T> hv = l + V3<T>(Vw[i], Vw[HW + i], Vw[2 * HW + i]).normalized();
      const T hl = hv.norm();
      if (hl > T(0)) {
        const T ndoth = n.dot(hv) / hl;
        if (ndoth > T(0)) spec = specular_strength.value[0] * std::pow(ndoth, alpha);
      }
    }
    for (int c = 0; c < 3; ++c) {
      T s = 0;
      if (options.ambient) s += ambient.value[c];
      if (options.directional) s += color.value[c] * std::max(ndotl, T(0));
      if (options.spherical_harmonics)
        s += irradiance(sh.value.data() + 9 * c, n.x(), n.y(), n.z()) / T(std::numbers::pi);
      Y[c * HW + i] = A[c * HW + i] * s + color.value[c] * spec;
    }
  }
}

template <class T>
void ShadingT<T>::backward(In in, In /*out*/, In dL_dout, Out dL_din) {
  const TensorT<T>& albedo = in[0];
  const TensorT<T>& normals = in[1];
  const TensorT<T>* view = in.ptr(2);
  const int64_t H = albedo.dim(1), W = albedo.dim(2), HW = H * W;
  const TensorT<T>& g = dL_dout[0];
  if (g.shape() != albedo.shape()) throw std::invalid_argument("Shading::backward: dL_dout must be 3×H×W");
  TensorT<T>* dA = dL_din.ptr(0);
  TensorT<T>* dN = dL_din.ptr(1);
  TensorT<T>* dV = dL_din.ptr(2);

  const V3<T> dvec(direction.value[0], direction.value[1], direction.value[2]);
  const T dlen = dvec.norm();
  const V3<T> l = dlen > T(0) ? V3<T>(dvec / dlen) : V3<T>::Zero();
  const T alpha = std::max(shininess.value[0], T(1));
  const bool alpha_free = shininess.value[0] >= T(1);  // below 1 the clamp makes α constant
  const T ks = specular_strength.value[0];
  const T inv_pi = T(1 / std::numbers::pi);
  const T* A = albedo.data();
  const T* N = normals.data();
  const T* Vw = view ? view->data() : nullptr;
  const T* G = g.data();

  // Light-parameter partial sums per row: [0,3) ambient, [3,6) dL/dl, [6,9) colour, [9,36) SH,
  // 36 k_s, 37 α. Reduced in row order after the parallel loop.
  constexpr int K = kLightScalars;
  row_partials_.assign(static_cast<size_t>(H * K), T(0));
#pragma omp parallel for schedule(static) if (HW > 4096)
  for (int64_t r = 0; r < H; ++r) {
    T* acc = row_partials_.data() + r * K;
    for (int64_t i = r * W; i < (r + 1) * W; ++i) {
      V3<T> n(N[i], N[HW + i], N[2 * HW + i]);
      const T len = n.norm();
      n = len > T(0) ? V3<T>(n / len) : V3<T>::Zero();
      const T ndotl = n.dot(l);
      const bool lit = ndotl > T(0);
      T basis[9];
      if (options.spherical_harmonics) irradiance_basis(n.x(), n.y(), n.z(), basis);

      // Specular state: h = ĥ/|ĥ|, ĥ = l + v̂, v̂ = v/|v|.
      V3<T> vhat = V3<T>::Zero(), hv = V3<T>::Zero();
      T hl = 0, ndoth = 0, pw = 0, vlen = 0;
      bool spec_on = false;
      if (options.specular && lit) {
        const V3<T> v(Vw[i], Vw[HW + i], Vw[2 * HW + i]);
        vlen = v.norm();
        vhat = vlen > T(0) ? V3<T>(v / vlen) : V3<T>::Zero();
        const V3<T> hraw = l + vhat;
        hl = hraw.norm();
        if (hl > T(0)) {
          hv = hraw / hl;
          ndoth = n.dot(hv);
          if (ndoth > T(0)) {
            spec_on = true;
            pw = std::pow(ndoth, alpha);
          }
        }
      }

      V3<T> dn = V3<T>::Zero(), dl = V3<T>::Zero();
      T dpow = 0;  // dL/d(n·h)^α summed over channels (times k_s·Ld_c)
      for (int c = 0; c < 3; ++c) {
        const T gc = G[c * HW + i], ac = A[c * HW + i];
        T s = 0;
        if (options.ambient) {
          s += ambient.value[c];
          acc[c] += gc * ac;
        }
        if (options.directional) {
          s += color.value[c] * std::max(ndotl, T(0));
          acc[6 + c] += gc * ac * std::max(ndotl, T(0));
          if (lit) {
            dn += (gc * ac * color.value[c]) * l;
            dl += (gc * ac * color.value[c]) * n;
          }
        }
        if (options.spherical_harmonics) {
          const T* L = sh.value.data() + 9 * c;
          T e = 0;
          for (int k = 0; k < 9; ++k) {
            e += basis[k] * L[k];
            acc[9 + 9 * c + k] += gc * ac * basis[k] * inv_pi;
          }
          s += e * inv_pi;
          if (len > T(0)) dn += (gc * ac * inv_pi) * irradiance_gradient(L, n.x(), n.y(), n.z());
        }
        if (spec_on) {
          acc[6 + c] += gc * ks * pw;
          acc[36] += gc * color.value[c] * pw;
          dpow += gc * ks * color.value[c];
        }
        if (dA) (*dA)[c * HW + i] += gc * s;
      }
      if (spec_on) {
        // d(n·h)^α = α(n·h)^(α−1)·d(n·h); ∂/∂α = (n·h)^α·ln(n·h).
        if (alpha_free) acc[37] += dpow * pw * std::log(ndoth);
        const T dndoth = dpow * alpha * std::pow(ndoth, alpha - T(1));
        dn += dndoth * hv;
        const V3<T> dh = dndoth * n;
        const V3<T> dhraw = (dh - hv * hv.dot(dh)) / hl;
        dl += dhraw;
        if (dV && vlen > T(0)) {
          const V3<T> dv = (dhraw - vhat * vhat.dot(dhraw)) / vlen;
          for (int k = 0; k < 3; ++k) (*dV)[k * HW + i] += dv(k);
        }
      }
      acc[3] += dl.x();
      acc[4] += dl.y();
      acc[5] += dl.z();
      if (dN && len > T(0)) {
        const V3<T> d = (dn - n * n.dot(dn)) / len;  // through n = ñ/|ñ|
        for (int k = 0; k < 3; ++k) (*dN)[k * HW + i] += d(k);
      }
    }
  }
  T sum[K] = {};
  for (int64_t r = 0; r < H; ++r)
    for (int k = 0; k < K; ++k) sum[k] += row_partials_[static_cast<size_t>(r * K + k)];

  if (options.ambient && ambient.requires_grad)
    for (int c = 0; c < 3; ++c) ambient.grad[c] += sum[c];
  if ((options.directional || options.specular) && direction.requires_grad && dlen > T(0)) {
    const V3<T> dl(sum[3], sum[4], sum[5]);
    const V3<T> dd = (dl - l * l.dot(dl)) / dlen;  // through l = d/|d|
    for (int k = 0; k < 3; ++k) direction.grad[k] += dd(k);
  }
  if ((options.directional || options.specular) && color.requires_grad)
    for (int c = 0; c < 3; ++c) color.grad[c] += sum[6 + c];
  if (options.spherical_harmonics && sh.requires_grad)
    for (int k = 0; k < 27; ++k) sh.grad[k] += sum[9 + k];
  if (options.specular) {
    if (specular_strength.requires_grad) specular_strength.grad[0] += sum[36];
    if (shininess.requires_grad) shininess.grad[0] += sum[37];
  }
}

template class ShadingT<float>;
template class ShadingT<double>;

}  // namespace invgfx
