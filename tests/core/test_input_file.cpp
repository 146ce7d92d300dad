// core/input_file.h and core/atomic_file.h's clean-up: a FIFO, a folder or an oversized file given
// where a file is read is refused at once with one line naming it (never a blocked read), a regular
// file is read whole, and the temporaries an interrupted atomic write left are removed when stale.
#include "core/atomic_file.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace invgfx {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("invgfx-input-file-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string error_of_read(const fs::path& p, uint64_t max_bytes) {
  try {
    read_input_file(p, "config file", max_bytes);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(InputFile, ReadsARegularFileWhole) {
  const fs::path d = fresh_dir("regular");
  std::ofstream(d / "a.json") << "{\"x\": 1}";
  EXPECT_EQ(read_input_file(d / "a.json", "config file", 100), "{\"x\": 1}");
  EXPECT_EQ(require_regular_file(d / "a.json", "config file", 100), 8u);
  EXPECT_EQ(regular_file_problem(d / "a.json", 100), "");
  fs::remove_all(d);
}

TEST(InputFile, RefusesAFifoAtOnceNamingIt) {
  const fs::path d = fresh_dir("fifo");
  const fs::path fifo = d / "photo.jpg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever opens the FIFO: a blocking open or read would hang this test (ctest's timeout).
  const std::string e = error_of_read(fifo, 1000);
  EXPECT_NE(e.find("config file '" + fifo.string() + "'"), std::string::npos) << e;
  EXPECT_NE(e.find("not a regular file (a FIFO)"), std::string::npos) << e;
  EXPECT_EQ(regular_file_problem(fifo, 1000), "not a regular file (a FIFO)");
  EXPECT_THROW(require_regular_file(fifo, "photo", 1000), std::runtime_error);
  fs::remove_all(d);
}

TEST(InputFile, RefusesFoldersDevicesMissingAndOversizedFiles) {
  const fs::path d = fresh_dir("kinds");
  EXPECT_NE(error_of_read(d, 1000).find("not a regular file (a folder)"), std::string::npos);
  EXPECT_NE(error_of_read("/dev/zero", 1000).find("not a regular file (a character device)"), std::string::npos);
  EXPECT_NE(error_of_read(d / "missing.json", 1000).find("no such file"), std::string::npos);
  std::ofstream(d / "big.json") << std::string(2048, ' ');
  const std::string e = error_of_read(d / "big.json", 1024);
  EXPECT_NE(e.find("2.0 KiB, more than the limit of 1.0 KiB"), std::string::npos) << e;
  fs::remove_all(d);
}

TEST(InputFile, FormatsSizesForMessages) {
  EXPECT_EQ(limits::format_bytes(512), "512 bytes");
  EXPECT_EQ(limits::format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(limits::format_bytes(3 * limits::kMiB), "3.0 MiB");
  EXPECT_EQ(limits::format_bytes(limits::kGiB * 25 / 2), "12.5 GiB");
}

TEST(AtomicFile, StaleTemporariesOfAnInterruptedWriteAreRemoved) {
  const fs::path d = fresh_dir("stale");
  const fs::path target = d / "session.bin";
  // What a checkpoint killed mid-write leaves: ".session.bin.tmp<random>"; and files that merely look alike.
  for (const char* name : {".session.bin.tmp123", ".session.bin.tmp98765", ".session.bin.tmpx1", "session.bin.tmp5",
                           ".other.bin.tmp7"})
    std::ofstream(d / name) << "partial";
  const auto old = fs::file_time_type::clock::now() - std::chrono::minutes(5);
  for (const auto& e : fs::directory_iterator(d)) fs::last_write_time(e.path(), old);
  std::ofstream(d / ".session.bin.tmp555") << "a write in progress";  // fresh: left alone

  EXPECT_EQ(remove_stale_temporaries(target), 2);
  EXPECT_FALSE(fs::exists(d / ".session.bin.tmp123"));
  EXPECT_FALSE(fs::exists(d / ".session.bin.tmp98765"));
  for (const char* kept : {".session.bin.tmpx1", "session.bin.tmp5", ".other.bin.tmp7", ".session.bin.tmp555"})
    EXPECT_TRUE(fs::exists(d / kept)) << kept;
  fs::remove_all(d);
}

}  // namespace
}  // namespace invgfx
