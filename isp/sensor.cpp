// Implementation of isp/sensor.h.
#include "isp/sensor.h"

#include <cmath>
#include <optional>
#include <random>

namespace invgfx {
namespace {

constexpr double kMinVariance = 1e-12;

inline uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Standard normal for pixel `index` of (seed, frame), by Box-Muller on two hashed uniforms.
inline double hashed_normal(uint64_t seed, uint64_t frame, uint64_t index) {
  const uint64_t h1 = splitmix64(seed * 0x9e3779b97f4a7c15ull ^ splitmix64(frame) ^ (index * 2));
  const uint64_t h2 = splitmix64(h1 ^ (index * 2 + 1));
  const double u1 = (static_cast<double>(h1 >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
  const double u2 = static_cast<double>(h2 >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

const char* noise_name(SensorNoise n) {
  return n == SensorNoise::None ? "none" : n == SensorNoise::Gaussian ? "gaussian" : "poisson";
}

}  // namespace

template <class T>
SensorT<T>::SensorT(const SensorParams& p) {
  noise_.requires_grad = false;  // noise levels are calibration, not fitted, unless asked
  set_params(p);
}

template <class T>
SensorParams SensorT<T>::params() const {
  SensorParams p = p_;
  p.exposure = static_cast<double>(exposure_.value[0]);
  p.shot = static_cast<double>(noise_.value[0]);
  p.read = static_cast<double>(noise_.value[1]);
  return p;
}

template <class T>
void SensorT<T>::set_params(const SensorParams& p) {
  const std::string stage = "isp stage 'sensor'";
  if (!std::isfinite(p.exposure) || std::abs(p.exposure) > 16)
    throw std::invalid_argument(stage + ": 'exposure' must be within [-16, 16] stops");
  if (!(p.shot >= 0 && p.shot <= 1) || !(p.read >= 0 && p.read <= 1))
    throw std::invalid_argument(stage + ": noise variances 'shot' and 'read' must be within [0, 1]");
  if (!(p.white > 0 && p.white <= 1e6)) throw std::invalid_argument(stage + ": 'white' must be within (0, 1e6]");
  p_ = p;
  exposure_.value[0] = static_cast<T>(p.exposure);
  noise_.value[0] = static_cast<T>(p.shot);
  noise_.value[1] = static_cast<T>(p.read);
}

template <class T>
void SensorT<T>::set_identity() {
  SensorParams p;
  p.mosaic = p_.mosaic;
  p.seed = p_.seed;
  set_params(p);
}

template <class T>
nlohmann::json SensorT<T>::params_to_json() const {
  const auto p = params();
  return {{"exposure", p.exposure}, {"mosaic", p.mosaic}, {"noise", noise_name(p.noise)}, {"shot", p.shot},
          {"read", p.read}, {"clip", p.clip}, {"white", p.white},
          {"clip_gradient", p.clip_gradient == ClipGradient::Zero ? "zero" : "pass"}, {"seed", p.seed}};
}

template <class T>
std::vector<FieldSpec> SensorT<T>::field_specs() const {
  return {FieldSpec::real("exposure", -16, 16, "stops").learnable(),
          FieldSpec::boolean("mosaic").structural(),
          FieldSpec::choice("noise", {"none", "gaussian", "poisson"}),
          FieldSpec::real("shot", 0, 1, "white").learnable(),
          FieldSpec::real("read", 0, 1, "white²").learnable(),
          FieldSpec::boolean("clip"),
          FieldSpec::real("white", 1e-9, 1e6, "output units").log_scale(),
          FieldSpec::choice("clip_gradient", {"zero", "pass"}),
          FieldSpec::integer("seed", 0, 9007199254740992.0)};
}

template <class T>
void SensorT<T>::params_from_json(const nlohmann::json& j) {
  using namespace isp_detail;
  check_keys(j, name(), {"exposure", "mosaic", "noise", "shot", "read", "clip", "white", "clip_gradient", "seed"});
  auto p = params();
  if (j.contains("exposure")) p.exposure = read_number(j, name(), "exposure", -16, 16);
  if (j.contains("mosaic")) p.mosaic = read_bool(j, name(), "mosaic");
  if (j.contains("noise")) {
    const auto s = read_string(j, name(), "noise");
    if (s == "none") p.noise = SensorNoise::None;
    else if (s == "gaussian") p.noise = SensorNoise::Gaussian;
    else if (s == "poisson") p.noise = SensorNoise::Poisson;
    else throw std::invalid_argument("isp stage 'sensor': unknown noise '" + s + "' (expected none, gaussian or poisson)");
  }
  if (j.contains("shot")) p.shot = read_number(j, name(), "shot", 0, 1);
  if (j.contains("read")) p.read = read_number(j, name(), "read", 0, 1);
  if (j.contains("clip")) p.clip = read_bool(j, name(), "clip");
  if (j.contains("white")) p.white = read_number(j, name(), "white", 1e-9, 1e6);
  if (j.contains("clip_gradient")) {
    const auto s = read_string(j, name(), "clip_gradient");
    if (s == "zero") p.clip_gradient = ClipGradient::Zero;
    else if (s == "pass") p.clip_gradient = ClipGradient::Pass;
    else throw std::invalid_argument("isp stage 'sensor': unknown clip_gradient '" + s + "' (expected zero or pass)");
  }
  if (j.contains("seed")) p.seed = static_cast<uint64_t>(read_number(j, name(), "seed", 0, 9007199254740992.0));
  set_params(p);
}

template <class T>
void SensorT<T>::forward_enabled(const TensorT<T>& x, TensorT<T>& y) {
  const Dims4 d = isp_detail::image_dims(x.shape(), name(), false, true);
  const int64_t oc = p_.mosaic ? 1 : 3, hw = d.h * d.w;
  if (x.rank() == 3) y.resize(Shape{oc, d.h, d.w});
  else y.resize(Shape{d.n, oc, d.h, d.w});
  const T gain = std::exp2(exposure_.value[0]);
  const T a = noise_.value[0], b = noise_.value[1];
  if (p_.noise != SensorNoise::None) eps_.resize(y.shape());
  pre_clip_.resize(y.shape());
  const CfaPattern cfa = this->cfa_;
  const int64_t rows = d.n * oc * d.h;
  const int64_t first_row = first_item_ * oc * d.h;  // noise draws: as rows of a batch from first_item_
#pragma omp parallel for schedule(static) if (rows * d.w >= isp_detail::kOmpMinWork)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = r % d.h, c = (r / d.h) % oc, n = r / (d.h * oc);
    // Seeding a Mersenne twister is costly: only the Poisson mode needs one (per row, for determinism).
    std::optional<std::mt19937_64> engine;
    if (p_.noise == SensorNoise::Poisson)
      engine.emplace(splitmix64(p_.seed ^ splitmix64(frame_ * 0x632be59bd9b4e019ull + static_cast<uint64_t>(first_row + r))));
    for (int64_t j = 0; j < d.w; ++j) {
      const int64_t colour = p_.mosaic ? cfa_colour_at(cfa, static_cast<int>(i), static_cast<int>(j)) : c;
      const T m = gain * x[(n * 3 + colour) * hw + i * d.w + j];
      const int64_t o = r * d.w + j;
      T v = m;
      if (p_.noise == SensorNoise::Gaussian) {
        const T e = static_cast<T>(hashed_normal(p_.seed, frame_, static_cast<uint64_t>(first_row * d.w + o)));
        const T var = a * m + b;
        eps_[o] = e;
        if (var > T(kMinVariance)) v = m + std::sqrt(var) * e;
      } else if (p_.noise == SensorNoise::Poisson) {
        T s = m;
        if (a > T(0)) {
          std::poisson_distribution<int64_t> pois(std::max(static_cast<double>(m), 0.0) / static_cast<double>(a));
          s = a * static_cast<T>(pois(*engine));
        }
        s += std::sqrt(b) * static_cast<T>(hashed_normal(p_.seed, frame_, static_cast<uint64_t>(first_row * d.w + o)));
        eps_[o] = s - m;
        v = s;
      }
      pre_clip_[o] = v;
      y[o] = p_.clip && v > T(p_.white) ? T(p_.white) : v;
    }
  }
}

template <class T>
void SensorT<T>::backward_enabled(const TensorT<T>& x, const TensorT<T>& /*y*/, const TensorT<T>& dL_dy,
                                  TensorT<T>* dL_dx) {
  const Dims4 d = as4d(x.shape());
  const int64_t oc = p_.mosaic ? 1 : 3, hw = d.h * d.w;
  const T gain = std::exp2(exposure_.value[0]);
  const T a = noise_.value[0], b = noise_.value[1];
  const bool gauss = p_.noise == SensorNoise::Gaussian;
  const bool want_e = exposure_.requires_grad, want_n = noise_.requires_grad && gauss;
  const CfaPattern cfa = this->cfa_;
  const int64_t rows = d.n * oc * d.h;
  double g_all[3] = {};  // ∂L/∂exposure, ∂L/∂a, ∂L/∂b
  isp_detail::reduce_blocks(rows, 3, rows * d.w >= isp_detail::kOmpMinWork, g_all, [&](int64_t r0, int64_t r1, double* l) {
    double ge = 0, ga = 0, gb = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i = r % d.h, c = (r / d.h) % oc, n = r / (d.h * oc);
      for (int64_t j = 0; j < d.w; ++j) {
        const int64_t o = r * d.w + j;
        const bool clipped = p_.clip && pre_clip_[o] > T(p_.white);
        if (clipped && p_.clip_gradient == ClipGradient::Zero) continue;
        const int64_t colour = p_.mosaic ? cfa_colour_at(cfa, static_cast<int>(i), static_cast<int>(j)) : c;
        const int64_t xi = (n * 3 + colour) * hw + i * d.w + j;
        const T m = gain * x[xi];
        T dn_dm = 1;
        const T g = dL_dy[o];
        if (gauss) {
          const T var = a * m + b;
          if (var > T(kMinVariance)) {
            const T k = eps_[o] / (T(2) * std::sqrt(var));  // ∂σ/∂var · ε
            dn_dm += a * k;
            ga += static_cast<double>(g * m * k);
            gb += static_cast<double>(g * k);
          }
        }
        const T dm = g * dn_dm;  // ∂L/∂m
        if (dL_dx) (*dL_dx)[xi] += dm * gain;
        if (want_e) ge += static_cast<double>(dm * m) * 0.6931471805599453;  // ∂m/∂e = ln2 · m
      }
    }
    l[0] = ge, l[1] = ga, l[2] = gb;
  });
  const double ge = g_all[0], ga = g_all[1], gb = g_all[2];
  if (want_e) {
    exposure_.grad.resize(exposure_.value.shape());
    exposure_.grad[0] += static_cast<T>(ge);
  }
  if (want_n) {
    noise_.grad.resize(noise_.value.shape());
    noise_.grad[0] += static_cast<T>(ga);
    noise_.grad[1] += static_cast<T>(gb);
  }
}

template class SensorT<float>;
template class SensorT<double>;

}  // namespace invgfx
