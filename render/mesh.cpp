#include "render/mesh.h"

#include <stdexcept>

namespace invgfx {

template <class T>
void MeshT<T>::validate(const std::string& what) const {
  auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
  if (positions.empty()) {
    if (!faces.empty()) fail("faces given without positions");
    return;
  }
  if (positions.rank() != 2 || positions.dim(1) != 3)
    fail("positions must be V×3, got " + positions.shape().str());
  const int64_t v = positions.dim(0);
  if (faces.size() % 3 != 0) fail("face index count " + std::to_string(faces.size()) + " is not a multiple of 3");
  for (size_t i = 0; i < faces.size(); ++i)
    if (faces[i] < 0 || faces[i] >= v)
      fail("face index " + std::to_string(faces[i]) + " at " + std::to_string(i) + " outside [0, " +
           std::to_string(v) + ")");
  auto check_attr = [&](const TensorT<T>& t, int64_t cols, const char* name) {
    if (t.empty()) return;
    if (t.rank() != 2 || t.dim(0) != v || t.dim(1) != cols)
      fail(std::string(name) + " must be " + std::to_string(v) + "×" + std::to_string(cols) + ", got " +
           t.shape().str());
  };
  check_attr(uvs, 2, "uvs");
  check_attr(normals, 3, "normals");
  check_attr(colors, 3, "colors");
  if (!texture.empty() && (texture.rank() != 3 || texture.dim(0) != 3))
    fail("texture must be 3×H×W, got " + texture.shape().str());
}

template struct MeshT<float>;
template struct MeshT<double>;

}  // namespace invgfx
