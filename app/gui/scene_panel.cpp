// Implementation of app/gui/scene_panel.h.
#include "app/gui/scene_panel.h"

#include <algorithm>
#include <cstdio>
#include <numbers>
#include <string>

namespace invgfx {

void ScenePanel::draw(const PanelContext& ctx) {
  const Scene& s = ctx.snapshot->scene;
  const double deg = 180 / std::numbers::pi;
  if (s.camera.numel() == 4)
    ImGui::Text("camera  az %.1f°  el %.1f°  dist %.2f  roll %.1f°", s.camera[0] * deg, s.camera[1] * deg, s.camera[2],
                s.camera[3] * deg);
  if (s.background.numel() == 3) ImGui::Text("background  %.3f %.3f %.3f", s.background[0], s.background[1], s.background[2]);
  ImGui::Text("mesh  %lld vertices, %lld faces", static_cast<long long>(ctx.snapshot->mesh.num_vertices()),
              static_cast<long long>(ctx.snapshot->mesh.num_faces()));
  if (!s.light.empty()) {
    std::string l = "light ";
    char v[16];
    for (int64_t i = 0; i < std::min<int64_t>(s.light.numel(), 9); ++i) {
      std::snprintf(v, sizeof v, " %.2f", s.light[i]);
      l += v;
    }
    ImGui::TextWrapped("%s%s", l.c_str(), s.light.numel() > 9 ? " …" : "");
  }
}

}  // namespace invgfx
