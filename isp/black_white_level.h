#pragma once
// Black and white level: raw digital numbers → normalised linear signal, per CFA site.
//   y = (x − black[site]) / (white − black[site])
// so black maps to 0 and the white (saturation) level to 1. Nothing is clipped here: negative values
// (read noise around black) and values above 1 pass through unchanged, because the noise statistics
// and the highlight handling of white balance need them (see white_balance.h). The gradient is the
// exact derivative everywhere.
#include "isp/isp_stage.h"

#include <array>

namespace invgfx {

struct BlackWhiteLevelParams {
  std::array<double, 4> black{0, 0, 0, 0};  // DN per 2×2 CFA tile site, row-major (0,0),(0,1),(1,0),(1,1); ≥ 0; default 0
  double white = 1.0;                        // DN of saturation; > every black; default 1 (input already normalised)
};

template <class T>
class BlackWhiteLevelT : public IspStageT<T> {
 public:
  explicit BlackWhiteLevelT(const BlackWhiteLevelParams& p = {});
  std::string name() const override { return "black_white_level"; }

  BlackWhiteLevelParams params() const;
  void set_params(const BlackWhiteLevelParams& p);
  nlohmann::json params_to_json() const override;
  void params_from_json(const nlohmann::json& j) override;
  std::vector<FieldSpec> field_specs() const override;
  void set_identity() override { set_params({}); }
  bool has_inverse() const override { return true; }
  void inverse(const TensorT<T>& y, TensorT<T>& x) const override;
  void visit_parameters(const ParameterVisitor<T>& v) override { v(black_); v(white_); }

 protected:
  void forward_enabled(const TensorT<T>& x, TensorT<T>& y) override;
  void backward_enabled(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) override;

 private:
  // Black level of channel/site index k for pixel (row, col): the tile site for a mosaic, the first
  // site of that colour for an RGB image.
  int site_of(int64_t c, int64_t channels, int64_t row, int64_t col) const;
  void check_levels() const;

  ParameterT<T> black_{"black_white_level.black", "isp", Shape{4}};
  ParameterT<T> white_{"black_white_level.white", "isp", Shape{1}};
};

using BlackWhiteLevel = BlackWhiteLevelT<float>;
using BlackWhiteLevelD = BlackWhiteLevelT<double>;

}  // namespace invgfx
