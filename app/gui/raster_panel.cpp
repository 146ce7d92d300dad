// Implementation of app/gui/raster_panel.h.
#include "app/gui/raster_panel.h"

namespace invgfx {

void RasterPanel::draw(const PanelContext& ctx) {
  RenderOptions& r = options_;
  bool changed = false;
  int mode = r.mode == RasterMode::kHard ? 0 : 1;
  if (ImGui::Combo("mode", &mode, "hard + antialias\0soft (SoftRas)\0")) {
    r.mode = mode == 0 ? RasterMode::kHard : RasterMode::kSoft;
    changed = true;
  }
  if (r.mode == RasterMode::kSoft) {
    float sigma = static_cast<float>(r.sigma), gamma = static_cast<float>(r.gamma);
    if (ImGui::SliderFloat("sigma", &sigma, 1e-6f, 1e-2f, "%.2e", ImGuiSliderFlags_Logarithmic)) {
      r.sigma = sigma;
      changed = true;
    }
    help_marker("Blur of the soft silhouette: squared NDC distance (Liu et al. 2019).");
    if (ImGui::SliderFloat("gamma", &gamma, 1e-6f, 1e-1f, "%.2e", ImGuiSliderFlags_Logarithmic)) {
      r.gamma = gamma;
      changed = true;
    }
    help_marker("Temperature of the depth softmax that blends overlapping faces.");
  }
  bool mipmaps = r.mip_levels != 1;
  if (ImGui::Checkbox("texture mipmaps", &mipmaps)) {
    r.mip_levels = mipmaps ? 0 : 1;
    changed = true;
  }
  help_marker("Trilinear texture lookups at each pixel's own mip level, from its uv footprint, so that "
              "texture seen from afar or at a grazing angle does not alias (hard mode; soft mode uses "
              "one level for the whole mesh).");
  if (changed) {
    const RenderOptions copy = r;
    ctx.runner->post([copy](Loop& loop) { loop.set_render_options(copy); });
  }
}

}  // namespace invgfx
