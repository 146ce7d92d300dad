// Implementation of app/gui/loss_plot_panel.h.
#include "app/gui/loss_plot_panel.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>

namespace invgfx {

namespace {

// Series colours: the total in white, then a qualitative palette (Tableau 10).
ImU32 series_color(int i) {
  static const ImU32 palette[] = {IM_COL32(78, 121, 167, 255), IM_COL32(242, 142, 43, 255),
                                  IM_COL32(225, 87, 89, 255),  IM_COL32(118, 183, 178, 255),
                                  IM_COL32(89, 161, 79, 255),  IM_COL32(237, 201, 72, 255),
                                  IM_COL32(176, 122, 161, 255), IM_COL32(255, 157, 167, 255),
                                  IM_COL32(156, 117, 95, 255), IM_COL32(186, 176, 172, 255)};
  return i < 0 ? IM_COL32(240, 240, 240, 255) : palette[i % 10];
}

}  // namespace

void LossPlotPanel::draw(const PanelContext& ctx, float width, float height) {
  const std::vector<StepInfo>& history = *ctx.history;
  ImGui::BeginChild("plot", ImVec2(width, height), true);
  ImGui::TextUnformatted("Loss");
  ImGui::SameLine();
  ImGui::Checkbox("log scale", &log_scale_);
  // Series: total, then each term the latest step has on.
  std::vector<std::string> names = {"total"};
  std::vector<int> term_of = {-1};
  if (!history.empty())
    for (int t = 0; t < kNumLossTerms; ++t)
      if (std::isfinite(history.back().terms[static_cast<size_t>(t)])) {
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
    const double current = history.empty() ? std::nan("") : value_of(history.back(), k);
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
  ctx.record_rect("plot");
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p0, p1, IM_COL32(24, 25, 28, 255));
  dl->AddRect(p0, p1, IM_COL32(80, 80, 86, 255));
  if (history.empty() || p1.x - p0.x < 20 || p1.y - p0.y < 20) {
    dl->AddText(ImVec2(p0.x + 8, p0.y + 8), IM_COL32(150, 150, 150, 255), "no steps yet — press Start or Step");
    ImGui::EndChild();
    return;
  }

  auto transform = [&](double v) { return log_scale_ ? std::log10(v) : v; };
  double lo = DBL_MAX, hi = -DBL_MAX;
  for (const StepInfo& s : history)
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
  const double x0 = static_cast<double>(history.front().iteration);
  const double x1 = std::max(x0 + 1.0, static_cast<double>(history.back().iteration));
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
    for (const StepInfo& s : history) {
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
  for (const StepInfo& s : history)
    if (!s.applied) {
      const ImVec2 a = to_screen(static_cast<double>(s.iteration), lo);
      dl->AddLine(ImVec2(a.x, p0.y), ImVec2(a.x, p1.y), IM_COL32(220, 60, 60, 140));
    }
  dl->PopClipRect();

  if (ImGui::IsItemHovered()) {
    const double x = x0 + (ImGui::GetIO().MousePos.x - p0.x) / (p1.x - p0.x) * (x1 - x0);
    auto it = std::lower_bound(history.begin(), history.end(), x,
                               [](const StepInfo& s, double v) { return static_cast<double>(s.iteration) < v; });
    if (it == history.end()) --it;
    std::string tip = "iteration " + std::to_string(it->iteration) + " (" + to_string(it->phase) + ")";
    for (size_t k = 0; k < names.size(); ++k) {
      std::snprintf(text, sizeof text, "\n%-10s %.5g", names[k].c_str(), value_of(*it, k));
      tip += text;
    }
    if (!it->applied) tip += "\nrolled back: " + it->event;
    ImGui::SetTooltip("%s", tip.c_str());
  }
  ImGui::EndChild();
}

}  // namespace invgfx
