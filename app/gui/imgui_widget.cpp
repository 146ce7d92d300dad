// Implementation of app/gui/imgui_widget.h.
#include "app/gui/imgui_widget.h"

#include <imgui.h>
#include <backends/imgui_impl_opengl3.h>

#include <QClipboard>
#include <QFileInfo>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

#include <string>

namespace invgfx {
namespace {

// Qt keys that ImGui 1.86 needs for navigation and text editing; KeysDown is indexed by ImGuiKey.
int imgui_key(int qt_key) {
  switch (qt_key) {
    case Qt::Key_Tab: return ImGuiKey_Tab;
    case Qt::Key_Left: return ImGuiKey_LeftArrow;
    case Qt::Key_Right: return ImGuiKey_RightArrow;
    case Qt::Key_Up: return ImGuiKey_UpArrow;
    case Qt::Key_Down: return ImGuiKey_DownArrow;
    case Qt::Key_PageUp: return ImGuiKey_PageUp;
    case Qt::Key_PageDown: return ImGuiKey_PageDown;
    case Qt::Key_Home: return ImGuiKey_Home;
    case Qt::Key_End: return ImGuiKey_End;
    case Qt::Key_Insert: return ImGuiKey_Insert;
    case Qt::Key_Delete: return ImGuiKey_Delete;
    case Qt::Key_Backspace: return ImGuiKey_Backspace;
    case Qt::Key_Space: return ImGuiKey_Space;
    case Qt::Key_Return: return ImGuiKey_Enter;
    case Qt::Key_Escape: return ImGuiKey_Escape;
    case Qt::Key_Enter: return ImGuiKey_KeyPadEnter;
    case Qt::Key_A: return ImGuiKey_A;
    case Qt::Key_C: return ImGuiKey_C;
    case Qt::Key_V: return ImGuiKey_V;
    case Qt::Key_X: return ImGuiKey_X;
    case Qt::Key_Y: return ImGuiKey_Y;
    case Qt::Key_Z: return ImGuiKey_Z;
    default: return -1;
  }
}

const char* get_clipboard(void* user) {
  auto* buffer = static_cast<std::string*>(user);
  *buffer = QGuiApplication::clipboard()->text().toStdString();
  return buffer->c_str();
}

void set_clipboard(void*, const char* text) { QGuiApplication::clipboard()->setText(QString::fromUtf8(text)); }

std::string& clipboard_buffer() {
  static std::string buffer;
  return buffer;
}

// Makes `ctx` current for the lifetime of the guard (each widget has its own context).
struct ContextGuard {
  explicit ContextGuard(ImGuiContext* ctx) : previous(ImGui::GetCurrentContext()) { ImGui::SetCurrentContext(ctx); }
  ~ContextGuard() { ImGui::SetCurrentContext(previous); }
  ImGuiContext* previous;
};

}  // namespace

ImGuiWidget::ImGuiWidget(QWidget* parent) : QOpenGLWidget(parent) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setAttribute(Qt::WA_InputMethodEnabled, true);
  setMinimumSize(320, 240);

  ContextGuard guard(nullptr);
  context_ = ImGui::CreateContext();
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is ours; QSettings keeps the rest
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  for (int k = 0; k < ImGuiKey_COUNT; ++k) io.KeyMap[k] = k;
  io.GetClipboardTextFn = get_clipboard;
  io.SetClipboardTextFn = set_clipboard;
  io.ClipboardUserData = &clipboard_buffer();

  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  style.WindowRounding = 0.f;
  style.FrameRounding = 3.f;
  style.GrabRounding = 3.f;
  style.WindowBorderSize = 0.f;
  style.ItemSpacing = ImVec2(6, 4);

  connect(&timer_, &QTimer::timeout, this, [this] {
    if (animating_ || settle_frames_ > 0) update();
  });
  timer_.start(33);
  clock_.start();
}

ImGuiWidget::~ImGuiWidget() {
  cleanup_gl();
  // QOpenGLWidget's destructor, which runs after this one, destroys the GL context and emits
  // aboutToBeDestroyed: the connection must not call cleanup_gl on an object that is no longer an
  // ImGuiWidget (UndefinedBehaviorSanitizer's "member call on ... not of type ImGuiWidget").
  QObject::disconnect(context_destroyed_);
  ContextGuard guard(context_);
  ImGui::DestroyContext(context_);
}

void ImGuiWidget::cleanup_gl() {
  if (!gl_ready_) return;
  makeCurrent();
  {
    ContextGuard guard(context_);
    if (gl_cleanup_) gl_cleanup_();
    ImGui_ImplOpenGL3_Shutdown();
  }
  doneCurrent();
  gl_ready_ = false;
}

void ImGuiWidget::set_animating(bool animate) {
  animating_ = animate;
  if (animate) update();
}

void ImGuiWidget::initializeGL() {
  initializeOpenGLFunctions();
  ContextGuard guard(context_);
  // The font is rasterised at the device pixel ratio and drawn scaled back, so text stays sharp.
  const float dpr = static_cast<float>(devicePixelRatioF());
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  // DejaVu Sans (Debian's fonts-dejavu-core) when present, for the dashes, σ, γ, × and ° the labels
  // use; ImGui's built-in font (ASCII only) otherwise.
  static const ImWchar ranges[] = {0x0020, 0x00FF, 0x0391, 0x03C9, 0x2010, 0x2027, 0x2190, 0x2193, 0};
  const char* dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  ImFont* font = nullptr;
  if (QFileInfo::exists(dejavu)) {
    ImFontConfig config;
    config.OversampleH = 2;
    font = io.Fonts->AddFontFromFileTTF(dejavu, 14.f * dpr, &config, ranges);
  }
  if (!font) {
    ImFontConfig config;
    config.SizePixels = 13.f * dpr;
    io.Fonts->AddFontDefault(&config);
  }
  io.FontGlobalScale = 1.f / dpr;
  ImGui_ImplOpenGL3_Init("#version 130");
  QObject::disconnect(context_destroyed_);  // a re-parented widget gets a new context
  context_destroyed_ = connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, [this] { cleanup_gl(); },
                               Qt::DirectConnection);
  gl_ready_ = true;
  if (gl_init_) gl_init_();
}

void ImGuiWidget::paintGL() {
  ContextGuard guard(context_);
  ImGuiIO& io = ImGui::GetIO();
  const float dpr = static_cast<float>(devicePixelRatioF());
  io.DisplaySize = ImVec2(static_cast<float>(width()), static_cast<float>(height()));
  io.DisplayFramebufferScale = ImVec2(dpr, dpr);
  const qint64 now = clock_.nsecsElapsed();
  io.DeltaTime = last_frame_ns_ > 0 ? std::max(1e-4f, static_cast<float>(now - last_frame_ns_) * 1e-9f) : 1.f / 60.f;
  last_frame_ns_ = now;

  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  if (frame_) frame_();
  ImGui::Render();

  glViewport(0, 0, static_cast<int>(width() * dpr), static_cast<int>(height() * dpr));
  glClearColor(0.11f, 0.11f, 0.12f, 1.f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  if (settle_frames_ > 0) --settle_frames_;
}

void ImGuiWidget::settle() {
  settle_frames_ = 3;
  update();
}

void ImGuiWidget::mouse_button(QMouseEvent* e, bool down) {
  ContextGuard guard(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.MousePos = ImVec2(static_cast<float>(e->position().x()), static_cast<float>(e->position().y()));
  int button = -1;
  switch (e->button()) {
    case Qt::LeftButton: button = 0; break;
    case Qt::RightButton: button = 1; break;
    case Qt::MiddleButton: button = 2; break;
    default: break;
  }
  if (button >= 0) io.MouseDown[button] = down;
  settle();
}

void ImGuiWidget::mousePressEvent(QMouseEvent* e) { mouse_button(e, true); }
void ImGuiWidget::mouseReleaseEvent(QMouseEvent* e) { mouse_button(e, false); }
void ImGuiWidget::mouseDoubleClickEvent(QMouseEvent* e) { mouse_button(e, true); }

void ImGuiWidget::mouseMoveEvent(QMouseEvent* e) {
  ContextGuard guard(context_);
  ImGui::GetIO().MousePos = ImVec2(static_cast<float>(e->position().x()), static_cast<float>(e->position().y()));
  settle();
}

void ImGuiWidget::leaveEvent(QEvent* e) {
  ContextGuard guard(context_);
  ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
  settle();
  QOpenGLWidget::leaveEvent(e);
}

void ImGuiWidget::wheelEvent(QWheelEvent* e) {
  ContextGuard guard(context_);
  ImGuiIO& io = ImGui::GetIO();
  // One notch is 120 eighths of a degree; ImGui counts notches. Pixel deltas (touchpads) have no
  // notches, so they are scaled to a comparable speed.
  const QPoint angle = e->angleDelta();
  if (!angle.isNull()) {
    io.MouseWheelH += static_cast<float>(angle.x()) / 120.f;
    io.MouseWheel += static_cast<float>(angle.y()) / 120.f;
  } else {
    const QPoint pixels = e->pixelDelta();
    io.MouseWheelH += static_cast<float>(pixels.x()) / 40.f;
    io.MouseWheel += static_cast<float>(pixels.y()) / 40.f;
  }
  e->accept();
  settle();
}

void ImGuiWidget::key_event(QKeyEvent* e, bool down) {
  ContextGuard guard(context_);
  ImGuiIO& io = ImGui::GetIO();
  const int k = imgui_key(e->key());
  if (k >= 0) io.KeysDown[k] = down;
  const Qt::KeyboardModifiers m = e->modifiers();
  io.KeyCtrl = m & Qt::ControlModifier;
  io.KeyShift = m & Qt::ShiftModifier;
  io.KeyAlt = m & Qt::AltModifier;
  io.KeySuper = m & Qt::MetaModifier;
  if (down && !e->text().isEmpty()) {
    for (const QChar c : e->text())
      if (c.isPrint()) io.AddInputCharacterUTF16(c.unicode());
  }
  settle();
}

void ImGuiWidget::keyPressEvent(QKeyEvent* e) {
  key_event(e, true);
  // Keys ImGui does not want go on to the window (menu shortcuts keep working).
  ContextGuard guard(context_);
  if (!ImGui::GetIO().WantCaptureKeyboard) QOpenGLWidget::keyPressEvent(e);
}

void ImGuiWidget::keyReleaseEvent(QKeyEvent* e) { key_event(e, false); }

void ImGuiWidget::focusOutEvent(QFocusEvent* e) {
  ContextGuard guard(context_);
  ImGuiIO& io = ImGui::GetIO();
  for (bool& k : io.KeysDown) k = false;
  for (bool& b : io.MouseDown) b = false;
  io.KeyCtrl = io.KeyShift = io.KeyAlt = io.KeySuper = false;
  settle();
  QOpenGLWidget::focusOutEvent(e);
}

bool ImGuiWidget::event(QEvent* e) {
  // Tab would otherwise move Qt's focus away instead of reaching ImGui.
  if (e->type() == QEvent::KeyPress && static_cast<QKeyEvent*>(e)->key() == Qt::Key_Tab) {
    keyPressEvent(static_cast<QKeyEvent*>(e));
    return true;
  }
  return QOpenGLWidget::event(e);
}

}  // namespace invgfx
