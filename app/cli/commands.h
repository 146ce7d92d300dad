// The subcommands of invgfx-cli. Each adds its subcommand with its options to the app and returns the
// function that runs it after parsing (exit code: 0 success, 1 bad input or failure, 128 + the signal
// when interrupted: 130 for Ctrl-C, 143 for SIGTERM).
// Errors are reported on one line, "invgfx-cli COMMAND: error: …", naming the file or argument.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace invgfx::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_fit_command(CLI::App& app);
Command add_render_command(CLI::App& app);
Command add_develop_command(CLI::App& app);
Command add_synth_command(CLI::App& app);
Command add_calibrate_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_predict_command(CLI::App& app);
Command add_eval_command(CLI::App& app);

// Prints "invgfx-cli <command>: error: <what>" on stderr with newlines folded to "; ", returns 1.
int report_error(const std::string& command, const std::string& what);

}  // namespace invgfx::cli
