// Implementation of app/gui/image_panels.h.
#include "app/gui/image_panels.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace invgfx {

void ImagePanels::cleanup_gl() {
  if (!gl_) return;
  for (Texture* t : {&photo_, &render_, &linear_, &error_, &silhouette_}) {
    if (t->id) gl_->glDeleteTextures(1, &t->id);
    *t = {};
  }
  gl_ = nullptr;
}

void ImagePanels::reset_view() {
  zoom_ = 1.f;
  zoom_cx_ = zoom_cy_ = 0.5f;
}

void ImagePanels::upload(Texture& t, const Rgba8Image& image) {
  if (!gl_ || image.empty()) return;
  if (!t.id) gl_->glGenTextures(1, &t.id);
  gl_->glBindTexture(GL_TEXTURE_2D, t.id);
  gl_->glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  gl_->glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
  gl_->glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, image.width, image.height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                    image.pixels.data());
  // Nearest when magnified: a pixel of the working resolution stays a visible square when zoomed.
  gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
  gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  gl_->glBindTexture(GL_TEXTURE_2D, 0);
  t.width = image.width;
  t.height = image.height;
}

void ImagePanels::upload(const LoopSnapshot& s) {
  if (!s.photo_srgb.empty()) srgb_to_rgba(s.photo_srgb, scratch_), upload(photo_, scratch_);
  if (!s.render_srgb.empty()) srgb_to_rgba(s.render_srgb, scratch_), upload(render_, scratch_);
  if (!s.render_linear.empty()) linear_to_rgba(s.render_linear, scratch_), upload(linear_, scratch_);
  if (!s.error.empty()) {
    // Auto scale: the 98th percentile, rounded up to a twentieth, so a few outliers do not wash the
    // map out and the scale does not flicker from step to step.
    if (error_auto_) error_scale_ = std::max(0.05f, std::ceil(percentile(s.error, 0.98) * 20.f) / 20.f);
    heat_to_rgba(s.error, error_scale_, scratch_);
    upload(error_, scratch_);
  }
  if (!s.silhouette.empty()) silhouette_to_rgba(s.silhouette, s.mask, scratch_), upload(silhouette_, scratch_);
  stale_ = false;
}

void ImagePanels::draw_panel(const PanelContext& ctx, const char* key, const char* caption, const Texture& t,
                             float size, const char* legend) {
  const LoopSnapshot& snap = *ctx.snapshot;
  ImGui::BeginGroup();
  ImGui::TextUnformatted(caption);
  const float half = 0.5f / zoom_;
  const ImVec2 uv0(zoom_cx_ - half, zoom_cy_ - half), uv1(zoom_cx_ + half, zoom_cy_ + half);
  if (t.id) ImGui::Image(tex_id(t.id), ImVec2(size, size), uv0, uv1);
  else ImGui::Dummy(ImVec2(size, size));
  ctx.record_rect(key);
  if (ImGui::IsItemHovered()) {
    ImGuiIO& io = ImGui::GetIO();
    const ImVec2 a = ImGui::GetItemRectMin();
    const float u = uv0.x + (io.MousePos.x - a.x) / size * (uv1.x - uv0.x);
    const float v = uv0.y + (io.MousePos.y - a.y) / size * (uv1.y - uv0.y);
    if (io.MouseWheel != 0.f) {
      const float z = std::clamp(zoom_ * std::pow(1.25f, io.MouseWheel), 1.f, 32.f);
      zoom_cx_ = u + (zoom_cx_ - u) * zoom_ / z;
      zoom_cy_ = v + (zoom_cy_ - v) * zoom_ / z;
      zoom_ = z;
    }
    if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
      zoom_cx_ -= io.MouseDelta.x / size / zoom_;
      zoom_cy_ -= io.MouseDelta.y / size / zoom_;
    }
    if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) zoom_ = 1.f;
    const float h = 0.5f / zoom_;
    zoom_cx_ = std::clamp(zoom_cx_, h, 1.f - h);
    zoom_cy_ = std::clamp(zoom_cy_, h, 1.f - h);
    // The values under the cursor.
    const int S = t.width;
    const int px = static_cast<int>(u * S), py = static_cast<int>(v * S);
    if (S > 0 && px >= 0 && py >= 0 && px < S && py < S && !snap.error.empty()) {
      const int64_t i = static_cast<int64_t>(py) * S + px, plane = static_cast<int64_t>(S) * S;
      ImGui::SetTooltip("%s%spixel (%d, %d)\nphoto  %.3f %.3f %.3f\nrender %.3f %.3f %.3f\nerror  %.3f",
                        legend ? legend : "", legend ? "\n" : "", px, py, snap.photo_srgb[i],
                        snap.photo_srgb[plane + i], snap.photo_srgb[2 * plane + i], snap.render_srgb[i],
                        snap.render_srgb[plane + i], snap.render_srgb[2 * plane + i], snap.error[i]);
    }
  }
  ImGui::EndGroup();
}

void ImagePanels::draw(const PanelContext& ctx, float width, const std::vector<std::string>& photo_names) {
  const LoopSnapshot& snap = *ctx.snapshot;
  if (stale_ && gl_) upload(snap);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float size = std::floor(std::min((width - 4 * spacing) / 5.f, 0.42f * ImGui::GetMainViewport()->WorkSize.y));
  std::string photo_caption = "Photo";
  if (snap.photo >= 0 && snap.photo < static_cast<int>(photo_names.size()))
    photo_caption += ": " + photo_names[static_cast<size_t>(snap.photo)];
  draw_panel(ctx, "photo", photo_caption.c_str(), photo_, size);
  ImGui::SameLine();
  draw_panel(ctx, "render", "Render (after ISP)", render_, size);
  ImGui::SameLine();
  draw_panel(ctx, "linear", "Linear render (before ISP)", linear_, size);
  ImGui::SameLine();
  char caption[64];
  std::snprintf(caption, sizeof caption, "|Error|, 0 – %.2f", error_scale_);
  draw_panel(ctx, "error", caption, error_, size);
  if (ImGui::IsItemHovered() && !ImGui::IsPopupOpen("error_scale") && ImGui::IsMouseClicked(ImGuiMouseButton_Right))
    ImGui::OpenPopup("error_scale");
  if (ImGui::BeginPopup("error_scale")) {
    if (ImGui::Checkbox("automatic scale", &error_auto_)) stale_ = true;
    if (ImGui::SliderFloat("heat map top", &error_scale_, 0.02f, 1.f, "%.2f")) {
      error_auto_ = false;
      stale_ = true;
    }
    ImGui::EndPopup();
  }
  ImGui::SameLine();
  draw_panel(ctx, "silhouette", snap.mask.empty() ? "Silhouette" : "Silhouette vs mask", silhouette_, size,
             snap.mask.empty() ? nullptr : "grey: render and mask, orange: render only, blue: mask only");
}

}  // namespace invgfx
