// The live dashboard drawn with Dear ImGui inside the main window: the layout of its panels, each in
// its own file with its own UI state — the toolbar, the five image panels (image_panels.h), the loss
// plot (loss_plot_panel.h), the 3D view (mesh_panel.h) and the controls column: run, parameter groups,
// loss weights, rasterizer, camera (isp_panel.h) and the scene read-out. It reads snapshots and the
// step history from the runner and the panels post commands to it: no loop logic here.
#pragma once

#include "app/gui/groups_panel.h"
#include "app/gui/image_panels.h"
#include "app/gui/isp_panel.h"
#include "app/gui/loss_plot_panel.h"
#include "app/gui/loss_weights_panel.h"
#include "app/gui/mesh_panel.h"
#include "app/gui/raster_panel.h"
#include "app/gui/run_panel.h"
#include "app/gui/scene_panel.h"
#include "app/gui/toolbar_panel.h"
#include "app/loop_runner.h"

#include <QOpenGLExtraFunctions>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace invgfx {

// Which parts of the dashboard are shown (the View menu).
struct DashboardPanels {
  bool images = true;
  bool plots = true;
  bool mesh = true;
  bool controls = true;
};

class Dashboard {
 public:
  // The runner whose snapshots are shown and to which commands go (nullptr: nothing loaded). Reads
  // the live settings from the loop into the panels (one synchronous command).
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
  bool turntable() const { return mesh_.turntable(); }
  const LoopSnapshot& snapshot() const { return snapshot_; }
  const std::vector<StepInfo>& history() const { return history_; }
  bool has_snapshot() const { return snapshot_version_ > 0; }
  IspPanel& isp_panel() { return isp_; }
  // Where each panel was drawn in the last frame, logical pixels of the widget: x, y, w, h.
  // Keys: photo, render, linear, error, silhouette, plot, mesh.
  const std::map<std::string, std::array<float, 4>>& panel_rects() const { return rects_; }
  // Run controls in the toolbar call back to the window, which owns the run state.
  std::function<void(const std::string&)> on_action;

 private:
  void draw_controls(const PanelContext& ctx);

  LoopRunner* runner_ = nullptr;
  QOpenGLExtraFunctions* gl_ = nullptr;
  DashboardPanels panels_;
  std::vector<std::string> photo_names_;

  LoopSnapshot snapshot_;
  uint64_t snapshot_version_ = 0;
  std::vector<StepInfo> history_;
  uint64_t history_generation_ = ~uint64_t{0};
  bool textures_stale_ = true, mesh_stale_ = true;

  ToolbarPanel toolbar_;
  ImagePanels images_;
  LossPlotPanel plot_;
  MeshPanel mesh_;
  RunPanel run_;
  GroupsPanel groups_;
  LossWeightsPanel weights_;
  RasterPanel raster_;
  IspPanel isp_;
  ScenePanel scene_;

  std::map<std::string, std::array<float, 4>> rects_;
};

}  // namespace invgfx
