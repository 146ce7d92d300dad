// SceneRendererT: the scene tensors are copied into the render nodes' parameters each forward
// (camera orbit, shading light, texture texels) and their gradients read back into the SceneT
// gradient in backward. Hard mode rasterizes the template's own faces and interpolates UVs through
// their separate index (the result equals drawing the seam-split mesh, with fewer vertices and no
// seam edges for the antialiasing pass); soft mode shades per split vertex (Gouraud) and sums the
// split vertices' gradients back onto the template's.
#include "render/scene_render.h"

#include "render/antialias.h"
#include "render/covered_pixels.h"
#include "render/camera.h"
#include "render/interpolate.h"
#include "render/raster_topology.h"
#include "render/render_extras.h"
#include "render/scene_light.h"
#include "render/soft_rasterize.h"
#include "render/texture.h"
#include "render/texture_lod.h"
#include "render/vertex_normals.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace {

template <class T>
void check_shape(const TensorT<T>& t, const Shape& want, const char* field) {
  if (t.shape() != want)
    throw std::invalid_argument(std::string("SceneRenderer: scene.") + field + " must be " + want.str() + ", got " +
                                t.shape().str());
}

}  // namespace

template <class T>
struct SceneRendererT<T>::Impl {
  RenderOptions opt;

  // Template topology. The hard mode draws the template as it is (UVs through their own index);
  // the soft mode needs one index per vertex for its per-vertex colours, so it draws the seam-split
  // copy and sums the split vertices' gradients back through `source`.
  MeshT<T> tmpl;
  int64_t V = 0;
  std::vector<int32_t> uv_faces;   // F×3 into uvs
  std::vector<int32_t> aa_faces;   // faces welded by template position (antialias silhouette test)
  std::vector<int32_t> split_faces;
  std::vector<int32_t> source;     // split vertex → template vertex
  int64_t Vs = 0;
  TensorT<T> split_uv;             // 2×1×Vs

  CameraT<T> camera;
  VertexNormalsT<T> vnormals;
  RasterizerT<T> rz;
  InterpolatorT<T> ip_attr, ip_uv;
  TextureT<T> texture{3, 1, 1};
  ShadingT<T> shading;
  AntialiaserT<T> aa;
  SoftRasterizerT<T> soft;

  // Forward state (reused buffers).
  RasterMode last_mode = RasterMode::kHard;
  bool use_colors = false;
  TensorT<T> normals, clip;          // V×3, V×4
  RasterOutputT<T> r;
  TensorT<T> uv_img, n_img, albedo, composite, aa_out;
  CoveredPixels covered;             // hard mode
  TensorT<T> uv_c, n_c, albedo_c, shaded_c;  // compact C×rows×S over `covered`
  TextureLodT<T> tex_lod;
  TensorT<T> lod_img, lod_c, d_lod_c;         // per-pixel texture level of detail (mip_levels ≠ 1)
  TensorT<T> clip_s, normals_s, albedo_s, shaded_s, colors4, soft_out;
  // Backward scratch.
  TensorT<T> d_out, d_comp, d_shaded, d_albedo, d_n_c, d_uv_c, d_full, d_rast, d_normals, d_clip;
  TensorT<T> d_clip_s, d_colors4, d_normals_s;

  // Display extras, computed on demand from the last forward.
  mutable bool extras_valid = false;
  mutable RenderExtrasT<T> extras;

  Impl(const Mesh& m, const RenderOptions& o) : opt(o) {
    opt.check();
    m.validate("scene template");
    tmpl = m.cast<T>();
    V = tmpl.num_vertices();
    if (V == 0 || tmpl.num_faces() == 0) throw std::invalid_argument("SceneRenderer: the template has no faces");
    if (tmpl.has_uvs()) {
      uv_faces = tmpl.uv_faces.empty() ? tmpl.faces : tmpl.uv_faces;
      const MeshT<T> split = split_uv_seams(tmpl, &source);
      split_faces = split.faces;
      Vs = split.num_vertices();
      split_uv.resize({2, 1, Vs});
      for (int64_t i = 0; i < Vs; ++i) {
        split_uv[i] = split.uvs.at(i, 0);
        split_uv[Vs + i] = split.uvs.at(i, 1);
      }
    } else {
      split_faces = tmpl.faces;
      Vs = V;
      source.resize(static_cast<size_t>(V));
      for (int64_t i = 0; i < V; ++i) source[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    }
    aa_faces = weld_faces_by_position(tmpl.positions, tmpl.faces);
    vnormals.set_faces(tmpl.faces);
    camera.focal.requires_grad = false;
    camera.principal.requires_grad = false;
    camera.target.requires_grad = false;
    apply_options();
  }

  void apply_options() {
    camera.set_orbit(T(0), T(0), T(3));  // back to the orbit parameterization (values come per forward)
    camera.set_intrinsics(CameraIntrinsics::from_vertical_fov(opt.fov_y, opt.size, opt.size));
    camera.ndc_y_up = true;  // NDC y = +1 is image row 0: upright in the C×H×W layout
    shading.options = shading_options(opt.light);
    texture.options.mip_levels = opt.mip_levels;
  }

  void check_scene(const SceneT<T>& s) {
    check_shape(s.positions, Shape{V, 3}, "positions");
    use_colors = !s.colors.empty();
    if (use_colors) {
      check_shape(s.colors, Shape{V, 3}, "colors");
    } else {
      if (!tmpl.has_uvs())
        throw std::invalid_argument("SceneRenderer: the template has no UVs, so scene.colors must be given");
      if (s.texture.rank() != 3 || s.texture.dim(0) != 3 || s.texture.dim(1) < 1 || s.texture.dim(2) < 1)
        throw std::invalid_argument("SceneRenderer: scene.texture must be 3×H×W, got " + s.texture.shape().str());
    }
    check_shape(s.light, Shape{light_size(opt.light)}, "light");
    if (s.camera.shape() != Shape{4} && s.camera.shape() != Shape{kPinholeCameraSize})
      throw std::invalid_argument("SceneRenderer: scene.camera must be [4] (orbit) or [10] (pinhole), got " +
                                  s.camera.shape().str());
    check_shape(s.background, Shape{3}, "background");
  }

  void set_parameters(const SceneT<T>& s) {
    if (s.camera.numel() == 4) {
      if (camera.parameterization() != PoseParameterization::kOrbit) apply_options();
      for (int i = 0; i < 4; ++i) camera.orbit.value[i] = s.camera[i];
    } else {
      // Pinhole: axis-angle R, t of cam_from_world, then fx, fy, cx, cy in px of this S×S image.
      camera.set_parameterization(PoseParameterization::kAxisAngle);
      for (int i = 0; i < 3; ++i) {
        camera.rotation.value[i] = s.camera[i];
        camera.translation.value[i] = s.camera[3 + i];
      }
      for (int i = 0; i < 2; ++i) {
        camera.focal.value[i] = s.camera[6 + i];
        camera.principal.value[i] = s.camera[8 + i];
      }
    }
    camera.focal.requires_grad = camera.principal.requires_grad = s.camera.numel() != 4;
    light_to_shading(s.light, opt.light, shading);
    if (!use_colors) texture.texels.value.copy_from(s.texture);
  }

  // Soft mode samples the texture at the vertices: one level of detail for all of them, one level
  // per doubling of texels per vertex, taking half the UV area as visible. (Hard mode sets a
  // per-pixel map from each pixel's uv footprint, render/texture_lod.h.)
  void choose_lod(const SceneT<T>& s, double samples) {
    texture.set_lod_map(nullptr);
    if (opt.mip_levels == 1 || use_colors) {
      texture.options.lod = 0;
      return;
    }
    const double texels = 0.5 * static_cast<double>(s.texture.dim(1) * s.texture.dim(2));
    texture.options.lod = std::max(0.0, 0.5 * std::log2(texels / std::max(1.0, samples)));
  }

  void forward(const SceneT<T>& s, TensorT<T>& rgb, TensorT<T>& alpha) {
    check_scene(s);
    set_parameters(s);
    extras_valid = false;
    last_mode = opt.mode;
    vnormals.forward(s.positions, normals);
    camera.forward(s.positions, clip);
    if (opt.mode == RasterMode::kHard)
      forward_hard(s, rgb, alpha);
    else
      forward_soft(s, rgb, alpha);
  }

  void forward_hard(const SceneT<T>& s, TensorT<T>& rgb, TensorT<T>& alpha) {
    const int S = opt.size;
    const int64_t P = int64_t(S) * S;
    rz.forward(clip, tmpl.faces, {S, S}, r);
    covered.gather(r.face, S);
    ip_attr.forward(normals, tmpl.faces, r, n_img);
    covered.to_compact(n_img, 3, n_c);
    if (use_colors) {
      ip_attr.forward(s.colors, tmpl.faces, r, albedo);
      covered.to_compact(albedo, 3, albedo_c);
    } else {
      ip_uv.forward(tmpl.uvs, uv_faces, r, uv_img);
      covered.to_compact(uv_img, 2, uv_c);
      texture.options.lod = 0;
      if (opt.mip_levels != 1) {
        tex_lod.forward(clip, tmpl.faces, tmpl.uvs, uv_faces, r, static_cast<int>(s.texture.dim(2)),
                        static_cast<int>(s.texture.dim(1)), lod_img);
        covered.to_compact(lod_img, 1, lod_c);
        texture.set_lod_map(&lod_c, &d_lod_c);
      } else {
        texture.set_lod_map(nullptr);
      }
      texture.forward(uv_c, albedo_c);
    }
    shading.forward({&albedo_c, &n_c}, {&shaded_c});
    // Composite over the background before antialiasing, so that silhouette pixels blend with it
    // (nvdiffrast's order); alpha rides along as a fourth channel and becomes fractional coverage.
    composite.resize({4, S, S});
    T* Cp = composite.data();
    for (int c = 0; c < 3; ++c) std::fill(Cp + c * P, Cp + (c + 1) * P, s.background[c]);
    std::fill(Cp + 3 * P, Cp + 4 * P, T(0));
    const int64_t n = covered.count(), N = covered.rows() * S;
    for (int64_t j = 0; j < n; ++j) {
      const int64_t i = covered.pixel(j);
      for (int c = 0; c < 3; ++c) Cp[c * P + i] = shaded_c[c * N + j];
      Cp[3 * P + i] = T(1);
    }
    aa.forward(composite, clip, aa_faces, r, aa_out);
    rgb.resize({3, S, S});
    alpha.resize({1, S, S});
    std::copy(aa_out.data(), aa_out.data() + 3 * P, rgb.data());
    std::copy(aa_out.data() + 3 * P, aa_out.data() + 4 * P, alpha.data());
  }

  SoftRasterizeOptions soft_options() const {
    SoftRasterizeOptions so;
    so.width = so.height = opt.size;
    so.sigma = opt.sigma;
    so.gamma = opt.gamma;
    so.background = 0;
    return so;
  }

  void forward_soft(const SceneT<T>& s, TensorT<T>& rgb, TensorT<T>& alpha) {
    const int S = opt.size;
    const int64_t P = int64_t(S) * S;
    // Split-vertex clip positions and normals (planes, for Shading).
    clip_s.resize({Vs, 4});
    normals_s.resize({3, 1, Vs});
    for (int64_t i = 0; i < Vs; ++i) {
      const int64_t v = source[static_cast<size_t>(i)];
      for (int k = 0; k < 4; ++k) clip_s[4 * i + k] = clip[4 * v + k];
      for (int c = 0; c < 3; ++c) normals_s[c * Vs + i] = normals[3 * v + c];
    }
    if (use_colors) {
      albedo_s.resize({3, 1, Vs});
      for (int64_t i = 0; i < Vs; ++i)
        for (int c = 0; c < 3; ++c) albedo_s[c * Vs + i] = s.colors[3 * source[static_cast<size_t>(i)] + c];
    } else {
      choose_lod(s, static_cast<double>(Vs));
      texture.forward(split_uv, albedo_s);
    }
    shading.forward({&albedo_s, &normals_s}, {&shaded_s});
    // Colour channels plus a constant 1: its aggregate is Σw_j/(Σw_j + w_b) = 1 − (background
    // weight), so a per-channel background is composited exactly as SoftRas eq. 6 would with bg.
    colors4.resize({Vs, 4});
    for (int64_t i = 0; i < Vs; ++i) {
      for (int c = 0; c < 3; ++c) colors4[4 * i + c] = shaded_s[c * Vs + i];
      colors4[4 * i + 3] = T(1);
    }
    soft.forward(clip_s, split_faces, colors4, soft_options(), soft_out);
    rgb.resize({3, S, S});
    alpha.resize({1, S, S});
    const T* O = soft_out.data();
    T* Y = rgb.data();
    for (int c = 0; c < 3; ++c) {
      const T b = s.background[c];
      for (int64_t i = 0; i < P; ++i) Y[c * P + i] = O[c * P + i] + b * (T(1) - O[3 * P + i]);
    }
    std::copy(O + 4 * P, O + 5 * P, alpha.data());
  }

  // Gradient fields of the scene's shapes, zeroed only when their shape changes (backward adds).
  void prepare_grad(const SceneT<T>& s, SceneT<T>& g) {
    g.visit_fields([&](SceneField f, TensorT<T>& t) {
      if (t.shape() != s.field(f).shape()) {
        t.resize(s.field(f).shape());
        t.zero();
      }
    });
  }

  void backward(const SceneT<T>& s, const TensorT<T>& dL_drgb, const TensorT<T>& dL_dalpha, SceneT<T>& g) {
    const int S = opt.size;
    const int64_t P = int64_t(S) * S;
    if (!dL_drgb.empty()) check_shape(dL_drgb, Shape{3, S, S}, "(dL_drgb)");
    if (!dL_dalpha.empty()) check_shape(dL_dalpha, Shape{1, S, S}, "(dL_dalpha)");
    if (last_mode != opt.mode) throw std::logic_error("SceneRenderer::backward: the mode changed since forward");
    prepare_grad(s, g);
    camera.visit_parameters([](ParameterT<T>& p) { p.zero_grad(); });
    shading.visit_parameters([](ParameterT<T>& p) { p.zero_grad(); });
    if (!use_colors) texture.texels.zero_grad();
    d_normals.resize({V, 3});
    d_normals.zero();
    d_clip.resize({V, 4});
    d_clip.zero();
    if (opt.mode == RasterMode::kHard)
      backward_hard(s, dL_drgb, dL_dalpha, g, P);
    else
      backward_soft(s, dL_drgb, dL_dalpha, g, P);
    // Shared tail: camera and vertex normals into the positions, parameter gradients into the scene.
    camera.backward(s.positions, clip, d_clip, &g.positions);
    vnormals.backward(s.positions, normals, d_normals, &g.positions);
    if (s.camera.numel() == 4) {
      for (int i = 0; i < 4; ++i) g.camera[i] += camera.orbit.grad[i];
    } else {
      for (int i = 0; i < 3; ++i) {
        g.camera[i] += camera.rotation.grad[i];
        g.camera[3 + i] += camera.translation.grad[i];
      }
      for (int i = 0; i < 2; ++i) {
        g.camera[6 + i] += camera.focal.grad[i];
        g.camera[8 + i] += camera.principal.grad[i];
      }
    }
    add_shading_gradient(shading, opt.light, g.light);
    if (!use_colors) {
      const T* src = texture.texels.grad.data();
      T* dst = g.texture.data();
      for (int64_t i = 0; i < g.texture.numel(); ++i) dst[i] += src[i];
    }
  }

  void backward_hard(const SceneT<T>& s, const TensorT<T>& dL_drgb, const TensorT<T>& dL_dalpha, SceneT<T>& g,
                     int64_t P) {
    const int S = opt.size;
    d_out.resize({4, S, S});
    if (dL_drgb.empty())
      std::fill(d_out.data(), d_out.data() + 3 * P, T(0));
    else
      std::copy(dL_drgb.data(), dL_drgb.data() + 3 * P, d_out.data());
    if (dL_dalpha.empty())
      std::fill(d_out.data() + 3 * P, d_out.data() + 4 * P, T(0));
    else
      std::copy(dL_dalpha.data(), dL_dalpha.data() + P, d_out.data() + 3 * P);
    d_comp.resize({4, S, S});
    d_comp.zero();
    aa.backward(composite, clip, aa_faces, r, d_out, &d_comp, &d_clip);
    // Composite: covered pixels pass the gradient to the shading, the others to the background.
    const T* dC = d_comp.data();
    const int32_t* face = r.face.data();
    for (int c = 0; c < 3; ++c) {
      T bg_sum = 0;
      for (int64_t i = 0; i < P; ++i) bg_sum += face[i] >= 0 ? T(0) : dC[c * P + i];
      g.background[c] += bg_sum;
    }
    covered.to_compact(d_comp, 3, d_shaded);
    d_albedo.resize(albedo_c.shape());
    d_albedo.zero();
    d_n_c.resize(n_c.shape());
    d_n_c.zero();
    shading.backward({&albedo_c, &n_c}, {&shaded_c}, {&d_shaded}, {&d_albedo, &d_n_c});
    d_rast.resize({4, S, S});
    d_rast.zero();
    if (use_colors) {
      covered.from_compact(d_albedo, 3, d_full);
      ip_attr.backward(s.colors, tmpl.faces, r, d_full, &g.colors, &d_rast);
    } else {
      d_uv_c.resize(uv_c.shape());
      d_uv_c.zero();
      const bool lod_map = opt.mip_levels != 1;
      if (lod_map) d_lod_c.resize(lod_c.shape()), d_lod_c.zero();
      texture.backward(uv_c, albedo_c, d_albedo, &d_uv_c);
      covered.from_compact(d_uv_c, 2, d_full);
      ip_uv.backward(tmpl.uvs, uv_faces, r, d_full, nullptr, &d_rast);
      if (lod_map) {
        // The level of detail moves with the geometry too (nvdiffrast's gradient through uv_da).
        covered.from_compact(d_lod_c, 1, d_full);
        tex_lod.backward(clip, tmpl.faces, tmpl.uvs, uv_faces, r, static_cast<int>(s.texture.dim(2)),
                         static_cast<int>(s.texture.dim(1)), d_full, &d_clip);
      }
    }
    covered.from_compact(d_n_c, 3, d_full);
    ip_attr.backward(normals, tmpl.faces, r, d_full, &d_normals, &d_rast);
    rz.backward(clip, tmpl.faces, r, d_rast, d_clip);
  }

  void backward_soft(const SceneT<T>& s, const TensorT<T>& dL_drgb, const TensorT<T>& dL_dalpha, SceneT<T>& g,
                     int64_t P) {
    const int S = opt.size;
    // rgb_c = I_c + bg_c·(1 − I_3), alpha = A.
    d_out.resize({5, S, S});
    d_out.zero();
    const T* O = soft_out.data();
    T* dO = d_out.data();
    if (!dL_drgb.empty()) {
      const T* G = dL_drgb.data();
      for (int c = 0; c < 3; ++c) {
        const T b = s.background[c];
        T bg_sum = 0;
        for (int64_t i = 0; i < P; ++i) {
          const T gi = G[c * P + i];
          dO[c * P + i] = gi;
          dO[3 * P + i] -= b * gi;
          bg_sum += gi * (T(1) - O[3 * P + i]);
        }
        g.background[c] += bg_sum;
      }
    }
    if (!dL_dalpha.empty()) std::copy(dL_dalpha.data(), dL_dalpha.data() + P, dO + 4 * P);
    d_clip_s.resize({Vs, 4});
    d_clip_s.zero();
    d_colors4.resize({Vs, 4});
    d_colors4.zero();
    soft.backward(clip_s, split_faces, colors4, soft_options(), soft_out, d_out, &d_clip_s, &d_colors4);
    d_shaded.resize({3, 1, Vs});  // the constant 4th channel's colour gradient is dropped
    for (int64_t i = 0; i < Vs; ++i)
      for (int c = 0; c < 3; ++c) d_shaded[c * Vs + i] = d_colors4[4 * i + c];
    d_albedo.resize({3, 1, Vs});
    d_albedo.zero();
    d_normals_s.resize({3, 1, Vs});
    d_normals_s.zero();
    shading.backward({&albedo_s, &normals_s}, {&shaded_s}, {&d_shaded}, {&d_albedo, &d_normals_s});
    if (use_colors) {
      for (int64_t i = 0; i < Vs; ++i) {
        const int64_t v = source[static_cast<size_t>(i)];
        for (int c = 0; c < 3; ++c) g.colors[3 * v + c] += d_albedo[c * Vs + i];
      }
    } else {
      texture.backward(split_uv, albedo_s, d_albedo, nullptr);
    }
    // Split vertices back onto the template, in split-vertex order (deterministic).
    for (int64_t i = 0; i < Vs; ++i) {
      const int64_t v = source[static_cast<size_t>(i)];
      for (int k = 0; k < 4; ++k) d_clip[4 * v + k] += d_clip_s[4 * i + k];
      for (int c = 0; c < 3; ++c) d_normals[3 * v + c] += d_normals_s[c * Vs + i];
    }
  }

  void compute_extras() const {
    if (extras_valid) return;
    if (last_mode == RasterMode::kHard) extras.from_hard(r, n_img, opt.size);
    else extras.from_soft(soft, normals, tmpl.faces, opt.size);
    extras_valid = true;
  }
};

template <class T>
SceneRendererT<T>::SceneRendererT(const Mesh& tmpl, const RenderOptions& options)
    : impl_(std::make_unique<Impl>(tmpl, options)) {}

template <class T>
SceneRendererT<T>::~SceneRendererT() = default;
template <class T>
SceneRendererT<T>::SceneRendererT(SceneRendererT&&) noexcept = default;
template <class T>
SceneRendererT<T>& SceneRendererT<T>::operator=(SceneRendererT&&) noexcept = default;

template <class T>
const RenderOptions& SceneRendererT<T>::options() const {
  return impl_->opt;
}

template <class T>
void SceneRendererT<T>::set_options(const RenderOptions& options) {
  options.check();
  impl_->opt = options;
  impl_->apply_options();
  impl_->extras_valid = false;
}

template <class T>
void SceneRendererT<T>::forward(const SceneT<T>& scene, TensorT<T>& rgb, TensorT<T>& alpha) {
  impl_->forward(scene, rgb, alpha);
}

template <class T>
void SceneRendererT<T>::backward(const SceneT<T>& scene, const TensorT<T>& dL_drgb, const TensorT<T>& dL_dalpha,
                                 SceneT<T>& grad) {
  impl_->backward(scene, dL_drgb, dL_dalpha, grad);
}

template <class T>
const TensorT<T>& SceneRendererT<T>::normals_image() const {
  impl_->compute_extras();
  return impl_->extras.normals;
}

template <class T>
const TensorT<T>& SceneRendererT<T>::depth_image() const {
  impl_->compute_extras();
  return impl_->extras.depth;
}

template <class T>
const std::vector<int32_t>& SceneRendererT<T>::face_ids() const {
  impl_->compute_extras();
  return impl_->extras.face;
}

template <class T>
MeshT<T> SceneRendererT<T>::mesh_of(const SceneT<T>& scene) const {
  const Impl& im = *impl_;
  check_shape(scene.positions, Shape{im.V, 3}, "positions");
  MeshT<T> m = im.tmpl;
  m.positions.copy_from(scene.positions);
  VertexNormalsT<T> vn(m.faces);
  vn.forward(m.positions, m.normals);
  if (!scene.texture.empty()) m.texture.copy_from(scene.texture);
  if (!scene.colors.empty()) {
    check_shape(scene.colors, Shape{im.V, 3}, "colors");
    m.colors.copy_from(scene.colors);
  }
  return m;
}

template class SceneRendererT<float>;
template class SceneRendererT<double>;

}  // namespace invgfx
