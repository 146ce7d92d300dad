// Implementation of app/gui/mesh_view.h.
#include "app/gui/mesh_view.h"

#include "app/gui/panel_image.h"

#include <QMatrix4x4>
#include <QOpenGLFramebufferObject>
#include <QOpenGLShaderProgram>

#include <algorithm>
#include <cmath>
#include <vector>

namespace invgfx {
namespace {

const char* kVertex = R"(#version 130
in vec3 position;
in vec3 normal;
in vec2 uv;
in vec3 color;
uniform mat4 mvp;
uniform mat4 model_view;
out vec3 v_normal;
out vec2 v_uv;
out vec3 v_color;
void main() {
  gl_Position = mvp * vec4(position, 1.0);
  v_normal = mat3(model_view) * normal;
  v_uv = uv;
  v_color = color;
}
)";

// Head light plus a little ambient, computed on linear albedo; output sRGB-encoded.
const char* kFragment = R"(#version 130
in vec3 v_normal;
in vec2 v_uv;
in vec3 v_color;
uniform sampler2D albedo;
uniform bool textured;
uniform float exposure;
out vec4 frag;
vec3 encode(vec3 x) {
  x = clamp(x, 0.0, 1.0);
  return mix(12.92 * x, 1.055 * pow(x, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, x));
}
void main() {
  vec3 n = normalize(v_normal);
  float diffuse = abs(n.z);
  vec3 a = textured ? texture(albedo, v_uv).rgb : v_color;
  frag = vec4(encode(exposure * a * (0.35 + 0.8 * diffuse)), 1.0);
}
)";

}  // namespace

MeshView::MeshView() = default;
MeshView::~MeshView() = default;

void MeshView::init(QOpenGLExtraFunctions* gl) {
  gl_ = gl;
  program_ = std::make_unique<QOpenGLShaderProgram>();
  program_->addShaderFromSourceCode(QOpenGLShader::Vertex, kVertex);
  program_->addShaderFromSourceCode(QOpenGLShader::Fragment, kFragment);
  program_->bindAttributeLocation("position", 0);
  program_->bindAttributeLocation("normal", 1);
  program_->bindAttributeLocation("uv", 2);
  program_->bindAttributeLocation("color", 3);
  program_->link();
  gl_->glGenVertexArrays(1, &vao_);
  gl_->glGenBuffers(1, &vbo_);
  gl_->glGenBuffers(1, &ibo_);
  gl_->glGenTextures(1, &texture_);
}

void MeshView::cleanup() {
  if (!gl_) return;
  gl_->glDeleteVertexArrays(1, &vao_);
  gl_->glDeleteBuffers(1, &vbo_);
  gl_->glDeleteBuffers(1, &ibo_);
  gl_->glDeleteTextures(1, &texture_);
  fbo_.reset();
  program_.reset();
  gl_ = nullptr;
  index_count_ = 0;
}

void MeshView::set_mesh(const Mesh& input) {
  if (!gl_ || input.num_vertices() == 0 || input.faces.empty()) {
    index_count_ = 0;
    return;
  }
  const Mesh m = input.has_uvs() ? split_uv_seams(input) : input;
  const int64_t nv = m.num_vertices();
  // Area-weighted vertex normals (the cross product's length is twice the face area).
  std::vector<float> normals(static_cast<size_t>(nv) * 3, 0.f);
  const float* p = m.positions.data();
  for (size_t f = 0; f + 2 < m.faces.size(); f += 3) {
    const int a = m.faces[f], b = m.faces[f + 1], c = m.faces[f + 2];
    const float e1[3] = {p[3 * b] - p[3 * a], p[3 * b + 1] - p[3 * a + 1], p[3 * b + 2] - p[3 * a + 2]};
    const float e2[3] = {p[3 * c] - p[3 * a], p[3 * c + 1] - p[3 * a + 1], p[3 * c + 2] - p[3 * a + 2]};
    const float n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]};
    for (int v : {a, b, c})
      for (int k = 0; k < 3; ++k) normals[3 * v + k] += n[k];
  }
  float lo[3] = {1e30f, 1e30f, 1e30f}, hi[3] = {-1e30f, -1e30f, -1e30f};
  for (int64_t v = 0; v < nv; ++v)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], p[3 * v + k]);
      hi[k] = std::max(hi[k], p[3 * v + k]);
    }
  radius_ = 1e-6f;
  for (int k = 0; k < 3; ++k) center_[k] = 0.5f * (lo[k] + hi[k]);
  for (int64_t v = 0; v < nv; ++v) {
    float d2 = 0;
    for (int k = 0; k < 3; ++k) d2 += (p[3 * v + k] - center_[k]) * (p[3 * v + k] - center_[k]);
    radius_ = std::max(radius_, std::sqrt(d2));
  }

  const bool textured = m.has_texture() && m.has_uvs();
  std::vector<float> vertices(static_cast<size_t>(nv) * 11);
  for (int64_t v = 0; v < nv; ++v) {
    float* out = &vertices[static_cast<size_t>(v) * 11];
    for (int k = 0; k < 3; ++k) out[k] = p[3 * v + k];
    const float* n = &normals[static_cast<size_t>(v) * 3];
    const float len = std::max(1e-12f, std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]));
    for (int k = 0; k < 3; ++k) out[3 + k] = n[k] / len;
    // Our texture row 0 is the top and v points up (render/export.h); GL's row 0 is v = 0, so the
    // rows are uploaded as they are and v is flipped here.
    out[6] = m.has_uvs() ? m.uvs[2 * v] : 0.f;
    out[7] = m.has_uvs() ? 1.f - m.uvs[2 * v + 1] : 0.f;
    for (int k = 0; k < 3; ++k) out[8 + k] = m.has_colors() ? m.colors[3 * v + k] : 0.5f;
  }
  gl_->glBindVertexArray(vao_);
  gl_->glBindBuffer(GL_ARRAY_BUFFER, vbo_);
  gl_->glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(vertices.size() * sizeof(float)), vertices.data(),
                    GL_DYNAMIC_DRAW);
  gl_->glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, ibo_);
  gl_->glBufferData(GL_ELEMENT_ARRAY_BUFFER, static_cast<GLsizeiptr>(m.faces.size() * sizeof(int32_t)),
                    m.faces.data(), GL_DYNAMIC_DRAW);
  const GLsizei stride = 11 * sizeof(float);
  const int sizes[4] = {3, 3, 2, 3}, offsets[4] = {0, 3, 6, 8};
  for (int a = 0; a < 4; ++a) {
    gl_->glEnableVertexAttribArray(a);
    gl_->glVertexAttribPointer(a, sizes[a], GL_FLOAT, GL_FALSE, stride,
                               reinterpret_cast<const void*>(static_cast<uintptr_t>(offsets[a] * sizeof(float))));
  }
  gl_->glBindVertexArray(0);
  index_count_ = static_cast<int>(m.faces.size());

  if (textured) {
    Rgba8Image image;
    // Stored linear; sRGB-encoded bytes lose less precision in the dark, decoded in the shader
    // would need an sRGB texture format, so the albedo is kept linear (shading is done on it).
    const Tensor& t = m.texture;
    // The fitted albedo carries whatever brightness the fitted light lacks; expose the view so the
    // brightest channel's mean sits at mid grey instead of clipping.
    double sums[3] = {0, 0, 0};
    const int64_t texels = t.dim(1) * t.dim(2);
    for (int k = 0; k < 3; ++k)
      for (int64_t i = 0; i < texels; ++i) sums[k] += t[k * texels + i];
    const double top = std::max({sums[0], sums[1], sums[2]}) / static_cast<double>(std::max<int64_t>(1, texels));
    exposure_ = static_cast<float>(std::clamp(0.45 / std::max(top, 1e-3), 0.25, 2.0));
    image.resize(static_cast<int>(t.dim(2)), static_cast<int>(t.dim(1)));
    const int64_t plane = t.dim(1) * t.dim(2);
    for (int64_t i = 0; i < plane; ++i) {
      for (int k = 0; k < 3; ++k)
        image.pixels[4 * i + k] = static_cast<uint8_t>(std::lround(std::clamp(t[k * plane + i], 0.f, 1.f) * 255.f));
      image.pixels[4 * i + 3] = 255;
    }
    // Row 0 (the top of the image, v = 1) must land at GL's t = 1: upload rows bottom-up.
    std::vector<uint8_t> flipped(image.pixels.size());
    const size_t row = static_cast<size_t>(image.width) * 4;
    for (int y = 0; y < image.height; ++y)
      std::copy_n(&image.pixels[static_cast<size_t>(y) * row], row,
                  &flipped[static_cast<size_t>(image.height - 1 - y) * row]);
    gl_->glBindTexture(GL_TEXTURE_2D, texture_);
    gl_->glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    gl_->glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    gl_->glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, image.width, image.height, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                      flipped.data());
    gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_REPEAT);
    gl_->glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    gl_->glBindTexture(GL_TEXTURE_2D, 0);
  }
  textured_ = textured;
}

unsigned MeshView::render(int w, int h, const OrbitView& view) {
  if (!gl_ || index_count_ == 0 || w < 8 || h < 8) return 0;
  if (!fbo_ || fbo_->width() != w || fbo_->height() != h)
    fbo_ = std::make_unique<QOpenGLFramebufferObject>(w, h, QOpenGLFramebufferObject::Depth);
  fbo_->bind();
  gl_->glViewport(0, 0, w, h);
  gl_->glClearColor(0.16f, 0.17f, 0.19f, 1.f);
  gl_->glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  gl_->glEnable(GL_DEPTH_TEST);
  gl_->glDisable(GL_CULL_FACE);
  gl_->glDisable(GL_BLEND);
  gl_->glDisable(GL_SCISSOR_TEST);

  QMatrix4x4 projection, model_view;
  projection.perspective(35.f, static_cast<float>(w) / static_cast<float>(h), 0.05f * radius_, 50.f * radius_);
  const float d = view.distance * radius_;
  const QVector3D eye(center_[0] + d * std::cos(view.pitch) * std::sin(view.yaw), center_[1] + d * std::sin(view.pitch),
                      center_[2] + d * std::cos(view.pitch) * std::cos(view.yaw));
  model_view.lookAt(eye, QVector3D(center_[0], center_[1], center_[2]), QVector3D(0, 1, 0));

  program_->bind();
  program_->setUniformValue("mvp", projection * model_view);
  program_->setUniformValue("model_view", model_view);
  program_->setUniformValue("textured", textured_);
  program_->setUniformValue("exposure", textured_ ? exposure_ : 1.f);
  program_->setUniformValue("albedo", 0);
  gl_->glActiveTexture(GL_TEXTURE0);
  gl_->glBindTexture(GL_TEXTURE_2D, texture_);
  gl_->glBindVertexArray(vao_);
  gl_->glDrawElements(GL_TRIANGLES, index_count_, GL_UNSIGNED_INT, nullptr);
  gl_->glBindVertexArray(0);
  gl_->glBindTexture(GL_TEXTURE_2D, 0);
  program_->release();
  gl_->glDisable(GL_DEPTH_TEST);
  fbo_->release();
  return fbo_->texture();
}

}  // namespace invgfx
