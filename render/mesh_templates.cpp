// Implementation of render/mesh_templates.h.
#include "render/mesh_templates.h"

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace invgfx {

namespace {

using Vec3d = Eigen::Vector3d;

// Unit icosahedron with vertices at the poles: two rings of five at y = ±1/√5, radius 2/√5, the
// lower ring turned by 36°. Built in double and oriented outward by construction check.
void icosahedron(std::vector<Vec3d>& v, std::vector<std::array<int32_t, 3>>& f) {
  const double pi = std::numbers::pi;
  const double y = 1.0 / std::sqrt(5.0), r = 2.0 / std::sqrt(5.0);
  v.clear();
  v.emplace_back(0, 1, 0);  // 0: north pole
  for (int k = 0; k < 5; ++k) {  // 1..5: upper ring
    const double a = 2 * pi * k / 5;
    v.emplace_back(r * std::sin(a), y, r * std::cos(a));
  }
  for (int k = 0; k < 5; ++k) {  // 6..10: lower ring, between the upper ones
    const double a = 2 * pi * k / 5 + pi / 5;
    v.emplace_back(r * std::sin(a), -y, r * std::cos(a));
  }
  v.emplace_back(0, -1, 0);  // 11: south pole
  f.clear();
  for (int k = 0; k < 5; ++k) {
    const int u0 = 1 + k, u1 = 1 + (k + 1) % 5, l0 = 6 + k, l1 = 6 + (k + 1) % 5;
    f.push_back({0, u0, u1});
    f.push_back({u0, l0, u1});
    f.push_back({l0, l1, u1});
    f.push_back({11, l1, l0});
  }
  // Counter-clockwise seen from outside: the face normal must point away from the centre.
  for (auto& t : f) {
    const Vec3d n = (v[t[1]] - v[t[0]]).cross(v[t[2]] - v[t[0]]);
    if (n.dot(v[t[0]] + v[t[1]] + v[t[2]]) < 0) std::swap(t[1], t[2]);
  }
}

}  // namespace

template <class T>
MeshT<T> make_icosphere(int level, T radius) {
  if (level < 0 || level > 8)
    throw std::invalid_argument("make_icosphere: level " + std::to_string(level) + " outside [0, 8]");
  if (!(radius > T(0)) || !std::isfinite(static_cast<double>(radius)))
    throw std::invalid_argument("make_icosphere: radius must be positive and finite");
  std::vector<Vec3d> v;
  std::vector<std::array<int32_t, 3>> f;
  icosahedron(v, f);

  // Loop subdivision topology (1 → 4 triangles), midpoints shared through an edge map and projected
  // onto the unit sphere; the corner order keeps every child counter-clockwise.
  for (int l = 0; l < level; ++l) {
    std::unordered_map<int64_t, int32_t> mid;
    auto midpoint = [&](int32_t a, int32_t b) {
      const int64_t key = static_cast<int64_t>(std::min(a, b)) << 32 | static_cast<uint32_t>(std::max(a, b));
      auto [it, inserted] = mid.emplace(key, static_cast<int32_t>(v.size()));
      if (inserted) v.push_back((v[a] + v[b]).normalized());
      return it->second;
    };
    std::vector<std::array<int32_t, 3>> g;
    g.reserve(f.size() * 4);
    for (const auto& t : f) {
      const int32_t ab = midpoint(t[0], t[1]), bc = midpoint(t[1], t[2]), ca = midpoint(t[2], t[0]);
      g.push_back({t[0], ab, ca});
      g.push_back({ab, t[1], bc});
      g.push_back({ca, bc, t[2]});
      g.push_back({ab, bc, ca});
    }
    f.swap(g);
  }

  MeshT<T> m;
  m.name = "icosphere";
  const int64_t nv = static_cast<int64_t>(v.size()), nf = static_cast<int64_t>(f.size());
  m.positions.resize({nv, 3});
  m.normals.resize({nv, 3});
  for (int64_t i = 0; i < nv; ++i)
    for (int k = 0; k < 3; ++k) {
      m.normals.at(i, k) = static_cast<T>(v[static_cast<size_t>(i)][k]);
      m.positions.at(i, k) = static_cast<T>(radius * v[static_cast<size_t>(i)][k]);
    }
  m.faces.resize(static_cast<size_t>(nf * 3));
  for (int64_t i = 0; i < nf; ++i)
    for (int k = 0; k < 3; ++k) m.faces[static_cast<size_t>(i * 3 + k)] = f[static_cast<size_t>(i)][k];

  // Equirectangular UVs with a per-face seam fix; see the header. UV entries are shared between
  // faces whenever (vertex, shifted, pole face) agree.
  const double two_pi = 2 * std::numbers::pi;
  std::vector<double> u0(static_cast<size_t>(nv)), v0(static_cast<size_t>(nv));
  std::vector<bool> pole(static_cast<size_t>(nv));
  for (int64_t i = 0; i < nv; ++i) {
    const Vec3d& p = v[static_cast<size_t>(i)];
    u0[i] = 0.5 + std::atan2(p.x(), p.z()) / two_pi;
    v0[i] = 0.5 + std::asin(std::clamp(p.y(), -1.0, 1.0)) / std::numbers::pi;
    pole[i] = std::abs(p.x()) < 1e-12 && std::abs(p.z()) < 1e-12;
  }
  std::unordered_map<int64_t, int32_t> uv_slot;
  std::vector<std::array<double, 2>> uv_list;
  m.uv_faces.resize(m.faces.size());
  for (int64_t i = 0; i < nf; ++i) {
    const auto& t = f[static_cast<size_t>(i)];
    std::array<double, 3> u{};
    double lo = 2, hi = -1;
    for (int k = 0; k < 3; ++k)
      if (!pole[t[k]]) lo = std::min(lo, u0[t[k]]), hi = std::max(hi, u0[t[k]]);
    const bool straddles = hi - lo > 0.5;
    double sum = 0;
    int count = 0;
    std::array<int, 3> shifted{};
    for (int k = 0; k < 3; ++k) {
      if (pole[t[k]]) continue;
      u[k] = u0[t[k]];
      if (straddles && u[k] < 0.5) u[k] += 1, shifted[k] = 1;
      sum += u[k], ++count;
    }
    for (int k = 0; k < 3; ++k) {
      int64_t key;
      if (pole[t[k]]) {
        u[k] = sum / count;
        key = (static_cast<int64_t>(t[k]) << 32) | static_cast<int64_t>(2 + i);
      } else {
        key = (static_cast<int64_t>(t[k]) << 32) | shifted[k];
      }
      auto [it, inserted] = uv_slot.emplace(key, static_cast<int32_t>(uv_list.size()));
      if (inserted) uv_list.push_back({u[k], v0[t[k]]});
      m.uv_faces[static_cast<size_t>(i * 3 + k)] = it->second;
    }
  }
  m.uvs.resize({static_cast<int64_t>(uv_list.size()), 2});
  for (size_t i = 0; i < uv_list.size(); ++i) {
    m.uvs.at(static_cast<int64_t>(i), 0) = static_cast<T>(uv_list[i][0]);
    m.uvs.at(static_cast<int64_t>(i), 1) = static_cast<T>(uv_list[i][1]);
  }
  m.validate("make_icosphere");
  return m;
}

template <class T>
MeshT<T> make_grid(int nx, int ny, T width, T height) {
  if (nx < 1 || ny < 1)
    throw std::invalid_argument("make_grid: nx and ny must be at least 1, got " + std::to_string(nx) + "×" +
                                std::to_string(ny));
  if (!(width > T(0)) || !(height > T(0)))
    throw std::invalid_argument("make_grid: width and height must be positive");
  MeshT<T> m;
  m.name = "grid";
  const int64_t nv = static_cast<int64_t>(nx + 1) * (ny + 1);
  m.positions.resize({nv, 3});
  m.normals.resize({nv, 3});
  m.uvs.resize({nv, 2});
  for (int i = 0; i <= ny; ++i)
    for (int j = 0; j <= nx; ++j) {
      const int64_t k = static_cast<int64_t>(i) * (nx + 1) + j;
      const T s = T(j) / T(nx), t = T(1) - T(i) / T(ny);  // t = 1 on the top row
      m.positions.at(k, 0) = (s - T(0.5)) * width;
      m.positions.at(k, 1) = (t - T(0.5)) * height;
      m.positions.at(k, 2) = T(0);
      m.normals.at(k, 0) = T(0);
      m.normals.at(k, 1) = T(0);
      m.normals.at(k, 2) = T(1);
      m.uvs.at(k, 0) = s;
      m.uvs.at(k, 1) = t;
    }
  m.faces.reserve(static_cast<size_t>(nx) * ny * 6);
  for (int i = 0; i < ny; ++i)
    for (int j = 0; j < nx; ++j) {
      const int32_t tl = i * (nx + 1) + j, tr = tl + 1, bl = tl + (nx + 1), br = bl + 1;
      // Counter-clockwise seen from +z (x right, y up): bl → br → tr, bl → tr → tl.
      m.faces.insert(m.faces.end(), {bl, br, tr, bl, tr, tl});
    }
  m.validate("make_grid");
  return m;
}

template <class T>
MeshT<T> make_plane(T width, T height) {
  MeshT<T> m = make_grid<T>(1, 1, width, height);
  m.name = "plane";
  return m;
}

template MeshT<float> make_icosphere<float>(int, float);
template MeshT<double> make_icosphere<double>(int, double);
template MeshT<float> make_grid<float>(int, int, float, float);
template MeshT<double> make_grid<double>(int, int, double, double);
template MeshT<float> make_plane<float>(float, float);
template MeshT<double> make_plane<double>(double, double);

}  // namespace invgfx
