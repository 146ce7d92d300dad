// invgfx-cli: fit a scene to photos, train a reusable model on photos of one kind and predict new
// photos with it, render a fitted scene from a new view, develop a camera RAW, write a synthetic
// dataset, calibrate the ISP to a camera's JPEGs, score a fit against the truth. See commands.h and
// each *_command.cpp for the options.
#include "app/cli/commands.h"
#include "core/version.h"

#include <iostream>
#include <string>
#include <vector>

namespace invgfx::cli {

int report_error(const std::string& command, const std::string& what) {
  std::string line = what;
  for (size_t i = 0; (i = line.find('\n', i)) != std::string::npos;) line.replace(i, 1, "; ");
  std::cerr << "invgfx-cli " << command << ": error: " << line << std::endl;
  return 1;
}

}  // namespace invgfx::cli

int main(int argc, char** argv) {
  CLI::App app{"invgfx-cli: self-supervised inverse graphics from photos, headless.\n"
               "Recovers a textured mesh, lights, camera and the camera's ISP by optimising the\n"
               "differentiable loop photo → CNN → scene → rasterizer → sensor → ISP → loss."};
  app.set_version_flag("--version", std::string("invgfx-cli ") + invgfx::version_string());
  app.require_subcommand(1, 1);
  const std::vector<invgfx::cli::Command> commands = {
      invgfx::cli::add_fit_command(app), invgfx::cli::add_render_command(app),
      invgfx::cli::add_develop_command(app), invgfx::cli::add_synth_command(app),
      invgfx::cli::add_calibrate_command(app), invgfx::cli::add_train_command(app),
      invgfx::cli::add_predict_command(app), invgfx::cli::add_eval_command(app)};
  CLI11_PARSE(app, argc, argv);
  for (const auto& c : commands)
    if (c.app->parsed()) return c.run();
  return 1;
}
