#pragma once
// Demosaicing: Bayer mosaic N×1×H×W → linear RGB N×3×H×W.
//
// Every method here is linear: each output colour c at a pixel whose 2×2 tile site is t is a 5×5
// kernel K[t][c] applied to the mosaic around it. So one kernel table serves all methods and the
// gradients are exact (w.r.t. the mosaic and, for the learned method, w.r.t. the 300 kernel weights).
//  - bilinear: average of the nearest samples of the missing colour (2 or 4 neighbours);
//  - malvar: Malvar, He & Cutler, "High-quality linear interpolation for demosaicing of Bayer-patterned
//    color images", ICASSP 2004 — bilinear plus a Laplacian correction from the known channel
//    (coefficients as in colour_demosaicing/bayer/demosaicing/malvar2004.py);
//  - learned: all 4×3 kernels free, initialised from Malvar.
// Borders are mirrored without repeating the edge sample (reflect-101), which keeps the CFA phase, so
// edge pixels see a consistent mosaic; the backward folds the mirrored taps back onto their sources.
#include "isp/isp_stage.h"

#include <array>
#include <vector>

namespace invgfx {

enum class DemosaicMethod { Bilinear, Malvar, Learned };

struct DemosaicParams {
  DemosaicMethod method = DemosaicMethod::Bilinear;  // bilinear | malvar | learned; default bilinear
};

// The 4 sites × 3 colours × 25 taps table of a fixed method for a CFA pattern (row-major 5×5).
std::array<double, 300> demosaic_kernels(DemosaicMethod method, CfaPattern cfa);

template <class T>
class DemosaicT : public IspStageT<T> {
 public:
  explicit DemosaicT(const DemosaicParams& p = {});
  std::string name() const override { return "demosaic"; }

  DemosaicParams params() const { return {method_}; }
  void set_params(const DemosaicParams& p);
  // Learned kernels (4·3·25 values, site-major); switches the method to learned.
  void set_kernels(const std::vector<double>& k);
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  // A demosaic cannot be the identity (it changes 1 channel into 3): this resets to bilinear.
  void set_identity() override { set_params({}); }
  // Keeps fixed kernels in step with the pattern; learned kernels are moved to the sites they belong to
  // (all Bayer phases are shifts of one another).
  void set_cfa(CfaPattern p) override;
  // Unprocessing: RGB → mosaic by sampling each pixel's CFA colour.
  bool has_inverse() const override { return true; }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override {
    if (method_ == DemosaicMethod::Learned) v(kernels_);
  }
  const ParameterT<T>& kernels() const { return kernels_; }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  struct Tap {
    int dy, dx;  // 0..4
    T w;
  };
  void rebuild_taps();
  void pad(const T* src, int64_t h, int64_t w);

  DemosaicMethod method_ = DemosaicMethod::Bilinear;
  ParameterT<T> kernels_{"demosaic.kernels", "isp", Shape{4, 3, 5, 5}};
  std::vector<Tap> taps_[4][3];  // non-zero taps per site and colour (forward)
  struct BackTap {
    int dy, dx, c;
    T w;
  };
  std::vector<BackTap> back_taps_[4];  // per parity class of the padded pixel (backward gather)
  TensorT<T> padded_, dpadded_;        // (H+4)×(W+4) scratch
};

using Demosaic = DemosaicT<float>;
using DemosaicD = DemosaicT<double>;

std::string to_string(DemosaicMethod m);
DemosaicMethod demosaic_method_from_string(const std::string& s);

}  // namespace invgfx
