// Synthetic multi-view datasets in the NeRF-synthetic layout (Mildenhall et al. 2020), with a known
// answer: an object that is NOT star-shaped around any point of its bounding box's centre — a
// horseshoe, a tube bent through 250° around an open concavity — so a sphere deformed along its
// radii cannot score well; textured with synth_texture, lit by the default SH light, rendered with
// pinhole cameras on a sphere around it (train and test views from different Fibonacci lattices)
// as RGBA (alpha = coverage) 8-bit sRGB PNGs, no ISP.
//
// On disk:
//   DIR/transforms_train.json, DIR/transforms_test.json   camera_angle_x, w, h, frames[] with
//        file_path "./train/r_<i>" (no extension, as the original scenes) and transform_matrix (c2w,
//        OpenGL axes)
//   DIR/train/r_<i>.png, DIR/test/r_<i>.png                RGBA photos
//   DIR/truth/mesh.obj (+ mesh.mtl, texture.png)           the true mesh in the cameras' world frame
#pragma once

#include "render/mesh.h"

#include <cstdint>
#include <filesystem>

namespace invgfx {

struct NerfSynthOptions {
  int size = 128;             // image side, px, 16..2048
  int views = 24;             // training views, 1..512
  int test_views = 8;         // held-out views, 0..512
  int icosphere_level = 5;    // level of the sphere the horseshoe is bent from, 2..6
  int texture_size = 256;     // albedo texels per side, power of two ≥ 8
  double fov_x = 0.6911;      // horizontal field of view, rad (NeRF-synthetic's camera_angle_x)
  double distance = 4.0;      // camera distance from the origin, world units (> object radius)
  uint64_t seed = 1;          // texture palette
  void check() const;         // throws std::invalid_argument naming the field
};

// The horseshoe, centred on its bounding box, with UVs and no texture.
Mesh make_horseshoe(int icosphere_level);

// Writes the layout above into `dir`. Throws std::runtime_error naming a path it cannot write.
void write_nerf_synthetic(const NerfSynthOptions& options, const std::filesystem::path& dir);

}  // namespace invgfx
