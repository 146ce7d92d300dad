// load_obj against hostile files: a coordinate that overflows to infinity (1e39 in a float), NaN
// texture coordinates, a FIFO and a folder given as the template. Each is refused with one line
// naming the file and what is wrong, never a mesh that turns every loss into NaN.
#include "render/obj_loader.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;
using test::error_of;

class ObjBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("invgfx_obj_bad_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(ObjBadInput, OverflowingCoordinateIsRefusedNamingTheVertex) {
  const fs::path p = write("big.obj", "v 0 0 0\nv 1 0 0\nv 0 1e39 0\nf 1 2 3\n");
  EXPECT_EQ(error_of([&] { load_obj<float>(p.string()); }),
            "load_obj: '" + p.string() + "': vertex 3 ('v' line) has a non-finite or out-of-range coordinate");
  const fs::path n = write("nan.obj", "v 0 0 0\nv 1 0 -1e40\nv 0 1 0\nf 1 2 3\n");
  EXPECT_NE(error_of([&] { load_obj<double>(n.string()); }).find("vertex 2 ('v' line)"), std::string::npos);
}

TEST_F(ObjBadInput, NonFiniteTextureCoordinateIsRefused) {
  const fs::path p = write("uv.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1e40 0\nvt 0 1\nf 1/1 2/2 3/3\n");
  EXPECT_EQ(error_of([&] { load_obj<float>(p.string()); }),
            "load_obj: '" + p.string() + "': texture coordinate 2 ('vt' line) has a non-finite or out-of-range coordinate");
}

TEST_F(ObjBadInput, FiniteMeshStillLoads) {
  const fs::path p = write("ok.obj", "v 0 0 0\nv 1 0 0\nv 0 1e30 0\nf 1 2 3\n");
  const Mesh m = load_obj<float>(p.string());
  EXPECT_EQ(m.num_vertices(), 3);
  EXPECT_FLOAT_EQ(m.positions[7], 1e30f);
}

TEST_F(ObjBadInput, FifoAndFolderAreRefusedWithoutBlocking) {
  const fs::path fifo = dir_ / "template.obj";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { load_obj<float>(fifo.string()); }),
            "load_obj: '" + fifo.string() + "': not a regular file (a FIFO)");
  EXPECT_EQ(error_of([&] { load_obj<float>(dir_.string()); }),
            "load_obj: '" + dir_.string() + "': not a regular file (a folder)");
}

}  // namespace
}  // namespace invgfx
