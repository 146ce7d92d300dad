#pragma once
// The common ISP chain run as one fused node: black/white level → white balance (on the mosaic) →
// bilinear demosaic → 3×3 colour matrix → pwl tone curve → sRGB encode, any of them except the
// demosaic optionally disabled or absent. IspPipelineT uses it automatically when its enabled stages
// form that chain (IspPipelineT::set_fused(false) keeps the stage-by-stage reference path).
//
// Forward, one parallel region per image: pass 1 writes the white-balanced mosaic with a 1-pixel
// reflect-101 border (the only intermediate kept); pass 2 demosaics a row into a per-thread scratch and
// runs colour matrix, tone curve and sRGB on it, writing the output row.
// Backward, one parallel region: pass A recomputes a row's demosaic, goes output → sRGB' → tone' → Mᵀ
// and stores ∂L/∂(demosaic output) in zero-bordered planes; pass B gathers the bilinear adjoint for each
// mosaic pixel (a pixel only feeds the interpolation of its own colour: a cross kernel on the green
// plane for green sites, the 3×3 tent on its own colour plane for red/blue), folds the mirrored border
// back, and runs the white-balance and black-level adjoints. Parameter gradients are summed per band of
// kBandRows rows and the bands reduced in order, so results do not depend on the thread count.
// Inner loops step over one CFA column phase at a time (constants per loop, no per-pixel CFA branch).
// Forward values equal the stages' bit for bit up to FMA contraction in the colour matrix; gradients
// equal them up to float summation order.
#include "isp/isp_stage.h"

#include <array>
#include <memory>
#include <vector>

namespace invgfx {

template <class T> class BlackWhiteLevelT;
template <class T> class WhiteBalanceT;
template <class T> class DemosaicT;
template <class T> class ColorMatrixT;
template <class T> class ToneCurveT;
template <class T> class SrgbT;

template <class T>
class FusedIspChainT {
 public:
  // Binds to the enabled stages (stages[active[k]]) if they form the chain; false otherwise.
  // Does not allocate.
  bool bind(const std::vector<std::unique_ptr<IspStageT<T>>>& stages, const std::vector<size_t>& active);
  // True for a mosaic the chain handles (1×H×W or N×1×H×W, H, W ≥ 3); other inputs go stage by stage
  // so that the stages report the error.
  static bool accepts(const Shape& s);
  void forward(const TensorT<T>& x, TensorT<T>& y);
  // y must be the output of the last forward of this chain (the sRGB slope is read from it).
  void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy, TensorT<T>* dL_dx);

  static constexpr int64_t kBandRows = 8;

 private:
  struct Band {  // per-band partial parameter gradients (one cache-line multiple, no false sharing)
    double black[4], white, wb[3], ccm[9], tone[33];
    double pad_[14];
  };

  void prepare();
  void reserve(int64_t h, int64_t w, int threads);
  T* scratch(int thread) { return scratch_base_ + static_cast<size_t>(thread) * slot_; }
  void mosaic_row(const T* x, int64_t a);
  void demosaic_row(int64_t i, T* D) const;
  template <bool Tone, bool Srgb>
  void finish_row(const T* D, T* out) const;
  template <bool Tone, bool Srgb>
  void backward_row_a(int64_t i, const T* gy, const T* ys, T* s, Band& band);
  void gather_row(int64_t a, T* E) const;
  void backward_row_b(int64_t r, const T* x, T* dx, T* s, Band& band);

  // Bound stages (null = absent or disabled) and their parameters.
  BlackWhiteLevelT<T>* bl_ = nullptr;
  WhiteBalanceT<T>* wb_ = nullptr;
  DemosaicT<T>* dm_ = nullptr;
  ColorMatrixT<T>* cm_ = nullptr;
  ToneCurveT<T>* tc_ = nullptr;
  SrgbT<T>* srgb_ = nullptr;
  ParameterT<T>*p_black_ = nullptr, *p_white_ = nullptr, *p_gains_ = nullptr, *p_matrix_ = nullptr,
  *p_theta_ = nullptr;

  // Constants of the last forward.
  std::array<int, 4> tile_{0, 1, 1, 2};          // colour of each 2×2 site
  T black_[4]{}, scale_[4]{1, 1, 1, 1}, white_ = 1;  // per site: black, 1/(white − black)
  T gain_[4]{1, 1, 1, 1}, gain_min_ = 1;         // WB gain per site, min over colours
  int argmin_ = -1;                              // colour whose gain is the min (−1: green)
  bool clip_ = false;
  std::array<T, 9> m_{1, 0, 0, 0, 1, 0, 0, 0, 1};  // effective colour matrix
  bool rows_sum_to_one_ = false;
  int K_ = 16;
  std::array<T, 33> Y_{};  // tone knots Y_0..Y_K
  double S_ = 1;           // Σ softplus(θ)
  bool tone_identity_ = true;

  // Image geometry and buffers (capacity kept across calls: no allocation in steady state).
  int64_t h_ = 0, w_ = 0, pw_ = 0, gw_ = 0, gh_ = 0;
  size_t slot_ = 0, ws_ = 0, ws2_ = 0;
  std::vector<T> padded_;  // (H+2)×(W+2) white-balanced mosaic
  std::vector<T> gplanes_; // 3×(H+4)×(W+4) ∂L/∂(demosaic output), zero border of 2
  std::vector<T> scratch_;
  T* scratch_base_ = nullptr;
  std::vector<Band> bands_;
};

using FusedIspChain = FusedIspChainT<float>;
using FusedIspChainD = FusedIspChainT<double>;

}  // namespace invgfx
