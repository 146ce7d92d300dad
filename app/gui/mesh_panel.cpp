// Implementation of app/gui/mesh_panel.h.
#include "app/gui/mesh_panel.h"

#include <algorithm>
#include <cmath>

namespace invgfx {

void MeshPanel::draw(const PanelContext& ctx, float width, float height) {
  ImGui::BeginChild("mesh", ImVec2(width, height), true, ImGuiWindowFlags_NoScrollbar);
  ImGui::TextUnformatted("3D view");
  ImGui::SameLine();
  ImGui::Checkbox("turntable", &orbit_.turntable);
  ImGui::SameLine();
  ImGui::TextDisabled("drag: orbit, wheel: zoom");
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float s = std::max(16.f, std::min(avail.x, avail.y));
  const float dpr = ImGui::GetIO().DisplayFramebufferScale.x;
  const unsigned id = view_.render(static_cast<int>(s * dpr), static_cast<int>(s * dpr), orbit_);
  ImGui::SetCursorPos(ImVec2(ImGui::GetCursorPosX() + 0.5f * (avail.x - s), ImGui::GetCursorPosY() + 0.5f * (avail.y - s)));
  if (id) ImGui::Image(tex_id(id), ImVec2(s, s), ImVec2(0, 1), ImVec2(1, 0));  // framebuffer rows start at the bottom
  else ImGui::Dummy(ImVec2(s, s));
  ctx.record_rect("mesh");
  if (ImGui::IsItemHovered()) {
    ImGuiIO& io = ImGui::GetIO();
    if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
      orbit_.yaw -= io.MouseDelta.x * 0.01f;
      orbit_.pitch = std::clamp(orbit_.pitch + io.MouseDelta.y * 0.01f, -1.5f, 1.5f);
      orbit_.turntable = false;
    }
    if (io.MouseWheel != 0.f) orbit_.distance = std::clamp(orbit_.distance * std::pow(0.9f, io.MouseWheel), 1.2f, 20.f);
  }
  ImGui::EndChild();
}

}  // namespace invgfx
