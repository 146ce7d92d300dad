// Implementation of app/synth_category.h.
#include "app/synth_category.h"

#include "core/random.h"
#include "core/srgb_transfer.h"
#include "render/mesh_templates.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace invgfx {

namespace {

// exp(−(1 − cos θ)/w): a smooth bump on the unit sphere around direction d (unit), θ the angle to it.
double bump(double x, double y, double z, double dx, double dy, double dz, double w) {
  return std::exp(-(1.0 - (x * dx + y * dy + z * dz)) / w);
}

Tensor instance_positions(const Mesh& sphere, Rng& rng) {
  const double ax = rng.uniform_d(0.62, 0.78), ay = rng.uniform_d(0.58, 0.72), az = rng.uniform_d(0.8, 0.98);
  const double bend = rng.uniform_d(-0.15, 0.15);
  const double head = rng.uniform_d(0.05, 0.3), sides = rng.uniform_d(0.0, 0.2);
  const double hy = 0.45, hz = std::sqrt(1 - hy * hy);        // head direction (front, up)
  const double sx = 0.85, sz = std::sqrt(1 - sx * sx);        // side parts (left/right, slightly front)
  Tensor p = sphere.positions;
  for (int64_t i = 0; i < sphere.num_vertices(); ++i) {
    const double x = p.at(i, 0), y = p.at(i, 1), z = p.at(i, 2);  // on the unit sphere
    const double r = 1 + head * bump(x, y, z, 0, hy, hz, 0.05) + sides * (bump(x, y, z, sx, 0, sz, 0.04) +
                                                                          bump(x, y, z, -sx, 0, sz, 0.04));
    const double X = ax * r * x, Z = az * r * z;
    p.at(i, 0) = static_cast<float>(X);
    p.at(i, 1) = static_cast<float>(ay * r * y + bend * Z * Z);
    p.at(i, 2) = static_cast<float>(Z);
  }
  return p;
}

std::array<double, 3> random_colour(Rng& rng, double v_lo, double v_hi) {
  const double hue = rng.uniform_d(0, 6), sat = rng.uniform_d(0.4, 0.9), val = rng.uniform_d(v_lo, v_hi);
  const std::array<double, 3> rgb = hsv_to_rgb(hue, sat, val);
  return {std::max(0.05, rgb[0]), std::max(0.05, rgb[1]), std::max(0.05, rgb[2])};
}

double smoothstep(double a, double b, double x) {
  const double s = std::clamp((x - a) / (b - a), 0.0, 1.0);
  return s * s * (3 - 2 * s);
}

// Linear albedo 3×T×T, quantised to 8-bit sRGB as texture.png holds it. Row 0 is v = 1 (the top).
Tensor instance_texture(int t, Rng& rng) {
  const auto top = random_colour(rng, 0.15, 0.45), bottom = random_colour(rng, 0.1, 0.4);
  const auto patch = random_colour(rng, 0.35, 0.5), stripe = random_colour(rng, 0.05, 0.25);
  const double split = rng.uniform_d(0.4, 0.6), patch_r = rng.uniform_d(0.06, 0.11);
  const double stripe_u = rng.uniform_d(0.14, 0.28), stripe_w = rng.uniform_d(0.015, 0.035);
  Tensor tex({3, t, t});
  for (int i = 0; i < t; ++i) {
    const double v = 1 - (i + 0.5) / t;
    for (int j = 0; j < t; ++j) {
      const double du = std::abs((j + 0.5) / t - 0.5);  // distance from the front meridian
      const double w_top = smoothstep(split - 0.04, split + 0.04, v);
      const double d_patch = std::hypot(du, v - 0.55);
      const double w_patch = 1 - smoothstep(patch_r - 0.03, patch_r + 0.03, d_patch);
      const double w_stripe = (1 - smoothstep(stripe_w, stripe_w + 0.03, std::abs(du - stripe_u))) *
                              smoothstep(0.2, 0.3, v) * (1 - smoothstep(0.75, 0.85, v));
      for (int k = 0; k < 3; ++k) {
        double c = w_top * top[static_cast<size_t>(k)] + (1 - w_top) * bottom[static_cast<size_t>(k)];
        c = (1 - w_stripe) * c + w_stripe * stripe[static_cast<size_t>(k)];
        c = (1 - w_patch) * c + w_patch * patch[static_cast<size_t>(k)];
        tex.at(k, i, j) = static_cast<float>(srgb_decode(srgb_encode8(c) / 255.0));
      }
    }
  }
  return tex;
}

std::vector<float> instance_light(LightModel model, Rng& rng) {
  if (model == LightModel::kAmbientDirectional) {
    const float amb = rng.uniform(0.25f, 0.45f), dir = rng.uniform(0.45f, 0.65f);
    return {amb, amb, amb, rng.uniform(-0.6f, 0.6f), rng.uniform(0.2f, 0.8f), rng.uniform(0.5f, 1.f), dir, dir, dir};
  }
  const float l00 = rng.uniform(0.7f, 0.95f), up = rng.uniform(0.1f, 0.35f), front = rng.uniform(0.1f, 0.3f);
  const float side = rng.uniform(-0.15f, 0.15f);
  std::vector<float> sh(27, 0.f);
  for (int c = 0; c < 3; ++c) {
    sh[static_cast<size_t>(c * 9 + 0)] = l00;
    sh[static_cast<size_t>(c * 9 + 1)] = up;
    sh[static_cast<size_t>(c * 9 + 2)] = front;
    sh[static_cast<size_t>(c * 9 + 3)] = side;
  }
  return sh;
}

std::string instance_name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "instance_%03d.png", i);
  return buf;
}

}  // namespace

SynthData make_synthetic_category(const SynthOptions& options, int instances) {
  options.check();
  if (instances < 1 || instances > 100000)
    throw std::invalid_argument("synth options: instances " + std::to_string(instances) + " is outside 1..100000");
  SynthData out;
  SynthTruth& truth = out.truth;
  truth.options = options;
  truth.instances = true;
  truth.render.size = options.size;
  truth.render.fov_y = options.fov_y;
  truth.render.mode = options.mode;
  truth.render.light = options.light_model;
  truth.render.check();
  truth.mesh = make_icosphere<float>(options.icosphere_level, 1.f);
  truth.mesh.normals = Tensor();
  truth.mesh.name = "category";
  IspPipeline isp = synthetic_isp(options);
  truth.isp = isp.to_json();
  SceneRenderer renderer(truth.mesh, truth.render);
  out.dataset.options.size = options.size;
  out.dataset.options.masks = "masks";

  Rng rng(options.seed);
  for (int i = 0; i < instances; ++i) {
    Scene s;
    s.positions = instance_positions(truth.mesh, rng);
    s.texture = instance_texture(options.texture_size, rng);
    const std::vector<float> light = instance_light(options.light_model, rng);
    s.light.resize({static_cast<int64_t>(light.size())});
    for (size_t k = 0; k < light.size(); ++k) s.light[static_cast<int64_t>(k)] = light[k];
    s.camera.resize({4});
    s.camera[0] = static_cast<float>(options.azimuth + rng.uniform_d(-1, 1) * options.azimuth_spread);
    s.camera[1] = static_cast<float>(options.elevation + rng.uniform_d(-1, 1) * options.elevation_spread);
    s.camera[2] = static_cast<float>(options.distance * rng.uniform_d(0.9, 1.1));
    s.camera[3] = 0.f;
    s.background.resize({3});
    for (int k = 0; k < 3; ++k) s.background[k] = static_cast<float>(options.background[static_cast<size_t>(k)]);
    add_synthetic_view(out, s, renderer, isp, instance_name(i));
  }
  return out;
}

}  // namespace invgfx
