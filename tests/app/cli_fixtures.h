// Running invgfx-cli from a test: a fresh work folder, the command with its output captured, paths
// quoted for the shell.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>

namespace invgfx::test {

namespace fs = std::filesystem;

// A fresh, empty folder for one test under the build folder.
inline fs::path work_dir(const std::string& name) {
  const fs::path d = fs::path(INVGFX_BINARY_DIR) / "test_cli" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct CliRun {
  int code = -1;
  std::string out, err;
};

// Runs invgfx-cli with `args` (already shell-quoted) on `threads` OpenMP threads, stdout and stderr
// captured.
inline CliRun cli(const std::string& args, const fs::path& dir, int threads = 2) {
  const fs::path out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string cmd = "OMP_NUM_THREADS=" + std::to_string(threads) + " '" + INVGFX_CLI_EXE + "' " + args +
                          " >'" + out.string() + "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// A path quoted for the shell.
inline std::string q(const fs::path& p) {
  std::string s = "'";  // appended rather than operator+, which trips GCC 12's -Wrestrict when inlined
  s += p.string();
  s += "'";
  return s;
}

inline bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

}  // namespace invgfx::test
