#pragma once
// Area resampling: an image carried onto another pixel grid, each output pixel the exact area average
// of the input over the rectangle it covers (a box filter the size of the output pixel, so shrinking
// by any factor does not alias and an integer shift is an exact copy).
//
// The map is axis-aligned after one of the eight orientations: the input is read as
// orient_image(input, flip) (LibRaw's flip, isp/develop.h), and output pixel (r, c) covers
//   X ∈ [offset_x + scale_x·c, offset_x + scale_x·(c + 1)),  Y ∈ [offset_y + scale_y·r, … ·(r + 1))
// of that oriented input, where input pixel (i, j) covers [j, j + 1) × [i, i + 1). This is how the
// calibration brings a RAW's development to the geometry of the camera's JPEG (orientation, the
// camera's crop and the JPEG's size; isp/pair_alignment.h).
//
// The map is linear and fixed, so the backward is its adjoint (each output's gradient scattered back
// with the same weights); no parameters. Footprints that reach outside the input are averaged over
// the part inside and reported by inside(), so the caller can leave them out of a loss.
#include "core/node.h"

#include <cstdint>
#include <vector>

namespace invgfx {

struct AreaResampleGeometry {
  int64_t in_h = 1, in_w = 1;          // input size in pixels (before orientation), ≥ 1
  int64_t out_h = 1, out_w = 1;        // output size in pixels, ≥ 1
  int flip = 0;                        // orientation applied to the input first, LibRaw flip 0..7; default 0
  double scale_x = 1, scale_y = 1;     // oriented input pixels per output pixel, > 0; default 1
  double offset_x = 0, offset_y = 0;   // oriented input coordinates of the output's top-left corner; default 0
};

template <class T>
class AreaResampleT : public UnaryNodeT<T> {
 public:
  using UnaryNodeT<T>::forward;
  using UnaryNodeT<T>::backward;

  // Throws std::invalid_argument for sizes < 1, a flip outside 0..7 or non-positive scales.
  explicit AreaResampleT(const AreaResampleGeometry& g);
  std::string name() const override { return "area_resample"; }
  const AreaResampleGeometry& geometry() const { return g_; }

  // x: C×in_h×in_w or N×C×in_h×in_w; y: the same with out_h×out_w.
  void forward(const TensorT<T>& x, TensorT<T>& y) override;
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override;

  // Per output pixel (row-major): 1 when its footprint lies entirely inside the input, else 0
  // (partly outside: averaged over the part inside; entirely outside: 0).
  const std::vector<uint8_t>& inside() const { return inside_; }

 private:
  AreaResampleGeometry g_;
  std::vector<int64_t> row_start_;  // CSR over output pixels
  std::vector<int64_t> tap_index_;  // input pixel index (row-major, unoriented)
  std::vector<T> tap_weight_;
  std::vector<uint8_t> inside_;
};

using AreaResample = AreaResampleT<float>;
using AreaResampleD = AreaResampleT<double>;

// The same area resampling for the common case of shrinking C×H×W by a whole factor m from the top-left
// corner (block means of m × m; the last H mod m rows and W mod m columns dropped), computed directly
// rather than through a map: a 24-megapixel JPEG would otherwise need a map of that many taps.
Tensor shrink_by(const Tensor& img, int m);

}  // namespace invgfx
