// Implementation of render/interpolate.h.
#include "render/interpolate.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace invgfx {

namespace {

template <class T>
void check_inputs(const TensorT<T>& attributes, const std::vector<int32_t>& faces, const RasterOutputT<T>& r,
                  const char* what) {
  if (attributes.rank() != 2 || attributes.dim(1) < 1)
    throw std::invalid_argument(std::string(what) + ": attributes must be V×C, got " + attributes.shape().str());
  if (static_cast<int64_t>(faces.size() / 3) != r.num_faces)
    throw std::invalid_argument(std::string(what) + ": faces (" + std::to_string(faces.size() / 3) +
                                ") differ from the rasterized ones (" + std::to_string(r.num_faces) + ")");
}

template <class T>
void prepare(TensorT<T>* t, const Shape& s) {
  if (t && t->shape() != s) {
    t->resize(s);
    t->zero();
  }
}

}  // namespace

template <class T>
void InterpolatorT<T>::forward(const TensorT<T>& attributes, const std::vector<int32_t>& faces,
                               const RasterOutputT<T>& r, TensorT<T>& out) {
  check_inputs(attributes, faces, r, "interpolate");
  topology_.update(faces, attributes.dim(0), "interpolate: faces");
  const int64_t C = attributes.dim(1), W = r.width, H = r.height, plane = W * H;
  out.resize({C, H, W});
  const T* A = attributes.data();
  const T* rast = r.rast.data();
  T* o = out.data();
#pragma omp parallel for schedule(static) if (plane > 16384)
  for (int64_t y = 0; y < H; ++y)
    for (int64_t p = y * W; p < (y + 1) * W; ++p) {
      const int32_t f = r.face[static_cast<size_t>(p)];
      if (f < 0) {
        for (int64_t c = 0; c < C; ++c) o[c * plane + p] = T(0);
        continue;
      }
      const T u = rast[p], v = rast[plane + p], t = T(1) - u - v;
      const T* a0 = A + C * faces[3 * size_t(f)];
      const T* a1 = A + C * faces[3 * size_t(f) + 1];
      const T* a2 = A + C * faces[3 * size_t(f) + 2];
      for (int64_t c = 0; c < C; ++c) o[c * plane + p] = u * a0[c] + v * a1[c] + t * a2[c];
    }
}

template <class T>
void InterpolatorT<T>::backward(const TensorT<T>& attributes, const std::vector<int32_t>& faces,
                                const RasterOutputT<T>& r, const TensorT<T>& dL_dout, TensorT<T>* dL_dattributes,
                                TensorT<T>* dL_drast) {
  check_inputs(attributes, faces, r, "interpolate backward");
  const int64_t C = attributes.dim(1), W = r.width, H = r.height, plane = W * H;
  if (dL_dout.shape() != Shape({C, H, W}))
    throw std::invalid_argument("interpolate backward: dL_dout must be " + Shape({C, H, W}).str() + ", got " +
                                dL_dout.shape().str());
  topology_.update(faces, attributes.dim(0), "interpolate backward: faces");
  const T* A = attributes.data();
  const T* rast = r.rast.data();
  const T* g = dL_dout.data();

  T* gr = nullptr;
  if (dL_drast) {
    prepare(dL_drast, Shape({4, H, W}));
    gr = dL_drast->data();
  }
  // Without attribute gradients, one pass over the image; with them, dL/du and dL/dv are computed in
  // the per-face pass over the same pixels (each pixel is in one face's list, so the writes are
  // disjoint and each pixel's value is the same as the image pass's).
  if (dL_drast && !dL_dattributes) {
#pragma omp parallel for schedule(static) if (plane > 16384)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t p = y * W; p < (y + 1) * W; ++p) {
        const int32_t f = r.face[static_cast<size_t>(p)];
        if (f < 0) continue;
        const T* a0 = A + C * faces[3 * size_t(f)];
        const T* a1 = A + C * faces[3 * size_t(f) + 1];
        const T* a2 = A + C * faces[3 * size_t(f) + 2];
        T du = 0, dv = 0;
        for (int64_t c = 0; c < C; ++c) {
          const T gc = g[c * plane + p];
          du += gc * (a0[c] - a2[c]), dv += gc * (a1[c] - a2[c]);
        }
        gr[p] += du, gr[plane + p] += dv;
      }
  }

  if (dL_dattributes) {
    prepare(dL_dattributes, attributes.shape());
    const int64_t F = r.num_faces;
    corner_grad_.resize(static_cast<size_t>(F * 3 * C));
#pragma omp parallel for schedule(dynamic, 64) if (r.covered_pixels() > 4096)
    for (int64_t f = 0; f < F; ++f) {
      T* cg = corner_grad_.data() + f * 3 * C;
      std::fill(cg, cg + 3 * C, T(0));
      const int32_t b = r.face_pixel_start[static_cast<size_t>(f)], e = r.face_pixel_start[static_cast<size_t>(f) + 1];
      const T* a0 = A + C * faces[3 * size_t(f)];
      const T* a1 = A + C * faces[3 * size_t(f) + 1];
      const T* a2 = A + C * faces[3 * size_t(f) + 2];
      for (int32_t i = b; i < e; ++i) {
        const int32_t p = r.face_pixels[static_cast<size_t>(i)];
        const T u = rast[p], v = rast[plane + p], t = T(1) - u - v;
        for (int64_t c = 0; c < C; ++c) {
          const T gc = g[c * plane + p];
          cg[c] += u * gc, cg[C + c] += v * gc, cg[2 * C + c] += t * gc;
        }
        if (gr) {
          T du = 0, dv = 0;
          for (int64_t c = 0; c < C; ++c) {
            const T gc = g[c * plane + p];
            du += gc * (a0[c] - a2[c]), dv += gc * (a1[c] - a2[c]);
          }
          gr[p] += du, gr[plane + p] += dv;
        }
      }
    }
    topology_.gather_corners(corner_grad_.data(), static_cast<int>(C), dL_dattributes->data());
  }
}

template class InterpolatorT<float>;
template class InterpolatorT<double>;

}  // namespace invgfx
