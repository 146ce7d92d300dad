// Shared set-up of the GUI tests: an X display with OpenGL (a private Xvfb started on a free display
// when none is given; Mesa's llvmpipe renders there), one QApplication for the process, and a tiny
// loop configuration so a step takes milliseconds.
#pragma once

#include "app/loop_config.h"

#include <QApplication>
#include <QStandardPaths>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace invgfx::gui_test {

// Starts `Xvfb -displayfd` (the server picks a free display and writes its number to the pipe, so
// parallel tests never race for one) unless $DISPLAY is set or $QT_QPA_PLATFORM chooses another
// platform. The server is killed at exit, and by the kernel when the test process dies.
inline bool ensure_display() {
  static bool ready = [] {
    if (std::getenv("QT_QPA_PLATFORM") && std::string(std::getenv("QT_QPA_PLATFORM")) != "xcb") return true;
    if (std::getenv("DISPLAY") && *std::getenv("DISPLAY")) return true;
    int fds[2];
    if (pipe(fds) != 0) return false;
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
      // The server dies with the test, however the test ends (a crash or a sanitizer abort skips
      // atexit): otherwise it is orphaned, and holding ctest's output pipe it stalls the whole run.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);  // the test died before prctl took effect
      close(fds[0]);
      const std::string fd = std::to_string(fds[1]);
      const int null = open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
      }
      execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "1920x1200x24", "-nolisten", "tcp",
             "+extension", "GLX", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    if (pid < 0) return false;
    std::string number;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') number += c;
    close(fds[0]);
    if (number.empty()) return false;
    static pid_t server = pid;
    std::atexit([] {
      kill(server, SIGTERM);
      waitpid(server, nullptr, 0);
    });
    setenv("DISPLAY", (":" + number).c_str(), 1);
    setenv("QT_QPA_PLATFORM", "xcb", 1);
    return true;
  }();
  return ready;
}

inline QApplication& app() {
  static QApplication* instance = [] {
    ensure_display();
    QStandardPaths::setTestModeEnabled(true);  // QSettings go to a test location, not the user's
    static int argc = 1;
    static char name[] = "invgfx_gui_tests";
    static char* argv[] = {name, nullptr};
    auto* a = new QApplication(argc, argv);
    QApplication::setOrganizationName("invgfx-tests");
    QApplication::setApplicationName("invgfx-tests");
    return a;
  }();
  return *instance;
}

inline std::filesystem::path samples_dir() { return std::filesystem::path(INVGFX_SOURCE_DIR) / "assets" / "samples"; }

// A small fit: 64 px, icosphere level 2, narrow networks, one photo per step.
inline LoopConfig tiny_config(int iterations = 400) {
  LoopConfig c = LoopConfig::preset("single_object");
  c.iterations = iterations;
  c.batch_size = 1;
  c.icosphere_level = 2;
  c.render.size = 64;
  c.encoder.channels = {16, 32, 32, 64};
  c.decoder.code_size = 64;
  c.decoder.texture_size = 32;
  c.features.channels = 16;
  c.log_interval = 1;
  return c;
}

inline std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("invgfx_gui_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace invgfx::gui_test
