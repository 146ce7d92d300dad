// Scene export: the formats a recovered scene leaves the program in.
//  - OBJ + MTL + PNG: `v`, `vt` (own index, v up, no flip: our texture row 0 is the top of the PNG,
//    which is where OBJ's v = 1 points), `vn` when the mesh has normals, one material with map_Kd.
//  - Binary glTF 2.0 (.glb, tinygltf): one mesh, seams split to a single index, TEXCOORD_0 with
//    glTF's top-left origin (v_gltf = 1 − v), NORMAL, COLOR_0 (linear), base-colour texture embedded
//    as sRGB PNG with REPEAT along u and CLAMP along v (the icosphere layout), metallic 0, rough 1.
//  - PLY (binary little-endian): float x y z, uchar red green blue (sRGB), triangle list. Colours
//    are the mesh colours, else the texture sampled at each vertex's UV, else mid grey.
//  - JSON: the camera in both conventions (OpenCV K, R, t; OpenGL projection, view and
//    camera-to-world matrices) and the lights (nlohmann-json).
// Every writer throws std::runtime_error naming the path when it cannot write (missing folder, no
// permission) and std::invalid_argument when the mesh is malformed.
#pragma once

#include "render/camera.h"
#include "render/mesh.h"
#include "render/shading.h"

#include <nlohmann/json.hpp>

#include <string>

namespace invgfx {

// Writes `obj_path`, the MTL beside it with the same stem, and — when the mesh has a texture —
// `texture_name` beside it (default "texture.png").
template <class T>
void export_obj(const std::string& obj_path, const MeshT<T>& mesh, const std::string& texture_name = "texture.png");

template <class T>
void export_glb(const std::string& path, const MeshT<T>& mesh);

template <class T>
void export_ply(const std::string& path, const MeshT<T>& mesh);

// {"width", "height", "opencv": {"K", "R", "t", "distortion"}, "opengl": {"projection", "view",
//  "world_from_camera", "near", "far", "fov_y_deg", "ndc_y_up"}, "center", "parameterization",
//  "orbit": {...} (orbit only)}. Matrices are row-major nested arrays.
template <class T>
nlohmann::json camera_to_json(const CameraT<T>& camera);
// Reads the OpenCV part (intrinsics, R, t) into `camera` (which switches to axis-angle).
template <class T>
void camera_from_json(const nlohmann::json& j, CameraT<T>& camera);

// {"ambient": {...}, "directional": {"direction" (unit, towards the light), "color"}, "sh":
//  {"enabled", "order": [...], "coefficients": 3×9}, "specular": {...}}.
template <class T>
nlohmann::json lights_to_json(const ShadingT<T>& shading);

void write_json(const std::string& path, const nlohmann::json& j);

}  // namespace invgfx
