// Implementation of app/nets/scene_decoder.h.
#include "app/nets/scene_decoder.h"

#include "core/activations.h"
#include "core/conv2d.h"
#include "core/init.h"
#include "core/linear.h"
#include "core/reshape.h"
#include "core/sequential.h"
#include "core/upsample.h"
#include "render/regularizers.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace invgfx {

namespace {

// Channel plan of the texture decoder: 64 channels on the 4×4 grid, halved per ×2 block down to 8,
// hidden blocks up to T/2 and the output conv at T (for T = 128: ≈ 7 M multiply-adds per image).
constexpr int kTextureBaseChannels = 64, kTextureMinChannels = 8, kTextureGrid = 4;
constexpr double kLeakySlope = 0.2;

template <class T>
T sigmoid(T x) {
  return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
}

double logit(double p) { return std::log(p / (1 - p)); }

// Names every parameter of `node` "<head>.<name>" and puts it in `group`.
template <class T>
void label(NodeT<T>& node, const std::string& head, const std::string& group) {
  node.visit_parameters([&](ParameterT<T>& p) {
    p.name = head + "." + p.name;
    p.group = group;
  });
}

// The last layer of a head: weights scaled down so the head starts near its bias (the sensible
// scene), bias zero unless the head sets it.
template <class T>
void scale_last(ParameterT<T>& weight, ParameterT<T>& bias, double scale) {
  for (T& v : weight.value) v = static_cast<T>(v * scale);
  bias.value.zero();
}

template <class T>
void check_grad(const TensorT<T>& g, const TensorT<T>& v, const char* what, size_t b) {
  if (g.numel() != v.numel())
    throw std::invalid_argument(std::string("SceneDecoder::backward: dL/d") + what + " of scene " + std::to_string(b) +
                                " is " + g.shape().str() + ", the scene's is " + v.shape().str());
}

}  // namespace

template <class T>
struct SceneDecoderT<T>::Impl {
  SceneDecoderOptions opt;
  int64_t V = 0;
  TensorT<T> template_positions;     // V×3
  std::vector<int32_t> mirror;       // symmetric shape: mirror vertex of each vertex
  TensorT<T> fixed_texture;          // learn_texture false: the initial texture (or colours)

  // Heads (null when the head is off). The texture head is one Sequential (fc → … → out conv).
  std::unique_ptr<LinearT<T>> colors, light, camera, background;
  std::unique_ptr<SequentialT<T>> shape, texture;

  // Forward results each backward needs: the heads' pre-activations and their bounded outputs.
  TensorT<T> shape_u, shape_t;       // B×3V, t = tanh(u)
  TensorT<T> tex_z, tex_s;           // B×3×T×T, s = sigmoid(z)
  TensorT<T> col_u, col_s;           // B×3V
  TensorT<T> light_u, light_t;       // B×L, t = tanh (SH) or the activation per entry (ambient+dir)
  TensorT<T> cam_u, cam_t;           // B×4
  TensorT<T> bg_u, bg_s;             // B×3
  TensorT<T> g;                      // gradient w.r.t. one head's pre-activation, reused
};

template <class T>
SceneDecoderT<T>::SceneDecoderT(const Mesh& tmpl, const SceneDecoderOptions& o) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.opt = o;
  auto bad = [](const std::string& what) { throw std::invalid_argument("SceneDecoder: " + what); };
  if (o.code_size < 1) bad("code_size must be ≥ 1, got " + std::to_string(o.code_size));
  if (o.shape_modes < 1) bad("shape_modes must be ≥ 1, got " + std::to_string(o.shape_modes));
  const bool tex_head = o.learn_texture && !o.per_vertex_color;
  if (tex_head && (o.texture_size < 8 || (o.texture_size & (o.texture_size - 1)) != 0))
    bad("texture_size must be a power of two ≥ 8, got " + std::to_string(o.texture_size));
  if (!(o.max_offset > 0)) bad("max_offset must be > 0");
  if (!(o.d0 > 0)) bad("d0 (camera distance) must be > 0");
  if (!(o.sh_base > 0) || !(o.sh_range >= 0)) bad("sh_base must be > 0 and sh_range ≥ 0");
  if (!(o.az_range >= 0) || !(o.el_range >= 0) || !(o.dist_range >= 0) || !(o.roll_range >= 0))
    bad("camera ranges must be ≥ 0");
  if (!(o.background0 > 0 && o.background0 < 1)) bad("background0 must be in (0, 1)");
  if (!(o.last_layer_scale >= 0)) bad("last_layer_scale must be ≥ 0");
  if (tmpl.positions.rank() != 2 || tmpl.positions.dim(1) != 3 || tmpl.positions.dim(0) < 1)
    bad("the template's positions must be V×3 with V ≥ 1, got " + tmpl.positions.shape().str());
  m.V = tmpl.positions.dim(0);
  m.template_positions = tmpl.positions.template cast<T>();
  const int64_t Z = o.code_size, V = m.V;

  if (o.learn_shape) {
    if (o.symmetric) {
      // Tolerance relative to the template's size: OBJ files and float icospheres are symmetric only
      // up to rounding.
      T extent = 0;
      for (T v : m.template_positions) extent = std::max(extent, std::abs(v));
      MeshRegularizerT<T> reg(tmpl.faces, V);
      try {
        reg.set_mirror(m.template_positions, std::max(T(1e-6), T(1e-4) * extent));
      } catch (const std::invalid_argument& e) {
        bad(std::string("symmetric shape needs a template symmetric under x → −x (") + e.what() +
            "); set symmetric to false for this template");
      }
      m.mirror = reg.mirror();
    }
    m.shape = std::make_unique<SequentialT<T>>("shape");
    // No bias on the modes: W₂b₁ would only repeat b₂.
    m.shape->template emplace<LinearT<T>>("modes", Z, int64_t{o.shape_modes}, false);
    auto& out = m.shape->template emplace<LinearT<T>>("fc", int64_t{o.shape_modes}, 3 * V);
    init_default(*m.shape, o.seed + 1);
    scale_last(out.weight(), out.bias(), o.last_layer_scale);
    label<T>(*m.shape, "shape", group::kShape);
  }

  if (o.learn_texture && o.per_vertex_color) {
    m.colors = std::make_unique<LinearT<T>>(Z, 3 * V);
    init_default(*m.colors, o.seed + 2);
    scale_last(m.colors->weight(), m.colors->bias(), o.last_layer_scale);  // sigmoid(0) = mid-grey
    label<T>(*m.colors, "colors.fc", group::kTexture);
  } else if (tex_head) {
    auto seq = std::make_unique<SequentialT<T>>("texture");
    int64_t c = kTextureBaseChannels;
    seq->template emplace<LinearT<T>>("fc", Z, c * kTextureGrid * kTextureGrid);
    seq->template emplace<ReshapeT<T>>("grid", c, kTextureGrid, kTextureGrid);
    seq->template emplace<LeakyReLUT<T>>("act0", kLeakySlope);
    int block = 1;
    for (int s = kTextureGrid; s < o.texture_size / 2; s *= 2, ++block) {
      const int64_t c_out = std::max<int64_t>(kTextureMinChannels, c / 2);
      const std::string b = std::to_string(block);
      seq->template emplace<UpsampleT<T>>("up" + b, UpsampleOptions{2, UpsampleMode::kNearest});
      seq->template emplace<Conv2dT<T>>("conv" + b, Conv2dOptions::square(c, c_out, 3, 1, 1));
      seq->template emplace<LeakyReLUT<T>>("act" + b, kLeakySlope);
      c = c_out;
    }
    // The last ×2 goes straight into the output conv: a hidden conv at full resolution would be half
    // the head's cost, and per-photo refinement fits the texels directly afterwards anyway.
    if (o.texture_size > kTextureGrid)
      seq->template emplace<UpsampleT<T>>("up" + std::to_string(block), UpsampleOptions{2, UpsampleMode::kNearest});
    auto& out = seq->template emplace<Conv2dT<T>>("out", Conv2dOptions::square(c, 3, 3, 1, 1));
    init_default(*seq, o.seed + 2);
    scale_last(out.weight(), out.bias(), o.last_layer_scale);  // sigmoid(0) = mid-grey
    label<T>(*seq, "texture", group::kTexture);
    m.texture = std::move(seq);
  } else {
    // No head: the template's albedo, or mid-grey when it has none.
    if (o.per_vertex_color) {
      if (tmpl.has_colors() && tmpl.colors.numel() == 3 * V) {
        m.fixed_texture = tmpl.colors.template cast<T>();
      } else {
        m.fixed_texture.resize({V, 3});
        m.fixed_texture.fill(T(0.5));
      }
    } else if (tmpl.has_texture()) {
      m.fixed_texture = tmpl.texture.template cast<T>();
    } else {
      m.fixed_texture.resize({3, o.texture_size, o.texture_size});
      m.fixed_texture.fill(T(0.5));
    }
  }

  const int64_t L = light_size(o.light);
  m.light = std::make_unique<LinearT<T>>(Z, L);
  init_default(*m.light, o.seed + 3);
  scale_last(m.light->weight(), m.light->bias(), o.last_layer_scale);
  if (o.light == LightModel::kSphericalHarmonics) {
    // Soft frontal light: besides the uniform L00, a little light from +z (towards the default camera,
    // render/camera.h orbit at az = 0) and from above (+y), as fractions of sh_base.
    if (o.sh_range > 0) {
      const double front = std::min(0.25 * o.sh_base, 0.9 * o.sh_range) / o.sh_range;
      const double above = std::min(0.1 * o.sh_base, 0.9 * o.sh_range) / o.sh_range;
      for (int c = 0; c < 3; ++c) {
        m.light->bias().value[c * 9 + 2] = static_cast<T>(std::atanh(front));  // L10 ∝ z
        m.light->bias().value[c * 9 + 1] = static_cast<T>(std::atanh(above));  // L1−1 ∝ y
      }
    }
  } else {
    // ambient 0.4, direction towards camera and above (shading.h's default), directional 0.6.
    const double dir[3] = {0.3, 0.5, 1.0};
    for (int k = 0; k < 3; ++k) {
      m.light->bias().value[k] = static_cast<T>(logit(0.4));
      m.light->bias().value[3 + k] = static_cast<T>(dir[k]);
      m.light->bias().value[6 + k] = static_cast<T>(logit(0.6));
    }
  }
  label<T>(*m.light, "light.fc", group::kLight);

  if (o.learn_camera) {
    m.camera = std::make_unique<LinearT<T>>(Z, 4);
    init_default(*m.camera, o.seed + 4);
    scale_last(m.camera->weight(), m.camera->bias(), o.last_layer_scale);
    label<T>(*m.camera, "camera.fc", group::kCamera);
  }

  m.background = std::make_unique<LinearT<T>>(Z, 3);
  init_default(*m.background, o.seed + 5);
  scale_last(m.background->weight(), m.background->bias(), o.last_layer_scale);
  m.background->bias().value.fill(static_cast<T>(logit(o.background0)));
  label<T>(*m.background, "background.fc", group::kBackground);
}

template <class T>
SceneDecoderT<T>::~SceneDecoderT() = default;

template <class T>
const SceneDecoderOptions& SceneDecoderT<T>::options() const {
  return impl_->opt;
}

template <class T>
void SceneDecoderT<T>::forward(const TensorT<T>& code, std::vector<SceneT<T>>& scenes) {
  Impl& m = *impl_;
  const SceneDecoderOptions& o = m.opt;
  if (code.rank() != 2 || code.dim(1) != o.code_size)
    throw std::invalid_argument("SceneDecoder::forward: code must be B×" + std::to_string(o.code_size) + ", got " +
                                code.shape().str());
  const int64_t B = code.dim(0), V = m.V;
  scenes.resize(static_cast<size_t>(B));

  // Shape: o = max_offset·tanh(u), symmetrised as ½(o_i + M o_m(i)).
  for (int64_t b = 0; b < B; ++b) scenes[b].positions.resize({V, 3});
  if (m.shape) {
    m.shape->forward(code, m.shape_u);
    m.shape_t.resize(m.shape_u.shape());
    for (int64_t i = 0; i < m.shape_u.numel(); ++i) m.shape_t[i] = std::tanh(m.shape_u[i]);
    const T s = static_cast<T>(o.max_offset);
    for (int64_t b = 0; b < B; ++b) {
      const T* t = m.shape_t.data() + b * 3 * V;
      T* p = scenes[b].positions.data();
      for (int64_t i = 0; i < V; ++i) {
        T off[3] = {s * t[3 * i], s * t[3 * i + 1], s * t[3 * i + 2]};
        if (!m.mirror.empty()) {
          const int64_t j = m.mirror[static_cast<size_t>(i)];
          off[0] = T(0.5) * (off[0] - s * t[3 * j]);
          off[1] = T(0.5) * (off[1] + s * t[3 * j + 1]);
          off[2] = T(0.5) * (off[2] + s * t[3 * j + 2]);
        }
        for (int k = 0; k < 3; ++k) p[3 * i + k] = m.template_positions[3 * i + k] + off[k];
      }
    }
  } else {
    for (int64_t b = 0; b < B; ++b) scenes[b].positions.copy_from(m.template_positions);
  }

  // Albedo: texture decoder or per-vertex colours, both through a sigmoid; or fixed.
  if (m.texture) {
    m.texture->forward(code, m.tex_z);
    m.tex_s.resize(m.tex_z.shape());
    for (int64_t i = 0; i < m.tex_z.numel(); ++i) m.tex_s[i] = sigmoid(m.tex_z[i]);
    const int64_t n = 3 * int64_t(o.texture_size) * o.texture_size;
    for (int64_t b = 0; b < B; ++b) {
      scenes[b].texture.resize({3, o.texture_size, o.texture_size});
      std::copy(m.tex_s.data() + b * n, m.tex_s.data() + (b + 1) * n, scenes[b].texture.data());
      if (!scenes[b].colors.empty()) scenes[b].colors = TensorT<T>();
    }
  } else if (m.colors) {
    m.colors->forward(code, m.col_u);
    m.col_s.resize(m.col_u.shape());
    for (int64_t i = 0; i < m.col_u.numel(); ++i) m.col_s[i] = sigmoid(m.col_u[i]);
    for (int64_t b = 0; b < B; ++b) {
      scenes[b].colors.resize({V, 3});
      std::copy(m.col_s.data() + b * 3 * V, m.col_s.data() + (b + 1) * 3 * V, scenes[b].colors.data());
      if (!scenes[b].texture.empty()) scenes[b].texture = TensorT<T>();
    }
  } else {
    for (int64_t b = 0; b < B; ++b) {
      if (o.per_vertex_color) {
        scenes[b].colors.copy_from(m.fixed_texture);
        if (!scenes[b].texture.empty()) scenes[b].texture = TensorT<T>();
      } else {
        scenes[b].texture.copy_from(m.fixed_texture);
        if (!scenes[b].colors.empty()) scenes[b].colors = TensorT<T>();
      }
    }
  }

  // Light.
  const int64_t L = light_size(o.light);
  m.light->forward(code, m.light_u);
  m.light_t.resize(m.light_u.shape());
  for (int64_t b = 0; b < B; ++b) {
    scenes[b].light.resize({L});
    const T* u = m.light_u.data() + b * L;
    T* t = m.light_t.data() + b * L;
    T* out = scenes[b].light.data();
    if (o.light == LightModel::kSphericalHarmonics) {
      for (int64_t k = 0; k < L; ++k) {
        t[k] = std::tanh(u[k]);
        const double base = k % 9 == 0 ? o.sh_base : 0.0;
        out[k] = static_cast<T>(base) + static_cast<T>(o.sh_range) * t[k];
      }
    } else {
      for (int64_t k = 0; k < L; ++k) {
        t[k] = (k >= 3 && k < 6) ? u[k] : sigmoid(u[k]);
        out[k] = t[k];
      }
    }
  }

  // Camera.
  if (m.camera) {
    m.camera->forward(code, m.cam_u);
    m.cam_t.resize(m.cam_u.shape());
    for (int64_t i = 0; i < m.cam_u.numel(); ++i) m.cam_t[i] = std::tanh(m.cam_u[i]);
  }
  for (int64_t b = 0; b < B; ++b) {
    scenes[b].camera.resize({4});
    T* c = scenes[b].camera.data();
    if (m.camera) {
      const T* t = m.cam_t.data() + b * 4;
      c[0] = static_cast<T>(o.az0) + static_cast<T>(o.az_range) * t[0];
      c[1] = static_cast<T>(o.el0) + static_cast<T>(o.el_range) * t[1];
      c[2] = static_cast<T>(o.d0) * std::exp(static_cast<T>(o.dist_range) * t[2]);
      c[3] = static_cast<T>(o.roll_range) * t[3];
    } else {
      c[0] = static_cast<T>(o.az0), c[1] = static_cast<T>(o.el0), c[2] = static_cast<T>(o.d0), c[3] = T(0);
    }
  }

  // Background.
  m.background->forward(code, m.bg_u);
  m.bg_s.resize(m.bg_u.shape());
  for (int64_t i = 0; i < m.bg_u.numel(); ++i) m.bg_s[i] = sigmoid(m.bg_u[i]);
  for (int64_t b = 0; b < B; ++b) {
    scenes[b].background.resize({3});
    std::copy(m.bg_s.data() + b * 3, m.bg_s.data() + b * 3 + 3, scenes[b].background.data());
  }
}

template <class T>
void SceneDecoderT<T>::backward(const TensorT<T>& code, const std::vector<SceneT<T>>& scenes,
                                const std::vector<SceneT<T>>& dL_dscenes, TensorT<T>* dL_dcode) {
  Impl& m = *impl_;
  const SceneDecoderOptions& o = m.opt;
  const int64_t B = code.dim(0), V = m.V;
  if (scenes.size() != static_cast<size_t>(B) || dL_dscenes.size() != static_cast<size_t>(B))
    throw std::invalid_argument("SceneDecoder::backward: " + std::to_string(B) + " codes but " +
                                std::to_string(scenes.size()) + " scenes and " + std::to_string(dL_dscenes.size()) +
                                " gradients");
  if (dL_dcode && dL_dcode->shape() != code.shape()) {
    dL_dcode->resize(code.shape());
    dL_dcode->zero();
  }
  // An empty gradient tensor means no gradient reaches that part of the scene.
  auto any = [&](TensorT<T> SceneT<T>::*field) {
    for (const SceneT<T>& g : dL_dscenes)
      if (!(g.*field).empty()) return true;
    return false;
  };

  if (m.shape && any(&SceneT<T>::positions)) {
    m.g.resize(m.shape_u.shape());
    const T s = static_cast<T>(o.max_offset);
    for (int64_t b = 0; b < B; ++b) {
      const TensorT<T>& gp = dL_dscenes[b].positions;
      T* g = m.g.data() + b * 3 * V;
      if (gp.empty()) {
        std::fill(g, g + 3 * V, T(0));
        continue;
      }
      check_grad(gp, scenes[b].positions, "positions", static_cast<size_t>(b));
      const T* t = m.shape_t.data() + b * 3 * V;
      for (int64_t i = 0; i < V; ++i) {
        // The symmetrisation is its own adjoint: dL/do_i = ½(g_i + M g_m(i)), m an involution.
        T d[3] = {gp[3 * i], gp[3 * i + 1], gp[3 * i + 2]};
        if (!m.mirror.empty()) {
          const int64_t j = m.mirror[static_cast<size_t>(i)];
          d[0] = T(0.5) * (d[0] - gp[3 * j]);
          d[1] = T(0.5) * (d[1] + gp[3 * j + 1]);
          d[2] = T(0.5) * (d[2] + gp[3 * j + 2]);
        }
        for (int k = 0; k < 3; ++k) g[3 * i + k] = d[k] * s * (T(1) - t[3 * i + k] * t[3 * i + k]);
      }
    }
    m.shape->backward(code, m.shape_u, m.g, dL_dcode);
  }

  if (m.texture && any(&SceneT<T>::texture)) {
    m.g.resize(m.tex_z.shape());
    const int64_t n = 3 * int64_t(o.texture_size) * o.texture_size;
    for (int64_t b = 0; b < B; ++b) {
      const TensorT<T>& gt = dL_dscenes[b].texture;
      T* g = m.g.data() + b * n;
      if (gt.empty()) {
        std::fill(g, g + n, T(0));
        continue;
      }
      check_grad(gt, scenes[b].texture, "texture", static_cast<size_t>(b));
      const T* s = m.tex_s.data() + b * n;
      for (int64_t i = 0; i < n; ++i) g[i] = gt[i] * s[i] * (T(1) - s[i]);
    }
    m.texture->backward(code, m.tex_z, m.g, dL_dcode);
  }

  if (m.colors && any(&SceneT<T>::colors)) {
    m.g.resize(m.col_u.shape());
    for (int64_t b = 0; b < B; ++b) {
      const TensorT<T>& gc = dL_dscenes[b].colors;
      T* g = m.g.data() + b * 3 * V;
      if (gc.empty()) {
        std::fill(g, g + 3 * V, T(0));
        continue;
      }
      check_grad(gc, scenes[b].colors, "colors", static_cast<size_t>(b));
      const T* s = m.col_s.data() + b * 3 * V;
      for (int64_t i = 0; i < 3 * V; ++i) g[i] = gc[i] * s[i] * (T(1) - s[i]);
    }
    m.colors->backward(code, m.col_u, m.g, dL_dcode);
  }

  if (any(&SceneT<T>::light)) {
    const int64_t L = light_size(o.light);
    m.g.resize(m.light_u.shape());
    for (int64_t b = 0; b < B; ++b) {
      const TensorT<T>& gl = dL_dscenes[b].light;
      T* g = m.g.data() + b * L;
      if (gl.empty()) {
        std::fill(g, g + L, T(0));
        continue;
      }
      check_grad(gl, scenes[b].light, "light", static_cast<size_t>(b));
      const T* t = m.light_t.data() + b * L;
      for (int64_t k = 0; k < L; ++k) {
        if (o.light == LightModel::kSphericalHarmonics)
          g[k] = gl[k] * static_cast<T>(o.sh_range) * (T(1) - t[k] * t[k]);
        else
          g[k] = (k >= 3 && k < 6) ? gl[k] : gl[k] * t[k] * (T(1) - t[k]);
      }
    }
    m.light->backward(code, m.light_u, m.g, dL_dcode);
  }

  if (m.camera && any(&SceneT<T>::camera)) {
    m.g.resize(m.cam_u.shape());
    for (int64_t b = 0; b < B; ++b) {
      const TensorT<T>& gc = dL_dscenes[b].camera;
      T* g = m.g.data() + b * 4;
      if (gc.empty()) {
        std::fill(g, g + 4, T(0));
        continue;
      }
      check_grad(gc, scenes[b].camera, "camera", static_cast<size_t>(b));
      const T* t = m.cam_t.data() + b * 4;
      const T* c = scenes[b].camera.data();
      g[0] = gc[0] * static_cast<T>(o.az_range) * (T(1) - t[0] * t[0]);
      g[1] = gc[1] * static_cast<T>(o.el_range) * (T(1) - t[1] * t[1]);
      g[2] = gc[2] * c[2] * static_cast<T>(o.dist_range) * (T(1) - t[2] * t[2]);
      g[3] = gc[3] * static_cast<T>(o.roll_range) * (T(1) - t[3] * t[3]);
    }
    m.camera->backward(code, m.cam_u, m.g, dL_dcode);
  }

  if (any(&SceneT<T>::background)) {
    m.g.resize(m.bg_u.shape());
    for (int64_t b = 0; b < B; ++b) {
      const TensorT<T>& gb = dL_dscenes[b].background;
      T* g = m.g.data() + b * 3;
      if (gb.empty()) {
        std::fill(g, g + 3, T(0));
        continue;
      }
      check_grad(gb, scenes[b].background, "background", static_cast<size_t>(b));
      const T* s = m.bg_s.data() + b * 3;
      for (int k = 0; k < 3; ++k) g[k] = gb[k] * s[k] * (T(1) - s[k]);
    }
    m.background->backward(code, m.bg_u, m.g, dL_dcode);
  }
}

template <class T>
void SceneDecoderT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  Impl& m = *impl_;
  if (m.shape) m.shape->visit_parameters(visit);
  if (m.texture) m.texture->visit_parameters(visit);
  if (m.colors) m.colors->visit_parameters(visit);
  m.light->visit_parameters(visit);
  if (m.camera) m.camera->visit_parameters(visit);
  m.background->visit_parameters(visit);
}

template class SceneDecoderT<float>;
template class SceneDecoderT<double>;

}  // namespace invgfx
