// What every panel of the dashboard draws from — the runner to post commands to, the latest snapshot
// and step history — and the few ImGui helpers the panels share. Each panel is a class in its own
// file with its own UI state; the dashboard (dashboard.h) lays them out.
#pragma once

#include "app/loop_runner.h"

#include <imgui.h>

#include <array>
#include <map>
#include <string>
#include <vector>

namespace invgfx {

struct PanelContext {
  LoopRunner* runner = nullptr;
  const LoopSnapshot* snapshot = nullptr;
  const std::vector<StepInfo>* history = nullptr;
  std::map<std::string, std::array<float, 4>>* rects = nullptr;  // where panels were drawn: x, y, w, h

  // Records the last ImGui item's rectangle under `key`.
  void record_rect(const char* key) const;
};

// A "(?)" after the last item that shows `text` when hovered.
void help_marker(const char* text);
// An OpenGL texture name as ImGui's texture id.
inline ImTextureID tex_id(unsigned id) { return reinterpret_cast<ImTextureID>(static_cast<uintptr_t>(id)); }

}  // namespace invgfx
