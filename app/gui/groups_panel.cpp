// Implementation of app/gui/groups_panel.h.
#include "app/gui/groups_panel.h"

namespace invgfx {

void GroupsPanel::attach(const Loop& loop) {
  groups_ = loop.group_names();
  settings_.clear();
  for (const auto& g : groups_) settings_[g] = loop.group(g);
  lr_ = loop.config().lr;
}

void GroupsPanel::draw(const PanelContext& ctx) {
  ImGui::TextDisabled("base lr %.2g; scale per group", lr_);
  if (!ImGui::BeginTable("groups", 3, ImGuiTableFlags_SizingStretchProp)) return;
  ImGui::TableSetupColumn("group", ImGuiTableColumnFlags_WidthFixed, 80.f);
  ImGui::TableSetupColumn("lr scale", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("frozen", ImGuiTableColumnFlags_WidthFixed, 24.f);
  for (const std::string& g : groups_) {
    GroupSettings& s = settings_[g];
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(g.c_str());
    ImGui::TableNextColumn();
    ImGui::SetNextItemWidth(-1);
    float scale = static_cast<float>(s.lr_scale);
    bool changed = ImGui::SliderFloat(("##lr" + g).c_str(), &scale, 1e-3f, 100.f, "%.3g", ImGuiSliderFlags_Logarithmic);
    if (changed) s.lr_scale = scale;
    ImGui::TableNextColumn();
    changed |= ImGui::Checkbox(("##frozen" + g).c_str(), &s.frozen);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("freeze %s", g.c_str());
    if (changed) {
      const GroupSettings copy = s;
      ctx.runner->post([g, copy](Loop& loop) { loop.set_group(g, copy); });
    }
  }
  ImGui::EndTable();
}

}  // namespace invgfx
