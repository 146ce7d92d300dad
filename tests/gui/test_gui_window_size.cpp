// A window size beyond what OpenGL can draw (--window-size 100000x100000 once hung the window after
// "Framebuffer incomplete") is clamped to the GL limits, said on stderr and in the status bar, and the
// window still draws; a malformed size is refused with one line.
#include "app/gui/gl_limits.h"
#include "tests/gui/gui_test_env.h"

#include <QImage>
#include <QScreen>

#include <fstream>
#include <iterator>

namespace invgfx {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(GuiWindowSize, ClampsToWhatOpenGLCanDraw) {
  gui_test::app();
  const int limit = max_framebuffer_side();
  EXPECT_GE(limit, 4096);  // every GL 3 implementation allocates at least this
  QString note;
  EXPECT_EQ(clamp_window_size(QSize(800, 600), 1.0, QSize(1920, 1200), &note), QSize(800, 600));
  EXPECT_TRUE(note.isEmpty());
  // No screen bound: the GL limit in logical pixels (half the device pixels at a ratio of 2).
  EXPECT_EQ(clamp_window_size(QSize(100000, 600), 2.0, QSize(), &note), QSize(limit / 2, 600));
  EXPECT_TRUE(note.contains("Window size 100000x600 is beyond what the screen")) << note.toStdString();
  EXPECT_EQ(clamp_window_size(QSize(limit + 1, 600), 1.0, QSize(1920, 1200), &note), QSize(1920, 600));
  EXPECT_EQ(clamp_window_size(QSize(3000, 1800), 1.0, QSize(1920, 1200), &note), QSize(3000, 1800))
      << "a size OpenGL can draw is kept, even beyond the screen";
  EXPECT_EQ(clamp_window_size(QSize(0, -3), 1.0, QSize(1920, 1200), &note), QSize(1, 1));
}

TEST(GuiWindowSize, AHugeWindowSizeIsClampedAndTheWindowStillDraws) {
  const QSize screen = gui_test::app().primaryScreen()->virtualSize();  // the window's display
  const auto dir = gui_test::temp_dir("hugesize");
  const auto shot = dir / "shot.png", err = dir / "err.txt";
  const std::string cmd = std::string("timeout 300 \"") + INVGFX_GUI_EXE + "\" --window-size 100000x100000 --steps 1 --screenshot \"" +
                          shot.string() + "\" > /dev/null 2> \"" + err.string() + "\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_text(err);
  const std::string text = read_text(err);
  EXPECT_NE(text.find("invgfx: Window size 100000x100000 is beyond what the screen"), std::string::npos) << text;
  const QImage image(QString::fromStdString(shot.string()));
  ASSERT_FALSE(image.isNull()) << "no screenshot";
  // The window fits the screen (the private Xvfb's is 1920x1200, gui_test_env.h) and drew.
  EXPECT_LE(image.width(), screen.width());
  EXPECT_LE(image.height(), screen.height());
  EXPECT_GT(image.width(), std::min(screen.width(), 1600) / 2);
  std::filesystem::remove_all(dir);
}

TEST(GuiWindowSize, MalformedSizeIsRefused) {
  gui_test::ensure_display();
  const auto dir = gui_test::temp_dir("badsize");
  for (const char* size : {"abcxdef", "0x600", "5x-5", "800"}) {
    const auto err = dir / "err.txt";
    const std::string cmd = std::string("\"") + INVGFX_GUI_EXE + "\" --window-size " + size + " > /dev/null 2> \"" + err.string() + "\"";
    EXPECT_NE(std::system(cmd.c_str()), 0) << size;
    EXPECT_NE(read_text(err).find("--window-size needs WxH with positive integers"), std::string::npos) << size << read_text(err);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace invgfx
