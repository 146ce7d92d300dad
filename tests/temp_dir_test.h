// A GoogleTest fixture with a fresh temporary folder per test (named after the suite, the test and
// the process, so parallel ctest runs do not collide), removed afterwards unless the environment
// sets INVGFX_KEEP_TEST_FILES (to look at what a test wrote).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace invgfx {

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("invgfx_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (std::getenv("INVGFX_KEEP_TEST_FILES") == nullptr) std::filesystem::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

}  // namespace invgfx
