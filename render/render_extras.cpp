// Implementation of render/render_extras.h.
#include "render/render_extras.h"

#include <cmath>

namespace invgfx {

namespace {

// Writes n / |n| at pixel i of a 3-plane image (nothing for a zero vector).
template <class T>
void put_unit(TensorT<T>& img, int64_t P, int64_t i, const T n[3]) {
  const T len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
  if (len > T(0))
    for (int c = 0; c < 3; ++c) img[c * P + i] = n[c] / len;
}

}  // namespace

template <class T>
void RenderExtrasT<T>::clear(int S) {
  const int64_t P = int64_t(S) * S;
  normals.resize({3, S, S});
  normals.zero();
  depth.resize({1, S, S});
  depth.zero();
  face.assign(static_cast<size_t>(P), -1);
}

template <class T>
void RenderExtrasT<T>::from_hard(const RasterOutputT<T>& r, const TensorT<T>& n_img, int S) {
  clear(S);
  if (r.width != S) return;
  const int64_t P = int64_t(S) * S;
  for (int64_t i = 0; i < P; ++i) {
    face[static_cast<size_t>(i)] = r.face[static_cast<size_t>(i)];
    if (r.face[static_cast<size_t>(i)] < 0) continue;
    const T n[3] = {n_img[i], n_img[P + i], n_img[2 * P + i]};
    put_unit(normals, P, i, n);
    depth[i] = r.rast[2 * P + i];
  }
}

template <class T>
void RenderExtrasT<T>::from_soft(const SoftRasterizerT<T>& soft, const TensorT<T>& vertex_normals,
                                 const std::vector<int32_t>& faces, int S) {
  clear(S);
  if (soft.nearest_face().empty()) return;
  const int64_t P = int64_t(S) * S;
  const auto& nf = soft.nearest_face();
  const TensorT<T>& w = soft.nearest_weights();
  for (int64_t i = 0; i < P; ++i) {
    const int32_t f = nf[static_cast<size_t>(i)];
    face[static_cast<size_t>(i)] = f;
    if (f < 0) continue;
    T n[3] = {0, 0, 0};
    for (int k = 0; k < 3; ++k) {
      const int64_t v = faces[static_cast<size_t>(3 * f + k)];
      for (int c = 0; c < 3; ++c) n[c] += w[k * P + i] * vertex_normals[3 * v + c];
    }
    put_unit(normals, P, i, n);
    depth[i] = soft.depth()[i];
  }
}

template struct RenderExtrasT<float>;
template struct RenderExtrasT<double>;

}  // namespace invgfx
