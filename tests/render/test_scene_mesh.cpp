// Scene model: mesh templates (counts, geometry, orientation, UV layout) and the UV seam split.
#include "render/mesh.h"
#include "render/mesh_templates.h"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <Eigen/Geometry>

#include <cmath>
#include <map>
#include <utility>

namespace invgfx {
namespace {

Eigen::Vector3d pos(const MeshD& m, int32_t i) {
  return {m.positions.at(i, 0), m.positions.at(i, 1), m.positions.at(i, 2)};
}

TEST(SceneMesh, IcosphereCountsFollowTenFourToTheLevelPlusTwo) {
  for (int level = 0; level <= 4; ++level) {
    const Mesh m = make_icosphere(level);
    const int64_t p = int64_t(1) << (2 * level);
    EXPECT_EQ(m.num_vertices(), 10 * p + 2) << "level " << level;
    EXPECT_EQ(m.num_faces(), 20 * p) << "level " << level;
  }
  const Mesh m4 = make_icosphere(4);
  EXPECT_EQ(m4.num_vertices(), 2562);
  EXPECT_EQ(m4.num_faces(), 5120);
}

TEST(SceneMesh, IcosphereIsAClosedOutwardManifoldOnTheSphere) {
  const double radius = 1.7;
  const MeshD m = make_icosphere<double>(3, radius);
  for (int64_t i = 0; i < m.num_vertices(); ++i) {
    EXPECT_NEAR(pos(m, static_cast<int32_t>(i)).norm(), radius, 1e-12);
    Eigen::Vector3d n(m.normals.at(i, 0), m.normals.at(i, 1), m.normals.at(i, 2));
    EXPECT_NEAR((n - pos(m, static_cast<int32_t>(i)) / radius).norm(), 0, 1e-12);
  }
  // Each directed edge appears once and its reverse once: closed, consistently oriented.
  std::map<std::pair<int, int>, int> directed;
  for (int64_t f = 0; f < m.num_faces(); ++f) {
    const int32_t* t = &m.faces[static_cast<size_t>(3 * f)];
    const Eigen::Vector3d a = pos(m, t[0]), b = pos(m, t[1]), c = pos(m, t[2]);
    EXPECT_GT((b - a).cross(c - a).dot(a + b + c), 0) << "face " << f << " faces inward";
    for (int k = 0; k < 3; ++k) ++directed[{t[k], t[(k + 1) % 3]}];
  }
  for (const auto& [e, count] : directed) {
    EXPECT_EQ(count, 1);
    EXPECT_EQ(directed.count({e.second, e.first}), 1u);
  }
  // Euler characteristic of the sphere: V − E + F = 2.
  EXPECT_EQ(m.num_vertices() - static_cast<int64_t>(directed.size() / 2) + m.num_faces(), 2);
}

TEST(SceneMesh, IcosphereUvsAreSeamCorrectAndCounterClockwise) {
  const MeshD m = make_icosphere<double>(4);
  ASSERT_EQ(m.uv_faces.size(), m.faces.size());
  double area = 0;
  for (int64_t f = 0; f < m.num_faces(); ++f) {
    Eigen::Vector2d uv[3];
    for (int k = 0; k < 3; ++k) {
      const int32_t j = m.uv_faces[static_cast<size_t>(3 * f + k)];
      uv[k] = {m.uvs.at(j, 0), m.uvs.at(j, 1)};
      EXPECT_GE(uv[k].x(), 0);
      EXPECT_LE(uv[k].x(), 1.2 + 1e-12);  // pole triangles span a fifth of a turn
      EXPECT_GE(uv[k].y(), 0);
      EXPECT_LE(uv[k].y(), 1);
      // The v coordinate is the latitude of that very vertex.
      const Eigen::Vector3d p = pos(m, m.faces[static_cast<size_t>(3 * f + k)]);
      EXPECT_NEAR(uv[k].y(), 0.5 + std::asin(p.y()) / M_PI, 1e-12);
    }
    const Eigen::Vector2d e1 = uv[1] - uv[0], e2 = uv[2] - uv[0];
    const double a = 0.5 * (e1.x() * e2.y() - e1.y() * e2.x());
    EXPECT_GT(a, 0) << "face " << f << " is mirrored or spans the seam in UV space";
    EXPECT_LT(std::max({uv[0].x(), uv[1].x(), uv[2].x()}) - std::min({uv[0].x(), uv[1].x(), uv[2].x()}), 0.25);
    area += a;
  }
  // The chart covers the unit square up to the pole and seam slivers: within a few per cent.
  EXPECT_NEAR(area, 1.0, 0.03);
  // The +z point of the sphere maps to u = 0.5 + atan2(x, z)/2π ≈ 0.5.
  int32_t front = 0;
  for (int32_t i = 0; i < m.num_vertices(); ++i)
    if (pos(m, i).z() > pos(m, front).z()) front = i;
  for (size_t i = 0; i < m.faces.size(); ++i) {
    if (m.faces[i] == front) {
      EXPECT_NEAR(m.uvs.at(m.uv_faces[i], 0), 0.5 + std::atan2(pos(m, front).x(), pos(m, front).z()) / (2 * M_PI), 1e-12);
    }
  }
}

TEST(SceneMesh, SplitUvSeamsGivesOneIndexWithSameGeometry) {
  const MeshD m = make_icosphere<double>(2);
  std::vector<int32_t> src;
  const MeshD s = split_uv_seams(m, &src);
  EXPECT_TRUE(s.uv_faces.empty());
  EXPECT_EQ(s.num_faces(), m.num_faces());
  EXPECT_GT(s.num_vertices(), m.num_vertices());
  EXPECT_EQ(s.uvs.dim(0), s.num_vertices());
  for (size_t i = 0; i < s.faces.size(); ++i) {
    EXPECT_EQ(src[static_cast<size_t>(s.faces[i])], m.faces[i]);
    for (int k = 0; k < 2; ++k) EXPECT_EQ(s.uvs.at(s.faces[i], k), m.uvs.at(m.uv_faces[i], k));
  }
  EXPECT_NO_THROW(s.validate());
}

TEST(SceneMesh, GridAndPlaneFacePlusZWithRowMajorVertices) {
  const MeshD g = make_grid<double>(4, 3, 2.0, 1.5);
  EXPECT_EQ(g.num_vertices(), 5 * 4);
  EXPECT_EQ(g.num_faces(), 4 * 3 * 2);
  EXPECT_DOUBLE_EQ(g.positions.at(0, 0), -1.0);  // top-left first
  EXPECT_DOUBLE_EQ(g.positions.at(0, 1), 0.75);
  EXPECT_DOUBLE_EQ(g.uvs.at(19, 0), 1.0);        // bottom-right last
  EXPECT_DOUBLE_EQ(g.uvs.at(19, 1), 0.0);
  double area = 0;
  for (int64_t f = 0; f < g.num_faces(); ++f) {
    const int32_t* t = &g.faces[static_cast<size_t>(3 * f)];
    const Eigen::Vector3d n = (pos(g, t[1]) - pos(g, t[0])).cross(pos(g, t[2]) - pos(g, t[0]));
    EXPECT_GT(n.z(), 0);
    area += 0.5 * n.norm();
  }
  EXPECT_NEAR(area, 2.0 * 1.5, 1e-12);
  const Mesh p = make_plane(2.f, 2.f);
  EXPECT_EQ(p.num_vertices(), 4);
  EXPECT_EQ(p.num_faces(), 2);
}

TEST(SceneMesh, ValidateNamesTheProblem) {
  Mesh m = make_plane();
  m.faces[0] = 7;
  try {
    m.validate("plane.obj");
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("plane.obj"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("face index 7"), std::string::npos);
  }
  EXPECT_THROW(make_icosphere(-1), std::invalid_argument);
  EXPECT_THROW(make_grid(0, 3), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
