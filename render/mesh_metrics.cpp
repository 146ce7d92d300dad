// Implementation of render/mesh_metrics.h. Nearest samples through a uniform grid, exact and
// deterministic.
#include "render/mesh_metrics.h"

#include "core/random.h"

#include <Eigen/Geometry>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <stdexcept>
#include <vector>

namespace invgfx {

void sample_surface(const Mesh& m, int n, uint64_t seed, TensorD& points, TensorD& normals) {
  const int64_t F = m.num_faces();
  std::vector<double> cdf(static_cast<size_t>(F));
  std::vector<Eigen::Vector3d> fn(static_cast<size_t>(F));
  double total = 0;
  auto P = [&](int32_t v) {
    return Eigen::Vector3d(m.positions[3 * v], m.positions[3 * v + 1], m.positions[3 * v + 2]);
  };
  for (int64_t f = 0; f < F; ++f) {
    const Eigen::Vector3d a = P(m.faces[3 * f]), b = P(m.faces[3 * f + 1]), c = P(m.faces[3 * f + 2]);
    const Eigen::Vector3d cr = (b - a).cross(c - a);
    const double area = 0.5 * cr.norm();
    total += area;
    cdf[static_cast<size_t>(f)] = total;
    fn[static_cast<size_t>(f)] = area > 0 ? Eigen::Vector3d(cr.normalized()) : Eigen::Vector3d::Zero();
  }
  if (!(total > 0)) throw std::invalid_argument("mesh metrics: the mesh has no surface area");
  Rng rng(seed);
  points.resize({n, 3});
  normals.resize({n, 3});
  for (int i = 0; i < n; ++i) {
    const double r = rng.uniform_d(0, total);
    const int64_t f = std::min<int64_t>(F - 1, std::lower_bound(cdf.begin(), cdf.end(), r) - cdf.begin());
    double u = rng.uniform_d(0, 1), v = rng.uniform_d(0, 1);
    if (u + v > 1) u = 1 - u, v = 1 - v;  // uniform on the triangle
    const Eigen::Vector3d a = P(m.faces[3 * f]), b = P(m.faces[3 * f + 1]), c = P(m.faces[3 * f + 2]);
    const Eigen::Vector3d p = a + u * (b - a) + v * (c - a);
    for (int k = 0; k < 3; ++k) points[3 * i + k] = p(k), normals[3 * i + k] = fn[static_cast<size_t>(f)](k);
  }
}

namespace {

// For each point of `from`, the distance to its nearest point of `to` and |n·n'| with that point's
// normal. `to` is binned in a uniform grid of cell h: a nearest point found in the 27 cells around a
// query at distance ≤ h is exact (anything closer lies in those cells); otherwise all of `to` is searched.
void nearest(const TensorD& from, const TensorD& from_n, const TensorD& to, const TensorD& to_n, double h,
             std::vector<double>& dist, std::vector<double>& ncos) {
  const int64_t n = from.dim(0), m = to.dim(0);
  const double* A = from.data();
  const double* B = to.data();
  double lo[3] = {1e300, 1e300, 1e300};
  for (int64_t j = 0; j < m; ++j)
    for (int k = 0; k < 3; ++k) lo[k] = std::min(lo[k], B[3 * j + k]);
  auto cell = [&](const double* p, int k) { return static_cast<int64_t>(std::floor((p[k] - lo[k]) / h)); };
  std::unordered_map<int64_t, std::vector<int64_t>> grid;
  auto key = [](int64_t x, int64_t y, int64_t z) { return ((x + 4096) << 42) ^ ((y + 4096) << 21) ^ (z + 4096); };
  for (int64_t j = 0; j < m; ++j) grid[key(cell(B + 3 * j, 0), cell(B + 3 * j, 1), cell(B + 3 * j, 2))].push_back(j);
  dist.assign(static_cast<size_t>(n), 0);
  ncos.assign(static_cast<size_t>(n), 0);
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t i = 0; i < n; ++i) {
    const double* a = A + 3 * i;
    double best = std::numeric_limits<double>::infinity();
    int64_t bj = 0;
    auto visit = [&](int64_t j) {
      const double dx = a[0] - B[3 * j], dy = a[1] - B[3 * j + 1], dz = a[2] - B[3 * j + 2];
      const double d = dx * dx + dy * dy + dz * dz;
      if (d < best) best = d, bj = j;
    };
    const int64_t cx = cell(a, 0), cy = cell(a, 1), cz = cell(a, 2);
    for (int64_t x = cx - 1; x <= cx + 1; ++x)
      for (int64_t y = cy - 1; y <= cy + 1; ++y)
        for (int64_t z = cz - 1; z <= cz + 1; ++z) {
          const auto it = grid.find(key(x, y, z));
          if (it != grid.end())
            for (int64_t j : it->second) visit(j);
        }
    if (!(best <= h * h))
      for (int64_t j = 0; j < m; ++j) visit(j);
    dist[static_cast<size_t>(i)] = std::sqrt(best);
    ncos[static_cast<size_t>(i)] = std::abs(from_n[3 * i] * to_n[3 * bj] + from_n[3 * i + 1] * to_n[3 * bj + 1] +
                                            from_n[3 * i + 2] * to_n[3 * bj + 2]);
  }
}

}  // namespace

MeshComparison compare_meshes(const Mesh& rec, const Mesh& truth, int samples, double threshold, uint64_t seed) {
  MeshComparison c;
  c.samples = samples;
  c.threshold = threshold;
  double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
  for (int64_t i = 0; i < truth.num_vertices(); ++i)
    for (int k = 0; k < 3; ++k) lo[k] = std::min<double>(lo[k], truth.positions[3 * i + k]), hi[k] = std::max<double>(hi[k], truth.positions[3 * i + k]);
  for (int64_t i = 0; i < truth.num_vertices(); ++i) {
    double d2 = 0;
    for (int k = 0; k < 3; ++k) d2 += std::pow(truth.positions[3 * i + k] - 0.5 * (lo[k] + hi[k]), 2);
    c.radius = std::max(c.radius, std::sqrt(d2));
  }
  if (!(c.radius > 0)) throw std::invalid_argument("mesh metrics: the true mesh has no extent");
  // Each side's samples are matched against a 10× denser sampling of the other surface, so that the
  // sampling itself adds little (≈ 0.3 of the dense spacing on average) to the distances.
  TensorD pr, nr, pt, nt, dr, dnr, dt, dnt;
  sample_surface(rec, samples, seed, pr, nr);
  sample_surface(truth, samples, seed + 1, pt, nt);
  sample_surface(rec, 10 * samples, seed + 2, dr, dnr);
  sample_surface(truth, 10 * samples, seed + 3, dt, dnt);
  std::vector<double> d_rt, c_rt, d_tr, c_tr;
  const double h = 0.12 * c.radius;  // beyond it (a far-off part), the query searches everything
  nearest(pr, nr, dt, dnt, h, d_rt, c_rt);
  nearest(pt, nt, dr, dnr, h, d_tr, c_tr);
  const double t = threshold * c.radius;
  double acc = 0, comp = 0, nc = 0;
  int64_t in_p = 0, in_r = 0;
  for (size_t i = 0; i < d_rt.size(); ++i) acc += d_rt[i], nc += c_rt[i], in_p += d_rt[i] <= t;
  for (size_t i = 0; i < d_tr.size(); ++i) comp += d_tr[i], nc += c_tr[i], in_r += d_tr[i] <= t;
  c.accuracy = acc / samples / c.radius;
  c.completeness = comp / samples / c.radius;
  c.chamfer_l1 = 0.5 * (c.accuracy + c.completeness);
  c.precision = double(in_p) / samples;
  c.recall = double(in_r) / samples;
  c.fscore = c.precision + c.recall > 0 ? 2 * c.precision * c.recall / (c.precision + c.recall) : 0;
  c.normal_consistency = nc / (2.0 * samples);
  return c;
}

}  // namespace invgfx
