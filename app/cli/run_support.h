// What the long-running subcommands (fit, train, predict) share: the output folder checked before
// any work, the stop signals (Ctrl-C, SIGTERM) that finish the current step, and the loading of
// photos with a progress line on a terminal.
#pragma once

#include "app/dataset.h"

#include <filesystem>
#include <string>
#include <vector>

namespace invgfx::cli {

// The folder must exist (or be creatable) and accept files. Throws std::runtime_error naming it.
void prepare_out_dir(const std::filesystem::path& out);

// Installs the handlers of SIGINT and SIGTERM; stop_signal() is then the signal that asked the run to
// stop, or 0.
void catch_stop_signals();
int stop_signal();

// load_dataset with "loading i/n name" on a terminal, cancelled by a stop signal (LoadCancelled), and
// every skipped photo named on stderr as "invgfx-cli COMMAND: skipped …".
Dataset load_photos(const std::string& command, const std::vector<std::filesystem::path>& inputs,
                    const DatasetOptions& options);

// "007_stem": a photo's output folder, numbered so that photos of the same stem do not collide.
std::string photo_folder_name(const Photo& p, int index);

}  // namespace invgfx::cli
