// Implementation of app/gui/run_panel.h.
#include "app/gui/run_panel.h"

namespace invgfx {

void RunPanel::draw(const PanelContext& ctx) {
  int iterations = iterations_;
  if (ImGui::InputInt("iterations", &iterations, 50, 500) && iterations > 0) {
    iterations_ = iterations;
    ctx.runner->post([iterations](Loop& loop) { loop.set_iterations(iterations); });
  }
  int photo = ctx.snapshot->photo;
  if (ctx.runner->num_photos() > 1 && ImGui::SliderInt("photo", &photo, 0, ctx.runner->num_photos() - 1) &&
      photo != ctx.snapshot->photo)
    ctx.runner->set_photo(photo);
}

}  // namespace invgfx
