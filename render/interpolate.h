// Attribute interpolation over a rasterized image (nvdiffrast's interpolate op, Laine et al. 2020
// §3.2): out[c](pixel) = u·A[i0][c] + v·A[i1][c] + (1 − u − v)·A[i2][c] for the pixel's face
// (i0, i1, i2), zero on the background. Used for colours, UVs, normals and depth.
//
// Backward: dL/dA by accumulating each face's pixels (its pixel list from the rasterizer, fixed
// order) into its three corners, then a fixed-order gather per vertex (bit-identical at any thread
// count); dL/du = Σ_c g_c (A0c − A2c), dL/dv = Σ_c g_c (A1c − A2c) per pixel, into a 4×H×W buffer
// laid out like RasterOutput::rast, which RasterizerT::backward turns into position gradients.
#pragma once

#include "core/tensor.h"
#include "render/raster_topology.h"
#include "render/rasterize.h"

#include <cstdint>
#include <vector>

namespace invgfx {

template <class T>
class InterpolatorT {
 public:
  // attributes: V×C. out: C×H×W. Throws std::invalid_argument on shape mismatches.
  void forward(const TensorT<T>& attributes, const std::vector<int32_t>& faces, const RasterOutputT<T>& r,
               TensorT<T>& out);

  // Adds into *dL_dattributes (V×C) and *dL_drast (4×H×W, channels u and v) when they are not null;
  // each is resized and zeroed first if its shape differs.
  void backward(const TensorT<T>& attributes, const std::vector<int32_t>& faces, const RasterOutputT<T>& r,
                const TensorT<T>& dL_dout, TensorT<T>* dL_dattributes, TensorT<T>* dL_drast);

 private:
  std::vector<T> corner_grad_;  // F×3×C
  RasterTopology topology_;
};

using Interpolator = InterpolatorT<float>;
using InterpolatorD = InterpolatorT<double>;

}  // namespace invgfx
