// Implementation of app/gui/loss_weights_panel.h.
#include "app/gui/loss_weights_panel.h"

#include <cstring>

namespace invgfx {

void LossWeightsPanel::draw(const PanelContext& ctx) {
  LossWeights& w = weights_;
  bool changed = false;
  for (const LossTerm& term : loss_terms()) {
    double& v = w.*term.weight;
    float f = static_cast<float>(v);
    if (ImGui::SliderFloat(term.name, &f, 0.f, 10.f, "%.3g", ImGuiSliderFlags_Logarithmic)) {
      v = f;
      changed = true;
    }
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", term.help);
    // Each term's kind right below its weight.
    if (std::strcmp(term.name, "pixel") == 0) {
      int kind = w.pixel_kind == PixelLossKind::kL1 ? 0 : 1;
      if (ImGui::Combo("pixel_kind", &kind, "l1\0charbonnier\0")) {
        w.pixel_kind = kind == 0 ? PixelLossKind::kL1 : PixelLossKind::kCharbonnier;
        changed = true;
      }
    } else if (std::strcmp(term.name, "silhouette") == 0) {
      int kind = w.silhouette_kind == SilhouetteLossKind::kIou ? 0 : 1;
      if (ImGui::Combo("silhouette_kind", &kind, "iou\0mse\0")) {
        w.silhouette_kind = kind == 0 ? SilhouetteLossKind::kIou : SilhouetteLossKind::kMse;
        changed = true;
      }
    }
  }
  if (changed) {
    const LossWeights copy = w;
    ctx.runner->post([copy](Loop& loop) { loop.set_loss_weights(copy); });
  }
}

}  // namespace invgfx
