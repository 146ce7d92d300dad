// The live dashboard drawn with Dear ImGui inside the main window: image panels (photo, render after
// the ISP, linear render, error heat map, silhouette over mask; zoom and pan together), loss plots
// (total and every term, log scale), the 3D view, and the controls that go to the loop as commands
// (learning rate and freeze per group, loss weights, ISP stages and their parameters, rasterizer
// mode and σ/γ). It only reads snapshots and posts commands: no loop logic here.
#pragma once

#include "app/gui/mesh_view.h"
#include "app/gui/panel_image.h"
#include "app/loop_runner.h"

#include <QOpenGLExtraFunctions>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace invgfx {

struct DashboardPanels {
  bool images = true;
  bool plots = true;
  bool mesh = true;
  bool controls = true;
};

// The GUI-side copy of the loop's live settings, read once from the loop, then changed by the user.
struct DashboardControls {
  std::vector<std::string> groups;
  std::map<std::string, GroupSettings> group_settings;
  LossWeights weights;
  RenderOptions render;
  std::vector<std::pair<std::string, bool>> isp_stages;  // name, enabled
  int iterations = 0;
  double lr = 0;
};

class Dashboard {
 public:
  Dashboard() = default;

  // The runner whose snapshots are shown and to which commands go (nullptr: nothing loaded).
  // Reads the live settings from the loop (one synchronous command).
  void set_runner(LoopRunner* runner);
  LoopRunner* runner() const { return runner_; }
  // Names for the panels' captions (the photos' file names).
  void set_photo_names(std::vector<std::string> names) { photo_names_ = std::move(names); }

  void init_gl(QOpenGLExtraFunctions* gl);
  void cleanup_gl();
  // One ImGui frame: a window covering the whole display.
  void frame();
  // Pulls a new snapshot and history from the runner; true when something changed.
  bool refresh();

  DashboardPanels& panels() { return panels_; }
  bool turntable() const { return orbit_.turntable; }
  const LoopSnapshot& snapshot() const { return snapshot_; }
  const std::vector<StepInfo>& history() const { return history_; }
  bool has_snapshot() const { return snapshot_version_ > 0; }
  // Where each panel was drawn in the last frame, logical pixels of the widget: x, y, w, h.
  // Keys: photo, render, linear, error, silhouette, plot, mesh.
  const std::map<std::string, std::array<float, 4>>& panel_rects() const { return rects_; }
  // Run controls in the dashboard's toolbar call back to the window, which owns the run state.
  std::function<void(const std::string&)> on_action;

 private:
  struct Texture {
    unsigned id = 0;
    int width = 0, height = 0;
  };
  void upload(Texture& t, const Rgba8Image& image);
  void draw_toolbar();
  void draw_images(float width);
  void draw_image_panel(const char* key, const char* caption, const Texture& t, float size,
                        const char* legend = nullptr);
  void draw_plot(float width, float height);
  void draw_mesh(float width, float height);
  void draw_controls();
  void draw_isp_controls();
  void record_rect(const char* key);

  LoopRunner* runner_ = nullptr;
  QOpenGLExtraFunctions* gl_ = nullptr;
  DashboardPanels panels_;
  DashboardControls controls_;
  std::vector<std::string> photo_names_;

  LoopSnapshot snapshot_;
  uint64_t snapshot_version_ = 0;
  std::vector<StepInfo> history_;
  uint64_t history_generation_ = ~uint64_t{0};
  bool textures_stale_ = true;

  Texture photo_tex_, render_tex_, linear_tex_, error_tex_, silhouette_tex_;
  Rgba8Image scratch_;
  float error_scale_ = 0.25f;  // heat map top, mean absolute sRGB error
  bool error_auto_ = true;

  // Shared zoom of the image panels: scale ≥ 1 and the centre in texture coordinates.
  float zoom_ = 1.f, zoom_cx_ = 0.5f, zoom_cy_ = 0.5f;
  bool log_scale_ = true;
  std::vector<bool> term_visible_;

  MeshView mesh_view_;
  OrbitView orbit_;
  bool mesh_stale_ = true;

  std::map<std::string, std::array<float, 4>> rects_;
};

}  // namespace invgfx
