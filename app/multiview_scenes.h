// The multi-view scene source: ONE object seen by every photo of a multi-view dataset. Its mesh,
// texture, light and background are shared by all photos; each photo has its own pinhole camera
// (render/scene.h's 10-value layout, from the dataset's known cameras or an orbit guess). The mesh is
// optimised in the Large Steps parameterisation (render/large_steps.h): the parameter "shape.u" is
// u = (I + λL)v, and every forward solves for the positions v once for the whole batch; the
// backward sums the batch's dL/dv and solves once more for dL/du.
// Parameters: "multiview.u" (shape), "multiview.texture", "multiview.light", "multiview.background"
// in their groups, moved by one optimizer; "view<i>.camera" (group camera, frozen by the multiview
// preset for known cameras), one optimizer per view so a step moves only its batch's cameras. Only
// a camera's pose is fitted: its intrinsics (px) stay as the dataset gave them.
#pragma once

#include "app/loop_config.h"
#include "app/scene_source.h"
#include "render/camera_formats.h"
#include "render/large_steps.h"

#include <memory>

namespace invgfx {

class MultiViewScenes : public SceneSource {
 public:
  // tmpl: the renderer's template (its topology; an icosphere of radius 1 around the origin is placed
  // where the cameras look, sized to their field of view). views: one per photo, intrinsics in the
  // working square's pixels.
  MultiViewScenes(const Mesh& tmpl, const std::vector<ViewCamera>& views, const LoopConfig& config, double lr_factor);

  int num_views() const { return static_cast<int>(cameras_.size()); }
  // Photo i's current scene (the shared object through view i's camera).
  void scene(int photo, Scene& out);
  // The shared object's current vertex positions (V×3, world frame).
  const Tensor& positions();
  // View i's current camera.
  const Tensor& camera(int view) const { return cameras_[static_cast<size_t>(view)].value; }
  // Where the template was placed: its centre and radius in the world frame.
  const Eigen::Vector3d& centre() const { return centre_; }
  double radius() const { return radius_; }

  void forward(std::span<const int> photos, const Tensor& photo_batch, std::vector<Scene>& scenes,
               StageTimes& times) override;
  void backward(std::span<const int> photos, const Tensor& photo_batch, const std::vector<Scene>& scenes,
                const std::vector<Scene>& dL_dscenes, Tensor* dL_dphotos, StageTimes& times) override;
  void optimizers(std::span<const int> photos, std::vector<Optimizer*>& out) override;
  void all_optimizers(std::vector<std::pair<std::string, Optimizer*>>& out) override;
  void project(std::span<const int> photos) override;
  void visit_parameters(const ParameterVisitor<float>& visit) override;

 private:
  void solve_positions();

  LargeSteps steps_;
  Parameter u_, texture_, light_, background_;
  std::vector<Parameter> cameras_;
  std::unique_ptr<Optimizer> shared_;
  std::vector<std::unique_ptr<Optimizer>> camera_opt_;
  Tensor v_, dL_dv_;        // positions of the current u, and the batch's summed gradient
  bool v_valid_ = false;   // v_ solved from the current u_
  Eigen::Vector3d centre_ = Eigen::Vector3d::Zero();
  double radius_ = 1;
};

// The point nearest to every camera's optical axis (least squares) and a radius that covers about
// half the narrowest half-field of view from the median camera distance: where the object starts.
void multiview_start(const std::vector<ViewCamera>& views, Eigen::Vector3d& centre, double& radius);

}  // namespace invgfx
