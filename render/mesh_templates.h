// Template meshes the reconstruction starts from: icosphere, plane, regular grid.
#pragma once

#include "render/mesh.h"

namespace invgfx {

// Icosphere: a regular icosahedron with one vertex at each pole (±y), each triangle split into four
// `level` times, vertices pushed onto the sphere. V = 10·4^level + 2, F = 20·4^level (level 4: 2562,
// 5120). Normals are the unit radial directions.
//
// UV layout (equirectangular, separate UV index in mesh.uv_faces, so the surface is not cut):
//   u = 0.5 + atan2(x, z) / 2π  (the +z side, facing a default camera, is the middle of the texture)
//   v = 0.5 + asin(y / r) / π   (v = 1 at the north pole, OBJ/OpenGL "v up")
// Triangles that straddle the seam behind the sphere (x = 0, z < 0) get their small-u corners moved
// to u + 1, so u runs over [0, 1.2] (the five triangles round a pole each span a fifth of a turn):
// sample it with WrapMode::kRepeat along u.
// Each triangle at a pole gets its own pole UV, at the mean u of its other two corners.
template <class T = float>
MeshT<T> make_icosphere(int level, T radius = T(1));

// One quad in the z = 0 plane, facing +z, centred at the origin: two triangles, four vertices,
// uv (0,0) at (−w/2, −h/2) and (1,1) at (+w/2, +h/2).
template <class T = float>
MeshT<T> make_plane(T width = T(2), T height = T(2));

// Regular grid of nx × ny quads (each split along the same diagonal) in the z = 0 plane, facing +z,
// centred at the origin; (nx+1)(ny+1) vertices, row-major from (−w/2, +h/2) — the top-left, so that
// vertex (i, j) sits over image pixel (row i, column j) of a depth map. uv = (x/w + 0.5, y/h + 0.5).
template <class T = float>
MeshT<T> make_grid(int nx, int ny, T width = T(2), T height = T(2));

}  // namespace invgfx
