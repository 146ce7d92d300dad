// Wavefront OBJ loading (tinyobjloader) with the diffuse texture of its MTL (map_Kd, via stb_image).
#pragma once

#include "render/mesh.h"

#include <string>

namespace invgfx {

// Loads every shape of the file into one triangle mesh (polygons are fan-triangulated):
//  - positions from `v`; faces in file order;
//  - uvs from `vt` with their own index in uv_faces (OBJ indexes them separately), when the file
//    has texture coordinates;
//  - normals recomputed from the positions (area-weighted, as VertexNormals does), so that they stay
//    consistent with the geometry the fit moves; the file's `vn` are ignored;
//  - colors from `v x y z r g b` when present (read as linear);
//  - texture: the map_Kd image of the first material that has one, converted to linear RGB.
// Throws std::runtime_error naming the path (missing file, parse error, unreadable texture).
template <class T = float>
MeshT<T> load_obj(const std::string& path);

}  // namespace invgfx
