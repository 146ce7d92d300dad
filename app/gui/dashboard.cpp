#include "app/gui/dashboard.h"

#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace invgfx {
namespace {

ImTextureID tex_id(unsigned id) { return reinterpret_cast<ImTextureID>(static_cast<uintptr_t>(id)); }

// Series colours of the loss plot: the total in white, then a qualitative palette (Tableau 10).
ImU32 series_color(int i) {
  static const ImU32 palette[] = {IM_COL32(78, 121, 167, 255), IM_COL32(242, 142, 43, 255),
                                  IM_COL32(225, 87, 89, 255),  IM_COL32(118, 183, 178, 255),
                                  IM_COL32(89, 161, 79, 255),  IM_COL32(237, 201, 72, 255),
                                  IM_COL32(176, 122, 161, 255), IM_COL32(255, 157, 167, 255),
                                  IM_COL32(156, 117, 95, 255), IM_COL32(186, 176, 172, 255)};
  return i < 0 ? IM_COL32(240, 240, 240, 255) : palette[i % 10];
}

void help_marker(const char* text) {
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", text);
}

const char* phase_name(LoopPhase p) { return to_string(p); }

}  // namespace

void Dashboard::set_runner(LoopRunner* runner) {
  runner_ = runner;
  snapshot_version_ = 0;
  history_.clear();
  history_generation_ = ~uint64_t{0};
  textures_stale_ = mesh_stale_ = true;
  zoom_ = 1.f;
  zoom_cx_ = zoom_cy_ = 0.5f;
  controls_ = {};
  if (!runner_) return;
  runner_->call([this](Loop& loop) {
    controls_.groups = loop.group_names();
    for (const auto& g : controls_.groups) controls_.group_settings[g] = loop.group(g);
    controls_.weights = loop.config().weights;
    controls_.render = loop.config().render;
    controls_.iterations = loop.config().iterations;
    controls_.lr = loop.config().lr;
    const nlohmann::json isp = loop.isp().to_json();
    for (const auto& s : isp.value("stages", nlohmann::json::array()))
      controls_.isp_stages.emplace_back(s.value("stage", std::string("?")), s.value("enabled", true));
  });
}

void Dashboard::init_gl(QOpenGLExtraFunctions* gl) {
  gl_ = gl;
  mesh_view_.init(gl);
  textures_stale_ = mesh_stale_ = true;
}

void Dashboard::cleanup_gl() {
  if (!gl_) return;
  for (Texture* t : {&photo_tex_, &render_tex_, &linear_tex_, &error_tex_, &silhouette_tex_}) {
    if (t->id) gl_->glDeleteTextures(1, &t->id);
    *t = {};
  }
  mesh_view_.cleanup();
  gl_ = nullptr;
}

void Dashboard::upload(Texture& t, const Rgba8Image& image) {
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

bool Dashboard::refresh() {
  if (!runner_) return false;
  bool changed = false;
  if (runner_->copy_snapshot(snapshot_, snapshot_version_)) {
    textures_stale_ = mesh_stale_ = true;
    changed = true;
  }
  const size_t before = history_.size();
  const uint64_t generation = history_generation_;
  runner_->copy_history(history_, history_generation_);
  changed = changed || history_.size() != before || generation != history_generation_;
  return changed;
}

void Dashboard::frame() {
  refresh();
  if (gl_ && textures_stale_ && has_snapshot()) {
    if (!snapshot_.photo_srgb.empty()) srgb_to_rgba(snapshot_.photo_srgb, scratch_), upload(photo_tex_, scratch_);
    if (!snapshot_.render_srgb.empty()) srgb_to_rgba(snapshot_.render_srgb, scratch_), upload(render_tex_, scratch_);
    if (!snapshot_.render_linear.empty())
      linear_to_rgba(snapshot_.render_linear, scratch_), upload(linear_tex_, scratch_);
    if (!snapshot_.error.empty()) {
      // Auto scale: the 98th percentile, rounded up to a twentieth, so a few outliers do not wash
      // the map out and the scale does not flicker from step to step.
      if (error_auto_) error_scale_ = std::max(0.05f, std::ceil(percentile(snapshot_.error, 0.98) * 20.f) / 20.f);
      heat_to_rgba(snapshot_.error, error_scale_, scratch_);
      upload(error_tex_, scratch_);
    }
    if (!snapshot_.silhouette.empty())
      silhouette_to_rgba(snapshot_.silhouette, snapshot_.mask, scratch_), upload(silhouette_tex_, scratch_);
    textures_stale_ = false;
  }
  if (gl_ && mesh_stale_ && has_snapshot()) {
    mesh_view_.set_mesh(snapshot_.mesh);
    mesh_stale_ = false;
  }
  if (orbit_.turntable) orbit_.yaw += orbit_.turntable_speed * ImGui::GetIO().DeltaTime;

  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::Begin("dashboard", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollbar);
  rects_.clear();
  if (!runner_) {
    ImGui::TextDisabled("No photos loaded. File > Open Photos... or drop photos or a folder here.");
    ImGui::End();
    return;
  }

  const float controls_width = panels_.controls ? std::clamp(vp->WorkSize.x * 0.24f, 300.f, 400.f) : 0.f;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float main_width = ImGui::GetContentRegionAvail().x - (panels_.controls ? controls_width + spacing : 0.f);

  ImGui::BeginChild("main", ImVec2(main_width, 0), false, ImGuiWindowFlags_NoScrollbar);
  draw_toolbar();
  if (panels_.images) draw_images(main_width);
  const float rest = ImGui::GetContentRegionAvail().y;
  if (panels_.plots || panels_.mesh) {
    const bool both = panels_.plots && panels_.mesh;
    const float mesh_width = panels_.mesh ? (both ? std::min(rest, main_width * 0.42f) : main_width) : 0.f;
    const float plot_width = panels_.plots ? main_width - (both ? mesh_width + spacing : 0.f) : 0.f;
    if (panels_.plots) draw_plot(plot_width, rest);
    if (both) ImGui::SameLine();
    if (panels_.mesh) draw_mesh(mesh_width, rest);
  }
  ImGui::EndChild();

  if (panels_.controls) {
    ImGui::SameLine();
    ImGui::BeginChild("controls", ImVec2(controls_width, 0), true);
    draw_controls();
    ImGui::EndChild();
  }
  ImGui::End();
}

void Dashboard::draw_toolbar() {
  const RunnerStatus st = runner_->status();
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
  ImGui::Text("iteration %lld / %d   %s   loss %.4g   %.1f steps/s", static_cast<long long>(st.iteration),
              controls_.iterations, phase_name(st.phase), st.loss, st.steps_per_second);
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

void Dashboard::record_rect(const char* key) {
  const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
  rects_[key] = {a.x, a.y, b.x - a.x, b.y - a.y};
}

void Dashboard::draw_image_panel(const char* key, const char* caption, const Texture& t, float size,
                                 const char* legend) {
  ImGui::BeginGroup();
  ImGui::TextUnformatted(caption);
  const float half = 0.5f / zoom_;
  const ImVec2 uv0(zoom_cx_ - half, zoom_cy_ - half), uv1(zoom_cx_ + half, zoom_cy_ + half);
  if (t.id) {
    ImGui::Image(tex_id(t.id), ImVec2(size, size), uv0, uv1);
  } else {
    ImGui::Dummy(ImVec2(size, size));
  }
  record_rect(key);
  // Wheel zooms about the cursor and drag pans, for all panels at once, so they stay aligned;
  // double-click goes back to the whole image.
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
    // The value under the cursor.
    const int S = t.width;
    const int px = static_cast<int>(u * S), py = static_cast<int>(v * S);
    if (S > 0 && px >= 0 && py >= 0 && px < S && py < S && !snapshot_.error.empty()) {
      const int64_t i = static_cast<int64_t>(py) * S + px, plane = static_cast<int64_t>(S) * S;
      ImGui::SetTooltip("%s%spixel (%d, %d)\nphoto  %.3f %.3f %.3f\nrender %.3f %.3f %.3f\nerror  %.3f",
                        legend ? legend : "", legend ? "\n" : "", px, py,
                        snapshot_.photo_srgb[i], snapshot_.photo_srgb[plane + i], snapshot_.photo_srgb[2 * plane + i],
                        snapshot_.render_srgb[i], snapshot_.render_srgb[plane + i],
                        snapshot_.render_srgb[2 * plane + i], snapshot_.error[i]);
    }
  }
  ImGui::EndGroup();
}

void Dashboard::draw_images(float width) {
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float size = std::floor(std::min((width - 4 * spacing) / 5.f, 0.42f * ImGui::GetMainViewport()->WorkSize.y));
  std::string photo_caption = "Photo";
  if (snapshot_.photo >= 0 && snapshot_.photo < static_cast<int>(photo_names_.size()))
    photo_caption += ": " + photo_names_[static_cast<size_t>(snapshot_.photo)];
  draw_image_panel("photo", photo_caption.c_str(), photo_tex_, size);
  ImGui::SameLine();
  draw_image_panel("render", "Render (after ISP)", render_tex_, size);
  ImGui::SameLine();
  draw_image_panel("linear", "Linear render (before ISP)", linear_tex_, size);
  ImGui::SameLine();
  char caption[64];
  std::snprintf(caption, sizeof caption, "|Error|, 0 – %.2f", error_scale_);
  draw_image_panel("error", caption, error_tex_, size);
  if (ImGui::IsItemHovered() && !ImGui::IsPopupOpen("error_scale") && ImGui::IsMouseClicked(ImGuiMouseButton_Right))
    ImGui::OpenPopup("error_scale");
  if (ImGui::BeginPopup("error_scale")) {
    if (ImGui::Checkbox("automatic scale", &error_auto_)) textures_stale_ = true;
    if (ImGui::SliderFloat("heat map top", &error_scale_, 0.02f, 1.f, "%.2f")) {
      error_auto_ = false;
      textures_stale_ = true;
    }
    ImGui::EndPopup();
  }
  ImGui::SameLine();
  draw_image_panel("silhouette", snapshot_.mask.empty() ? "Silhouette" : "Silhouette vs mask", silhouette_tex_, size,
                   snapshot_.mask.empty() ? nullptr : "grey: render and mask, orange: render only, blue: mask only");
}

void Dashboard::draw_plot(float width, float height) {
  ImGui::BeginChild("plot", ImVec2(width, height), true);
  ImGui::TextUnformatted("Loss");
  ImGui::SameLine();
  ImGui::Checkbox("log scale", &log_scale_);
  // Series: total, then each term (names from the latest step).
  std::vector<std::string> names = {"total"};
  std::vector<int> term_of = {-1};
  if (!history_.empty())
    for (int t = 0; t < kNumLossTerms; ++t)
      if (std::isfinite(history_.back().terms[static_cast<size_t>(t)])) {
        names.push_back(loss_terms()[static_cast<size_t>(t)].name);
        term_of.push_back(t);
      }
  if (term_visible_.size() != names.size()) term_visible_.assign(names.size(), true);
  auto value_of = [&](const StepInfo& s, size_t series) -> double {
    if (series == 0) return s.loss;
    return s.terms[static_cast<size_t>(term_of[series])];
  };

  // Legend with the current values, wrapped to the panel; clicking a name hides or shows its curve.
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  for (size_t k = 0; k < names.size(); ++k) {
    const double current = history_.empty() ? std::nan("") : value_of(history_.back(), k);
    char label[96];
    std::snprintf(label, sizeof label, "%s %.4g##legend%zu", names[k].c_str(), current, k);
    if (k > 0) {
      const float w = ImGui::CalcTextSize(label, nullptr, true).x + 2 * ImGui::GetStyle().FramePadding.x;
      if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + w < right) ImGui::SameLine();
    }
    const ImU32 c = series_color(static_cast<int>(k) - 1);
    ImGui::PushStyleColor(ImGuiCol_Text, term_visible_[k] ? ImGui::ColorConvertU32ToFloat4(c)
                                                          : ImVec4(0.45f, 0.45f, 0.45f, 1.f));
    if (ImGui::SmallButton(label)) term_visible_[k] = !term_visible_[k];
    ImGui::PopStyleColor();
  }

  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float left = 58.f, bottom = 22.f;
  const ImVec2 p0(origin.x + left, origin.y + 4.f);
  const ImVec2 p1(origin.x + avail.x - 6.f, origin.y + avail.y - bottom);
  ImGui::InvisibleButton("plot_area", ImVec2(std::max(1.f, avail.x), std::max(1.f, avail.y)));
  record_rect("plot");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p0, p1, IM_COL32(24, 25, 28, 255));
  dl->AddRect(p0, p1, IM_COL32(80, 80, 86, 255));
  if (history_.empty() || p1.x - p0.x < 20 || p1.y - p0.y < 20) {
    dl->AddText(ImVec2(p0.x + 8, p0.y + 8), IM_COL32(150, 150, 150, 255), "no steps yet — press Start or Step");
    ImGui::EndChild();
    return;
  }

  auto transform = [&](double v) { return log_scale_ ? std::log10(v) : v; };
  double lo = DBL_MAX, hi = -DBL_MAX;
  for (const StepInfo& s : history_)
    for (size_t k = 0; k < names.size(); ++k) {
      if (!term_visible_[k]) continue;
      const double v = value_of(s, k);
      if (!std::isfinite(v) || (log_scale_ && v <= 0)) continue;
      lo = std::min(lo, transform(v));
      hi = std::max(hi, transform(v));
    }
  if (lo > hi) lo = 0, hi = 1;
  if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
  const double pad = 0.04 * (hi - lo);
  lo -= pad;
  hi += pad;
  const double x0 = static_cast<double>(history_.front().iteration);
  const double x1 = std::max(x0 + 1.0, static_cast<double>(history_.back().iteration));
  auto to_screen = [&](double x, double y) {
    return ImVec2(p0.x + static_cast<float>((x - x0) / (x1 - x0)) * (p1.x - p0.x),
                  p1.y - static_cast<float>((y - lo) / (hi - lo)) * (p1.y - p0.y));
  };

  // Grid: decades on a log axis, five divisions on a linear one.
  char text[32];
  if (log_scale_) {
    for (double d = std::ceil(lo); d <= hi; d += 1.0) {
      const ImVec2 a = to_screen(x0, d);
      dl->AddLine(ImVec2(p0.x, a.y), ImVec2(p1.x, a.y), IM_COL32(60, 60, 66, 255));
      std::snprintf(text, sizeof text, "1e%d", static_cast<int>(d));
      dl->AddText(ImVec2(origin.x + 4, a.y - 7), IM_COL32(170, 170, 170, 255), text);
    }
  } else {
    for (int k = 0; k <= 4; ++k) {
      const double y = lo + (hi - lo) * k / 4.0;
      const ImVec2 a = to_screen(x0, y);
      dl->AddLine(ImVec2(p0.x, a.y), ImVec2(p1.x, a.y), IM_COL32(60, 60, 66, 255));
      std::snprintf(text, sizeof text, "%.3g", y);
      dl->AddText(ImVec2(origin.x + 4, a.y - 7), IM_COL32(170, 170, 170, 255), text);
    }
  }
  for (int k = 0; k <= 4; ++k) {
    const double x = x0 + (x1 - x0) * k / 4.0;
    const ImVec2 a = to_screen(x, lo);
    std::snprintf(text, sizeof text, "%.0f", x);
    dl->AddText(ImVec2(a.x - (k == 4 ? 24.f : k == 0 ? 0.f : 10.f), p1.y + 4), IM_COL32(170, 170, 170, 255), text);
  }

  // Curves: at most one vertex per horizontal pixel (the mean over the steps that fall on it).
  dl->PushClipRect(p0, p1, true);
  std::vector<ImVec2> points;
  const int columns = std::max(2, static_cast<int>(p1.x - p0.x));
  for (size_t k = names.size(); k-- > 0;) {
    if (!term_visible_[k]) continue;
    points.clear();
    int column = -1;
    double sum = 0, xs = 0;
    int count = 0;
    auto flush = [&] {
      if (count > 0) points.push_back(to_screen(xs / count, sum / count));
      sum = xs = 0;
      count = 0;
    };
    for (const StepInfo& s : history_) {
      const double v = value_of(s, k);
      if (!std::isfinite(v) || (log_scale_ && v <= 0)) continue;
      const int c = static_cast<int>((s.iteration - x0) / (x1 - x0) * columns);
      if (c != column) flush(), column = c;
      sum += transform(v);
      xs += static_cast<double>(s.iteration);
      ++count;
    }
    flush();
    const ImU32 color = series_color(static_cast<int>(k) - 1);
    if (points.size() == 1) dl->AddCircleFilled(points[0], 2.5f, color);
    if (points.size() > 1) dl->AddPolyline(points.data(), static_cast<int>(points.size()), color, 0, k == 0 ? 2.f : 1.3f);
  }
  // Rolled-back steps as red ticks.
  for (const StepInfo& s : history_)
    if (!s.applied) {
      const ImVec2 a = to_screen(static_cast<double>(s.iteration), lo);
      dl->AddLine(ImVec2(a.x, p0.y), ImVec2(a.x, p1.y), IM_COL32(220, 60, 60, 140));
    }
  dl->PopClipRect();

  if (ImGui::IsItemHovered()) {
    const double x = x0 + (ImGui::GetIO().MousePos.x - p0.x) / (p1.x - p0.x) * (x1 - x0);
    auto it = std::lower_bound(history_.begin(), history_.end(), x,
                               [](const StepInfo& s, double v) { return static_cast<double>(s.iteration) < v; });
    if (it == history_.end()) --it;
    std::string tip = "iteration " + std::to_string(it->iteration) + " (" + phase_name(it->phase) + ")";
    for (size_t k = 0; k < names.size(); ++k) {
      std::snprintf(text, sizeof text, "\n%-10s %.5g", names[k].c_str(), value_of(*it, k));
      tip += text;
    }
    if (!it->applied) tip += "\nrolled back: " + it->event;
    ImGui::SetTooltip("%s", tip.c_str());
  }
  ImGui::EndChild();
}

void Dashboard::draw_mesh(float width, float height) {
  ImGui::BeginChild("mesh", ImVec2(width, height), true, ImGuiWindowFlags_NoScrollbar);
  ImGui::TextUnformatted("3D view");
  ImGui::SameLine();
  ImGui::Checkbox("turntable", &orbit_.turntable);
  ImGui::SameLine();
  ImGui::TextDisabled("drag: orbit, wheel: zoom");
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float s = std::max(16.f, std::min(avail.x, avail.y));
  const float dpr = ImGui::GetIO().DisplayFramebufferScale.x;
  const unsigned id = mesh_view_.render(static_cast<int>(s * dpr), static_cast<int>(s * dpr), orbit_);
  ImGui::SetCursorPos(ImVec2(ImGui::GetCursorPosX() + 0.5f * (avail.x - s), ImGui::GetCursorPosY() + 0.5f * (avail.y - s)));
  if (id) {
    // Framebuffer rows start at the bottom.
    ImGui::Image(tex_id(id), ImVec2(s, s), ImVec2(0, 1), ImVec2(1, 0));
  } else {
    ImGui::Dummy(ImVec2(s, s));
  }
  record_rect("mesh");
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

void Dashboard::draw_controls() {
  const ImGuiTreeNodeFlags open = ImGuiTreeNodeFlags_DefaultOpen;
  ImGui::PushItemWidth(-130.f);
  if (ImGui::CollapsingHeader("Run", open)) {
    int iterations = controls_.iterations;
    if (ImGui::InputInt("iterations", &iterations, 50, 500) && iterations > 0) {
      controls_.iterations = iterations;
      runner_->post([iterations](Loop& loop) { loop.set_iterations(iterations); });
    }
    int photo = snapshot_.photo;
    if (runner_->num_photos() > 1 &&
        ImGui::SliderInt("photo", &photo, 0, runner_->num_photos() - 1) && photo != snapshot_.photo)
      runner_->set_photo(photo);
  }

  if (ImGui::CollapsingHeader("Parameter groups", open)) {
    ImGui::TextDisabled("base lr %.2g; scale per group", controls_.lr);
    if (ImGui::BeginTable("groups", 3, ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("group", ImGuiTableColumnFlags_WidthFixed, 80.f);
      ImGui::TableSetupColumn("lr scale", ImGuiTableColumnFlags_WidthStretch);
      ImGui::TableSetupColumn("frozen", ImGuiTableColumnFlags_WidthFixed, 24.f);
      for (const std::string& g : controls_.groups) {
        GroupSettings& s = controls_.group_settings[g];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(g.c_str());
        ImGui::TableNextColumn();
        ImGui::SetNextItemWidth(-1);
        float scale = static_cast<float>(s.lr_scale);
        bool changed = ImGui::SliderFloat(("##lr" + g).c_str(), &scale, 1e-3f, 100.f, "%.3g",
                                          ImGuiSliderFlags_Logarithmic);
        if (changed) s.lr_scale = scale;
        ImGui::TableNextColumn();
        changed |= ImGui::Checkbox(("##frozen" + g).c_str(), &s.frozen);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("freeze %s", g.c_str());
        if (changed) {
          const GroupSettings copy = s;
          runner_->post([g, copy](Loop& loop) { loop.set_group(g, copy); });
        }
      }
      ImGui::EndTable();
    }
  }

  if (ImGui::CollapsingHeader("Loss weights", open)) {
    LossWeights& w = controls_.weights;
    bool changed = false;
    auto weight = [&](const char* name, double& v) {
      float f = static_cast<float>(v);
      if (ImGui::SliderFloat(name, &f, 0.f, 10.f, "%.3g", ImGuiSliderFlags_Logarithmic)) {
        v = f;
        changed = true;
      }
    };
    weight("pixel", w.pixel);
    int kind = w.pixel_kind == PixelLossKind::kL1 ? 0 : 1;
    if (ImGui::Combo("pixel loss", &kind, "L1\0Charbonnier\0")) {
      w.pixel_kind = kind == 0 ? PixelLossKind::kL1 : PixelLossKind::kCharbonnier;
      changed = true;
    }
    weight("ssim", w.ssim);
    weight("feature", w.feature);
    weight("silhouette", w.silhouette);
    int sil = w.silhouette_kind == SilhouetteLossKind::kIou ? 0 : 1;
    if (ImGui::Combo("silhouette loss", &sil, "IoU\0MSE\0")) {
      w.silhouette_kind = sil == 0 ? SilhouetteLossKind::kIou : SilhouetteLossKind::kMse;
      changed = true;
    }
    weight("laplacian", w.laplacian);
    weight("edge", w.edge);
    weight("normal", w.normal);
    weight("symmetry", w.symmetry);
    weight("isp prior", w.isp_prior);
    if (changed) {
      const LossWeights copy = w;
      runner_->post([copy](Loop& loop) { loop.set_loss_weights(copy); });
    }
  }

  if (ImGui::CollapsingHeader("Rasterizer", open)) {
    RenderOptions& r = controls_.render;
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
      runner_->post([copy](Loop& loop) { loop.set_render_options(copy); });
    }
  }

  if (ImGui::CollapsingHeader("Camera ISP", open)) draw_isp_controls();

  if (ImGui::CollapsingHeader("Scene")) {
    const Scene& s = snapshot_.scene;
    if (s.camera.numel() == 4)
      ImGui::Text("camera  az %.1f°  el %.1f°  dist %.2f  roll %.1f°", s.camera[0] * 180 / std::numbers::pi,
                  s.camera[1] * 180 / std::numbers::pi, s.camera[2], s.camera[3] * 180 / std::numbers::pi);
    if (s.background.numel() == 3)
      ImGui::Text("background  %.3f %.3f %.3f", s.background[0], s.background[1], s.background[2]);
    ImGui::Text("mesh  %lld vertices, %lld faces", static_cast<long long>(snapshot_.mesh.num_vertices()),
                static_cast<long long>(snapshot_.mesh.num_faces()));
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
  ImGui::PopItemWidth();
}

void Dashboard::draw_isp_controls() {
  const nlohmann::json& params = snapshot_.isp;
  for (auto& [name, enabled] : controls_.isp_stages) {
    ImGui::PushID(name.c_str());
    if (ImGui::Checkbox(name.c_str(), &enabled)) {
      const std::string n = name;
      const bool e = enabled;
      runner_->post([n, e](Loop& loop) { loop.set_isp_stage_enabled(n, e); });
    }
    if (!enabled || !params.is_object() || !params.contains(name) || !params[name].is_object()) {
      ImGui::PopID();
      continue;
    }
    const nlohmann::json& p = params[name];
    ImGui::Indent();
    if (name == "tone_curve") {
      // The curve drawn from its knots (identity when it has none), with the diagonal for reference.
      std::vector<double> ys;
      if (p.contains("values") && p["values"].is_array()) ys = p["values"].get<std::vector<double>>();
      const bool smooth = p.value("kind", std::string("pwl")) == "smoothstep";
      const float side = std::min(ImGui::GetContentRegionAvail().x, 170.f);
      const ImVec2 a = ImGui::GetCursorScreenPos();
      const ImVec2 b(a.x + side, a.y + side);
      ImDrawList* dl = ImGui::GetWindowDrawList();
      dl->AddRectFilled(a, b, IM_COL32(24, 25, 28, 255));
      dl->AddRect(a, b, IM_COL32(80, 80, 86, 255));
      dl->AddLine(ImVec2(a.x, b.y), ImVec2(b.x, a.y), IM_COL32(70, 70, 76, 255));
      std::vector<ImVec2> pts;
      const int n = 64;
      for (int i = 0; i <= n; ++i) {
        const double x = static_cast<double>(i) / n;
        double y = x;
        if (smooth) {
          y = 3 * x * x - 2 * x * x * x;
        } else if (ys.size() >= 2) {
          const double t = x * static_cast<double>(ys.size() - 1);
          const size_t k = std::min(ys.size() - 2, static_cast<size_t>(t));
          y = ys[k] + (t - static_cast<double>(k)) * (ys[k + 1] - ys[k]);
        }
        pts.emplace_back(a.x + static_cast<float>(x) * side, b.y - static_cast<float>(y) * side);
      }
      dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), IM_COL32(242, 142, 43, 255), 0, 2.f);
      ImGui::Dummy(ImVec2(side, side));
      record_rect("tone_curve");
    } else if (name == "color_matrix" && p.contains("matrix") && p["matrix"].is_array()) {
      if (ImGui::BeginTable("ccm", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
        for (const auto& row : p["matrix"])
          for (const auto& v : row) {
            ImGui::TableNextColumn();
            ImGui::Text("%+.3f", v.get<double>());
          }
        ImGui::EndTable();
      }
    } else {
      // Scalar parameters are editable: the stage receives its whole parameter object with the one
      // field changed (params_from_json validates ranges and throws with the field's name).
      for (auto it = p.begin(); it != p.end(); ++it) {
        const std::string key = it.key();
        if (it->is_number_float() || it->is_number_integer()) {
          float v = it->get<float>();
          const bool integer = it->is_number_integer();
          bool changed = integer ? false : ImGui::DragFloat(key.c_str(), &v, 0.005f);
          if (integer) ImGui::Text("%s  %d", key.c_str(), it->get<int>());
          if (changed) {
            nlohmann::json update = p;
            update[key] = v;
            const std::string n = name;
            runner_->post([n, update](Loop& loop) {
              if (IspStage* s = loop.isp().stage(n)) s->params_from_json(update);
            });
          }
          if (key == "log_gain_red" || key == "log_gain_blue") {
            ImGui::SameLine();
            ImGui::TextDisabled("×%.3f", std::exp(v));
          }
        } else if (it->is_boolean()) {
          ImGui::Text("%s  %s", key.c_str(), it->get<bool>() ? "on" : "off");
        } else if (it->is_array() && it->size() <= 8) {
          std::string s = key + " ";
          char v[16];
          for (const auto& x : *it)
            if (x.is_number()) std::snprintf(v, sizeof v, " %.3g", x.get<double>()), s += v;
          ImGui::TextUnformatted(s.c_str());
        } else if (it->is_string()) {
          ImGui::Text("%s  %s", key.c_str(), it->get<std::string>().c_str());
        }
      }
    }
    ImGui::Unindent();
    ImGui::PopID();
  }
}

}  // namespace invgfx
