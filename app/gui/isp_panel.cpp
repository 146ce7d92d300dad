// Implementation of app/gui/isp_panel.h.
#include "app/gui/isp_panel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace invgfx {

namespace {

constexpr int kRampSize = 64;

std::string stage_of(const std::string& field) { return field.substr(0, field.find('.')); }
std::string key_of(const std::string& field) { return field.substr(field.find('.') + 1); }

}  // namespace

void IspPanel::edit(LoopRunner& runner, const std::string& name, const std::vector<double>& values) {
  pending_[name] = values;
  in_flight_.emplace_back(name, runner.post([name, values](Loop& loop) { loop.set_camera_field(name, values); }));
}

void IspPanel::poll_results() {
  for (size_t i = 0; i < in_flight_.size();) {
    auto& [name, future] = in_flight_[i];
    if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      ++i;
      continue;
    }
    try {
      future.get();
      error_.clear();
    } catch (const std::exception& e) {
      error_ = e.what();
      pending_.erase(name);
    }
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

void IspPanel::draw(const PanelContext& ctx) {
  poll_results();
  const LoopSnapshot& snap = *ctx.snapshot;
  if (snap.isp != built_from_ && snap.isp.is_object()) {
    try {
      response_isp_ = IspPipeline::from_json(snap.isp);
    } catch (const std::exception&) {
      response_isp_ = IspPipeline();
    }
    built_from_ = snap.isp;
  }
  std::string stage;
  bool open = false;
  for (const CameraField& f : snap.camera) {
    const std::string s = stage_of(f.spec.name);
    if (s != stage) {
      if (open) {
        draw_response(stage);
        ImGui::Unindent(4.f);
        ImGui::PopID();
      }
      stage = s;
      ImGui::PushID(stage.c_str());
      open = true;
      ImGui::Indent(4.f);
    }
    draw_field(ctx, f);
  }
  if (open) {
    draw_response(stage);
    ImGui::Unindent(4.f);
    ImGui::PopID();
  }
  if (!error_.empty()) ImGui::TextColored(ImVec4(1.f, 0.35f, 0.3f, 1.f), "%s", error_.c_str());
}

void IspPanel::draw_field(const PanelContext& ctx, const CameraField& f) {
  const FieldSpec& spec = f.spec;
  std::vector<double> v = f.values;
  if (auto it = pending_.find(spec.name); it != pending_.end()) {
    if (it->second == f.values) pending_.erase(it);
    else v = it->second;
  }
  const std::string key = key_of(spec.name);
  const bool is_enable = key == "enabled";
  // A stage's switch heads its fields, unindented, with the stage's name.
  const std::string label = is_enable ? stage_of(spec.name) : key;
  if (is_enable) ImGui::Unindent(4.f);
  const bool fixed = !spec.editable();
  if (fixed) ImGui::BeginDisabled();
  bool changed = false;
  const float lo = static_cast<float>(std::max(spec.lo, -1e6)), hi = static_cast<float>(std::min(spec.hi, 1e6));
  const ImGuiSliderFlags flags = spec.has(field_flags::kLogScale) ? ImGuiSliderFlags_Logarithmic : 0;
  if (v.empty()) {
    ImGui::TextDisabled("%s  (none)", label.c_str());
  } else if (spec.kind == FieldKind::kBoolean) {
    bool b = v[0] != 0;
    if ((changed = ImGui::Checkbox(label.c_str(), &b))) v[0] = b ? 1 : 0;
  } else if (spec.kind == FieldKind::kChoice) {
    int c = static_cast<int>(v[0]);
    std::string items;
    for (const std::string& n : spec.choices) items += n + '\0';
    if ((changed = ImGui::Combo(label.c_str(), &c, items.c_str()))) v[0] = c;
  } else if (spec.kind == FieldKind::kInteger) {
    int x = static_cast<int>(v[0]);
    const bool small = spec.hi - spec.lo <= 64;
    changed = small ? ImGui::SliderInt(label.c_str(), &x, static_cast<int>(spec.lo), static_cast<int>(spec.hi))
                    : ImGui::InputInt(label.c_str(), &x);
    if (changed) v[0] = std::clamp<double>(x, spec.lo, spec.hi);
  } else if (spec.size >= 1 && spec.size <= 9 && static_cast<int>(v.size()) == spec.size) {
    // Up to three values per row (a 3×3 matrix reads as one), each within the field's range: a slider
    // for a single value in a short range, otherwise drags in steps of about 1% of the value.
    const bool bounded = std::isfinite(spec.lo) && std::isfinite(spec.hi) && spec.hi - spec.lo <= 100;
    for (size_t i0 = 0; i0 < v.size(); i0 += 3) {
      float x[3] = {};
      const int n = static_cast<int>(std::min<size_t>(3, v.size() - i0));
      for (int k = 0; k < n; ++k) x[k] = static_cast<float>(v[i0 + static_cast<size_t>(k)]);
      const std::string row = i0 == 0 ? label : "##" + label + std::to_string(i0);
      const float speed = bounded ? (hi - lo) / 400.f : 0.01f * std::max(0.1f, std::abs(x[0]));
      const bool c = n == 1 && bounded ? ImGui::SliderFloat(row.c_str(), x, lo, hi, "%.4g", flags)
                                       : ImGui::DragScalarN(row.c_str(), ImGuiDataType_Float, x, n, speed, &lo, &hi, "%.4g", flags);
      if (c) {
        for (int k = 0; k < n; ++k) v[i0 + static_cast<size_t>(k)] = x[k];
        changed = true;
      }
    }
  } else {
    // A long list (a curve's knots, a learned kernel): its extent, not a widget per number.
    const auto [mn, mx] = std::minmax_element(v.begin(), v.end());
    ImGui::TextDisabled("%s  %zu values in [%.3g, %.3g]", label.c_str(), v.size(), *mn, *mx);
  }
  if (fixed) ImGui::EndDisabled();
  if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
    std::string tip = spec.name;
    if (!spec.unit.empty()) tip += " (" + spec.unit + ")";
    if (std::isfinite(spec.lo) || std::isfinite(spec.hi)) {
      char range[64];
      std::snprintf(range, sizeof range, "\nrange [%g, %g]", spec.lo, spec.hi);
      tip += range;
    }
    if (spec.has(field_flags::kDifferentiable)) tip += "\ndifferentiable: a parameter gradients reach";
    if (fixed) tip += "\nfixed during a fit (it changes the shape of parameters or outputs)";
    ImGui::SetTooltip("%s", tip.c_str());
  }
  if (is_enable) ImGui::Indent(4.f);
  if (changed) edit(*ctx.runner, spec.name, v);
}

// The stage's response to a grey ramp 0..1 (per channel), through its own forward; nothing for a
// stage that does not map RGB to RGB (the sensor's mosaic, the demosaic).
void IspPanel::draw_response(const std::string& stage) {
  IspStage* s = response_isp_.stage(stage);
  if (!s || !s->enabled()) return;
  ramp_.resize({3, 1, kRampSize});
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < kRampSize; ++i) ramp_[c * kRampSize + i] = static_cast<float>(i) / (kRampSize - 1);
  try {
    s->forward(ramp_, response_);
  } catch (const std::exception&) {
    return;
  }
  if (response_.shape() != ramp_.shape()) return;
  const float width = std::min(ImGui::GetContentRegionAvail().x, 170.f), height = 0.55f * width;
  const ImVec2 a = ImGui::GetCursorScreenPos(), b(a.x + width, a.y + height);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(a, b, IM_COL32(24, 25, 28, 255));
  dl->AddRect(a, b, IM_COL32(80, 80, 86, 255));
  dl->AddLine(ImVec2(a.x, b.y), ImVec2(b.x, a.y), IM_COL32(70, 70, 76, 255));
  const ImU32 colours[3] = {IM_COL32(230, 90, 80, 255), IM_COL32(100, 200, 100, 255), IM_COL32(90, 140, 240, 255)};
  ImVec2 pts[kRampSize];
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < kRampSize; ++i) {
      const float y = std::clamp(response_[c * kRampSize + i], -0.05f, 1.05f);
      pts[i] = ImVec2(a.x + width * static_cast<float>(i) / (kRampSize - 1), b.y - y * height);
    }
    dl->AddPolyline(pts, kRampSize, colours[c], 0, 1.5f);
  }
  ImGui::Dummy(ImVec2(width, height));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s: response to a grey ramp 0..1, per channel", stage.c_str());
}

}  // namespace invgfx
