// Implementation of app/multiview_scenes.h.
#include "app/multiview_scenes.h"

#include "app/loop_optimizers.h"
#include "app/multiview_dataset.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

namespace invgfx {

void multiview_start(const std::vector<ViewCamera>& views, Eigen::Vector3d& centre, double& radius) {
  // Σ (I − d dᵀ)(x − C) = 0 over the optical axes (centre C, direction d): the closest point.
  Eigen::Matrix3d A = Eigen::Matrix3d::Zero();
  Eigen::Vector3d b = Eigen::Vector3d::Zero();
  for (const ViewCamera& v : views) {
    const Eigen::Vector3d C = camera_center(v.R, v.t), d = v.R.row(2).transpose();
    const Eigen::Matrix3d P = Eigen::Matrix3d::Identity() - d * d.transpose();
    A += P;
    b += P * C;
  }
  // One view (or parallel axes): the point 3 units ahead of the first camera.
  const ViewCamera& v0 = views.front();
  if (views.size() < 2 || std::abs(A.determinant()) < 1e-9)
    centre = camera_center(v0.R, v0.t) + 3.0 * v0.R.row(2).transpose();
  else
    centre = A.ldlt().solve(b);
  std::vector<double> dist;
  double half = 1e9;
  for (const ViewCamera& v : views) {
    dist.push_back((camera_center(v.R, v.t) - centre).norm());
    half = std::min({half, 0.5 * v.K.width / v.K.fx, 0.5 * v.K.height / v.K.fy});
  }
  std::nth_element(dist.begin(), dist.begin() + static_cast<long>(dist.size() / 2), dist.end());
  radius = 0.5 * dist[dist.size() / 2] * half;
}

MultiViewScenes::MultiViewScenes(const Mesh& tmpl, const std::vector<ViewCamera>& views, const LoopConfig& config,
                                 double lr_factor)
    : steps_(tmpl.faces, tmpl.num_vertices(), config.multiview.lambda),
      u_("multiview.u", scene_field_group(SceneField::kPositions), Shape{tmpl.num_vertices(), 3}),
      texture_("multiview.texture", scene_field_group(SceneField::kTexture),
               Shape{3, config.multiview.texture_size, config.multiview.texture_size}),
      light_("multiview.light", scene_field_group(SceneField::kLight), Shape{light_size(config.render.light)}),
      background_("multiview.background", scene_field_group(SceneField::kBackground), Shape{3}) {
  if (views.empty()) throw std::invalid_argument("multiview: the dataset has no cameras");
  multiview_start(views, centre_, radius_);
  Tensor v0({tmpl.num_vertices(), 3});
  for (int64_t i = 0; i < tmpl.num_vertices(); ++i)
    for (int c = 0; c < 3; ++c) v0[3 * i + c] = static_cast<float>(centre_(c) + radius_ * tmpl.positions[3 * i + c]);
  steps_.to_u(v0, u_.value);
  texture_.value.fill(0.5f);
  light_.value.zero();
  if (config.render.light == LightModel::kSphericalHarmonics) {
    for (int c = 0; c < 3; ++c) light_.value[9 * c] = static_cast<float>(config.decoder.sh_base);
  } else {
    for (int c = 0; c < 3; ++c) light_.value[c] = 0.6f, light_.value[6 + c] = 0.4f;
    light_.value[3] = 0.f, light_.value[4] = 1.f, light_.value[5] = 1.f;
  }
  background_.value.fill(static_cast<float>(config.decoder.background0));
  shared_ = make_loop_optimizer({&u_, &texture_, &light_, &background_}, config, lr_factor);
  cameras_.reserve(views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    Parameter p("view" + std::to_string(i) + ".camera", scene_field_group(SceneField::kCamera), Shape{kPinholeCameraSize});
    p.value.copy_from(pinhole_tensor(views[i]));
    cameras_.push_back(std::move(p));
  }
  for (Parameter& p : cameras_) camera_opt_.push_back(make_loop_optimizer({&p}, config, lr_factor));
}

void MultiViewScenes::solve_positions() {
  if (v_valid_) return;
  steps_.to_v(u_.value, v_);
  v_valid_ = true;
}

const Tensor& MultiViewScenes::positions() {
  solve_positions();
  return v_;
}

void MultiViewScenes::scene(int photo, Scene& out) {
  solve_positions();
  out.positions.copy_from(v_);
  out.texture.copy_from(texture_.value);
  out.colors.resize_like(Tensor());
  out.light.copy_from(light_.value);
  out.camera.copy_from(cameras_[static_cast<size_t>(photo)].value);
  out.background.copy_from(background_.value);
}

void MultiViewScenes::forward(std::span<const int> photos, const Tensor&, std::vector<Scene>& scenes, StageTimes& times) {
  StageTimer t(times, LoopStage::kDecode);
  v_valid_ = false;  // an optimizer may have moved u since (steps, rollbacks, sessions)
  if (scenes.size() < photos.size()) scenes.resize(photos.size());
  for (size_t b = 0; b < photos.size(); ++b) scene(photos[b], scenes[b]);
}

void MultiViewScenes::backward(std::span<const int> photos, const Tensor&, const std::vector<Scene>&,
                               const std::vector<Scene>& dL_dscenes, Tensor*, StageTimes& times) {
  StageTimer t(times, LoopStage::kDecodeBackward);
  dL_dv_.resize(u_.value.shape());
  dL_dv_.zero();
  auto add = [](Parameter& p, const Tensor& g) {
    if (g.numel() != p.value.numel()) return;
    p.grad.resize(p.value.shape());
    for (int64_t i = 0; i < g.numel(); ++i) p.grad[i] += g[i];
  };
  for (size_t b = 0; b < photos.size(); ++b) {
    const Scene& g = dL_dscenes[b];
    if (g.positions.numel() == dL_dv_.numel())
      for (int64_t i = 0; i < dL_dv_.numel(); ++i) dL_dv_[i] += g.positions[i];
    add(texture_, g.texture);
    add(light_, g.light);
    add(background_, g.background);
    Parameter& cam = cameras_[static_cast<size_t>(photos[b])];
    if (g.camera.numel() == kPinholeCameraSize) {
      cam.grad.resize(cam.value.shape());
      for (int i = 0; i < 6; ++i) cam.grad[i] += g.camera[i];  // the pose; the intrinsics stay
    }
  }
  u_.grad.resize(u_.value.shape());
  steps_.backward(dL_dv_, u_.grad);
}

void MultiViewScenes::optimizers(std::span<const int> photos, std::vector<Optimizer*>& out) {
  out.push_back(shared_.get());
  for (int i : photos) out.push_back(camera_opt_[static_cast<size_t>(i)].get());
}

void MultiViewScenes::all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) {
  out.emplace_back("multiview", shared_.get());
  for (size_t i = 0; i < camera_opt_.size(); ++i) out.emplace_back("view" + std::to_string(i), camera_opt_[i].get());
}

void MultiViewScenes::project(std::span<const int> photos) {
  v_valid_ = false;
  Scene::clamp_field(SceneField::kTexture, texture_.value);
  Scene::clamp_field(SceneField::kBackground, background_.value);
  for (int i : photos) Scene::clamp_field(SceneField::kCamera, cameras_[static_cast<size_t>(i)].value);
}

void MultiViewScenes::visit_parameters(const ParameterVisitor<float>& visit) {
  visit(u_);
  visit(texture_);
  visit(light_);
  visit(background_);
  for (Parameter& p : cameras_) visit(p);
  v_valid_ = false;  // a visitor may write values (sessions)
}

}  // namespace invgfx
