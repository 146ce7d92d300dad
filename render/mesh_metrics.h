// How close a reconstructed mesh is to the true one, as the multi-view reconstruction literature
// reports it (Mescheder et al. 2019, Occupancy Networks, §4; Knapitsch et al. 2017, Tanks and Temples,
// for the F-score): both surfaces sampled uniformly by area, each sample matched to the nearest sample
// of a ten times denser sampling of the other surface.
//   accuracy      mean distance from a reconstruction sample to the truth
//   completeness  mean distance from a truth sample to the reconstruction
//   chamfer_l1    ½(accuracy + completeness)
//   precision / recall   the share of reconstruction / truth samples within `threshold` of the other
//   fscore        2PR / (P + R)
//   normal consistency   ½(mean |n·n'| both ways), n' the normal of the matched sample
// Distances are in units of the truth's bounding-sphere radius (the sphere around its bounding box's
// centre through its farthest vertex), so figures compare across objects and scales.
#pragma once

#include "render/mesh.h"

#include <cstdint>

namespace invgfx {

struct MeshComparison {
  double radius = 0;              // the truth's bounding-sphere radius, world units
  double accuracy = 0, completeness = 0, chamfer_l1 = 0;  // radii
  double threshold = 0.05;        // radii
  double precision = 0, recall = 0, fscore = 0;           // [0, 1]
  double normal_consistency = 0;  // [0, 1]
  int samples = 0;                // per surface
};

// Area-weighted surface samples (points V×3 and unit face normals V×3) of `mesh`, seeded.
void sample_surface(const Mesh& mesh, int n, uint64_t seed, TensorD& points, TensorD& normals);

// Throws std::invalid_argument when a mesh has no area.
MeshComparison compare_meshes(const Mesh& reconstruction, const Mesh& truth, int samples = 20000,
                              double threshold_radii = 0.05, uint64_t seed = 1);

}  // namespace invgfx
