// The dashboard's camera panel: every field of the fitted camera — sensor and ISP stages — as the
// loop's traversal lists it (core/traverse.h), one widget per field chosen by its kind, range, unit
// and flags (a checkbox for a switch, a list for a choice, a slider within the range, logarithmic
// where the field says so; structural fields shown but fixed), and each stage's response to a grey
// ramp drawn through that stage's own forward. An edit goes to the loop as one command
// (Loop::set_camera_field), so it reaches the render and the development of RAW photos alike;
// a refused value is shown under the panel.
#pragma once

#include "app/gui/panel.h"
#include "isp/pipeline.h"

#include <nlohmann/json.hpp>

#include <future>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace invgfx {

class IspPanel {
 public:
  void draw(const PanelContext& ctx);
  // The path of every widget's change: camera field `name` ← `values`, through the loop.
  void edit(LoopRunner& runner, const std::string& name, const std::vector<double>& values);
  // Takes the outcome of finished edits (draw does it every frame); error() is the last refusal.
  void poll_results();
  const std::string& error() const { return error_; }

 private:
  void draw_field(const PanelContext& ctx, const CameraField& field);
  void draw_response(const std::string& stage);

  nlohmann::json built_from_;  // the camera configuration `response_isp_` was built from
  IspPipeline response_isp_;   // a copy of the camera's chain whose stages draw their responses
  Tensor ramp_, response_;
  std::map<std::string, std::vector<double>> pending_;  // edits the snapshot does not show yet
  std::vector<std::pair<std::string, std::future<void>>> in_flight_;
  std::string error_;
};

}  // namespace invgfx
