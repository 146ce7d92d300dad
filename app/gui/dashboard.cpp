// Implementation of app/gui/dashboard.h.
#include "app/gui/dashboard.h"

#include <imgui.h>

#include <algorithm>

namespace invgfx {

void Dashboard::set_runner(LoopRunner* runner) {
  runner_ = runner;
  snapshot_version_ = 0;
  history_.clear();
  history_generation_ = ~uint64_t{0};
  textures_stale_ = mesh_stale_ = true;
  images_.reset_view();
  isp_ = IspPanel();
  if (!runner_) return;
  runner_->call([this](Loop& loop) {
    run_.attach(loop);
    groups_.attach(loop);
    weights_.attach(loop);
    raster_.attach(loop);
  });
}

void Dashboard::init_gl(QOpenGLExtraFunctions* gl) {
  gl_ = gl;
  images_.init_gl(gl);
  mesh_.init_gl(gl);
  textures_stale_ = mesh_stale_ = true;
}

void Dashboard::cleanup_gl() {
  if (!gl_) return;
  images_.cleanup_gl();
  mesh_.cleanup_gl();
  gl_ = nullptr;
}

bool Dashboard::refresh() {
  if (!runner_) return false;
  bool changed = false;
  if (runner_->copy_snapshot(snapshot_, snapshot_version_)) {
    textures_stale_ = mesh_stale_ = true;
    changed = true;
  }
  const size_t before = history_.size();
  const uint64_t generation = history_generation_;
  runner_->copy_history(history_, history_generation_);
  return changed || history_.size() != before || generation != history_generation_;
}

void Dashboard::frame() {
  refresh();
  if (gl_ && textures_stale_ && has_snapshot()) {
    images_.upload(snapshot_);
    textures_stale_ = false;
  }
  if (gl_ && mesh_stale_ && has_snapshot()) {
    mesh_.set_mesh(snapshot_.mesh);
    mesh_stale_ = false;
  }
  mesh_.advance(ImGui::GetIO().DeltaTime);

  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::Begin("dashboard", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollbar);
  rects_.clear();
  if (!runner_) {
    ImGui::TextDisabled("No photos loaded. File > Open Photos... or drop photos or a folder here.");
    ImGui::End();
    return;
  }
  const PanelContext ctx{runner_, &snapshot_, &history_, &rects_};
  toolbar_.on_action = on_action;

  const float controls_width = panels_.controls ? std::clamp(vp->WorkSize.x * 0.24f, 300.f, 400.f) : 0.f;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float main_width = ImGui::GetContentRegionAvail().x - (panels_.controls ? controls_width + spacing : 0.f);

  ImGui::BeginChild("main", ImVec2(main_width, 0), false, ImGuiWindowFlags_NoScrollbar);
  toolbar_.draw(ctx, run_.iterations());
  if (panels_.images) images_.draw(ctx, main_width, photo_names_);
  const float rest = ImGui::GetContentRegionAvail().y;
  if (panels_.plots || panels_.mesh) {
    const bool both = panels_.plots && panels_.mesh;
    const float mesh_width = panels_.mesh ? (both ? std::min(rest, main_width * 0.42f) : main_width) : 0.f;
    const float plot_width = panels_.plots ? main_width - (both ? mesh_width + spacing : 0.f) : 0.f;
    if (panels_.plots) plot_.draw(ctx, plot_width, rest);
    if (both) ImGui::SameLine();
    if (panels_.mesh) mesh_.draw(ctx, mesh_width, rest);
  }
  ImGui::EndChild();

  if (panels_.controls) {
    ImGui::SameLine();
    ImGui::BeginChild("controls", ImVec2(controls_width, 0), true);
    draw_controls(ctx);
    ImGui::EndChild();
  }
  ImGui::End();
}

void Dashboard::draw_controls(const PanelContext& ctx) {
  const ImGuiTreeNodeFlags open = ImGuiTreeNodeFlags_DefaultOpen;
  ImGui::PushItemWidth(-130.f);
  if (ImGui::CollapsingHeader("Run", open)) run_.draw(ctx);
  if (ImGui::CollapsingHeader("Parameter groups", open)) groups_.draw(ctx);
  if (ImGui::CollapsingHeader("Loss weights", open)) weights_.draw(ctx);
  if (ImGui::CollapsingHeader("Rasterizer", open)) raster_.draw(ctx);
  if (ImGui::CollapsingHeader("Camera: sensor and ISP", open)) isp_.draw(ctx);
  if (ImGui::CollapsingHeader("Scene")) scene_.draw(ctx);
  ImGui::PopItemWidth();
}

}  // namespace invgfx
