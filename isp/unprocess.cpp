// Implementation of isp/unprocess.h.
#include "isp/unprocess.h"

#include "isp/white_balance.h"

#include <Eigen/Dense>

#include <cmath>

namespace invgfx {

template <class T>
void unprocess(IspPipelineT<T>& isp, const TensorT<T>& srgb, TensorT<T>& raw, const UnprocessOptions& opt) {
  TensorT<T> a, b;
  a.copy_from(srgb);
  for (size_t k = isp.size(); k-- > 0;) {
    IspStageT<T>& s = isp.at(k);
    if (!s.enabled() || !s.has_inverse()) continue;
    auto* wb = dynamic_cast<WhiteBalanceT<T>*>(&s);
    if (wb && opt.safe_highlights && as4d(a.shape()).c == 3) {
      // Brooks et al. 2019, safe_invert_gains: g' = max(m + (1 − m)/g, 1/g), m = (max(mean − 0.9, 0)/0.1)².
      const auto g = wb->gains();
      const Dims4 d = as4d(a.shape());
      const int64_t hw = d.h * d.w;
      b.resize(a.shape());
      for (int64_t n = 0; n < d.n; ++n)
        for (int64_t i = 0; i < hw; ++i) {
          const T* px = a.data() + n * 3 * hw + i;
          const double grey = (px[0] + px[hw] + px[2 * hw]) / 3.0;
          const double m = std::pow(std::max(grey - 0.9, 0.0) / 0.1, 2.0);
          for (int c = 0; c < 3; ++c) {
            const double inv = std::max(m + (1 - m) / g[c], 1 / g[c]);
            b[n * 3 * hw + c * hw + i] = static_cast<T>(px[c * hw] * inv);
          }
        }
    } else {
      s.inverse(a, b);
    }
    std::swap(a, b);
  }
  raw = std::move(a);
}

template void unprocess<float>(IspPipelineT<float>&, const TensorT<float>&, TensorT<float>&, const UnprocessOptions&);
template void unprocess<double>(IspPipelineT<double>&, const TensorT<double>&, TensorT<double>&, const UnprocessOptions&);

nlohmann::json brooks_random_isp(Rng& rng, CfaPattern cfa) {
  // XYZ → camera matrices of 4 cameras (unprocess.py, random_ccm).
  static const double xyz2cams[4][9] = {
      {1.0234, -0.2969, -0.2266, -0.5625, 1.6328, -0.0469, -0.0703, 0.2188, 0.6406},
      {0.4913, -0.0541, -0.0202, -0.613, 1.3513, 0.2906, -0.1564, 0.2151, 0.7183},
      {0.838, -0.263, -0.0639, -0.2887, 1.0725, 0.2496, -0.0627, 0.1427, 0.5438},
      {0.6596, -0.2079, -0.0562, -0.4782, 1.3016, 0.1933, -0.097, 0.1581, 0.5181}};
  Eigen::Matrix3d xyz2cam = Eigen::Matrix3d::Zero();
  double total = 0;
  for (const auto& m : xyz2cams) {
    const double w = rng.uniform_d(1e-8, 1e8);
    xyz2cam += w * Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(m);
    total += w;
  }
  xyz2cam /= total;
  Eigen::Matrix3d rgb2xyz;
  rgb2xyz << 0.4124564, 0.3575761, 0.1804375, 0.2126729, 0.7151522, 0.0721750, 0.0193339, 0.1191920, 0.9503041;
  Eigen::Matrix3d rgb2cam = xyz2cam * rgb2xyz;
  for (int r = 0; r < 3; ++r) rgb2cam.row(r) /= rgb2cam.row(r).sum();
  const Eigen::Matrix3d cam2rgb = rgb2cam.inverse();
  std::vector<std::vector<double>> ccm(3, std::vector<double>(3));
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) ccm[r][c] = cam2rgb(r, c);
  const double red = rng.uniform_d(1.9, 2.4), blue = rng.uniform_d(1.5, 1.9);
  return {{"cfa", to_string(cfa)},
          {"stages",
           {{{"stage", "white_balance"}, {"params", {{"gains", {red, 1.0, blue}}}}},
            {{"stage", "demosaic"}, {"params", {{"method", "bilinear"}}}},
            {{"stage", "color_matrix"}, {"params", {{"matrix", ccm}}}},
            {{"stage", "tone_curve"}, {"params", {{"kind", "smoothstep"}}}},
            {{"stage", "srgb"}}}}};
}

std::pair<double, double> brooks_random_noise(Rng& rng) {
  const double log_shot = rng.uniform_d(std::log(1e-4), std::log(0.012));
  std::normal_distribution<double> nd(2.18 * log_shot + 1.20, 0.26);
  return {std::exp(log_shot), std::exp(nd(rng.engine()))};
}

}  // namespace invgfx
