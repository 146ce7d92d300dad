// Implementation of app/gui/toolbar_panel.h.
#include "app/gui/toolbar_panel.h"

namespace invgfx {

void ToolbarPanel::draw(const PanelContext& ctx, int iterations) {
  const RunnerStatus st = ctx.runner->status();
  auto button = [&](const char* label, const char* action, bool enabled = true) {
    if (!enabled) ImGui::BeginDisabled();
    if (ImGui::Button(label) && on_action) on_action(action);
    if (!enabled) ImGui::EndDisabled();
    ImGui::SameLine();
  };
  button(st.running ? "Pause" : "Start", st.running ? "pause" : "start");
  button("Step", "step", !st.running);
  button("Reset", "reset");
  button("Refine photo", "refine");
  ImGui::SameLine();
  ImGui::Text("iteration %lld / %d   %s   loss %.4g   %.1f steps/s", static_cast<long long>(st.iteration), iterations,
              to_string(st.phase), st.loss, st.steps_per_second);
  if (st.recoveries > 0) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1.f, 0.7f, 0.2f, 1.f), "  recovered %d×", st.recoveries);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", st.last_event.c_str());
  }
  if (!st.error.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1.f, 0.35f, 0.3f, 1.f), "  error: %s", st.error.c_str());
  }
}

}  // namespace invgfx
