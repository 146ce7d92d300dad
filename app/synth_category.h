// A synthetic category (synth --instances N): N instances of one shape family, one view each, each
// with its truth, so that a network trained on some of them can be tested end to end on the others.
// The family is left/right symmetric (x → −x), as most real categories are (faces, birds, cars):
//   shape    the template icosphere scaled to an ellipsoid with random semi-axes (x 0.62–0.78,
//            y 0.58–0.72, z 0.8–0.98), a random forward bend, and three smooth parts (Gaussian bumps
//            on the sphere): a "head" at the front top and a mirrored pair on the sides, each of
//            random height;
//   albedo   two random colours split at a random height with a smooth border, a light patch at the
//            front ("face") and a mirrored pair of stripes, all smooth and symmetric in u about the
//            front meridian (u = ½: the icosphere's u is ½ + atan2(x, z)/2π);
//   pose     azimuth uniform in ±azimuth_spread around `azimuth`, elevation uniform in
//            elevation ± elevation_spread, distance uniform in ±10 % of `distance`, no roll;
//   light    SH: white, L00 in [0.7, 0.95], from above (L1−1 0.1–0.35), front (L10 0.1–0.3) and
//            either side (L11 ±0.15); ambient+directional: ambient 0.25–0.45, direction random in
//            the front upper hemisphere.
// Written as images/instance_000.png …, masks/, truth/instance_000.obj (+ .mtl, .png) and truth.json
// (app/synth.h's layout, one view per instance with its own "mesh").
#pragma once

#include "app/synth.h"

namespace invgfx {

// options: size, icosphere_level, texture_size, fov_y, mode, light_model, isp, wb_gains, background
// and seed as for make_synthetic; azimuth/elevation/distance and their spreads as above (views and
// cameras are ignored). Throws std::invalid_argument on bad options or instances outside 1..100000.
SynthData make_synthetic_category(const SynthOptions& options, int instances);

}  // namespace invgfx
