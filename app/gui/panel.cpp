// Implementation of app/gui/panel.h.
#include "app/gui/panel.h"

namespace invgfx {

void PanelContext::record_rect(const char* key) const {
  if (!rects) return;
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  (*rects)[key] = {a.x, a.y, b.x - a.x, b.y - a.y};
}

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);
}

}  // namespace invgfx
