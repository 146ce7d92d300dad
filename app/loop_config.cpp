// Implementation of app/loop_config.h.
#include "app/loop_config.h"

#include "app/config_budget.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <stdexcept>

namespace invgfx {
namespace {

using nlohmann::json;

// Reading one JSON object field by field: every key must be known (a typo is an error naming the
// field with its full path), and each value is type-checked.
class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw std::invalid_argument("config: '" + where() + "' must be a JSON object");
  }
  void known(std::initializer_list<const char*> keys) const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      bool ok = false;
      for (const char* k : keys) ok = ok || it.key() == k;
      if (!ok) {
        std::string list;
        for (const char* k : keys) list += std::string(list.empty() ? "" : ", ") + k;
        throw std::invalid_argument("config: unknown field '" + field(it.key()) + "' (known: " + list + ")");
      }
    }
  }
  bool has(const char* k) const { return j_.contains(k); }
  const json& at(const char* k) const { return j_.at(k); }
  std::string field(const std::string& k) const { return path_.empty() ? k : path_ + "." + k; }
  Reader sub(const char* k) const { return Reader(j_.at(k), field(k)); }

  template <class V>
  void number(const char* k, V& out) const {
    if (!has(k)) return;
    const json& v = j_.at(k);
    if (!v.is_number()) throw std::invalid_argument("config: field '" + field(k) + "' must be a number, got " + v.dump());
    if constexpr (std::is_integral_v<V>) {
      if (!v.is_number_integer() && !v.is_number_unsigned())
        throw std::invalid_argument("config: field '" + field(k) + "' must be an integer, got " + v.dump());
      if constexpr (std::is_unsigned_v<V>) {
        if (v.is_number_integer() && v.get<int64_t>() < 0)
          throw std::invalid_argument("config: field '" + field(k) + "' must be ≥ 0, got " + v.dump());
      }
      // Out of the field's range would wrap around (2^32 + 5 read as 5), so it is an error.
      const bool fits = v.is_number_unsigned()
                            ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<V>::max())
                            : v.get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<V>::min()) &&
                                  (std::is_unsigned_v<V> || v.get<int64_t>() <= static_cast<int64_t>(std::numeric_limits<V>::max()));
      if (!fits) throw std::invalid_argument("config: field '" + field(k) + "' is out of range, got " + v.dump());
    }
    out = v.get<V>();
    if constexpr (std::is_floating_point_v<V>) {
      if (!std::isfinite(out)) throw std::invalid_argument("config: field '" + field(k) + "' must be finite, got " + v.dump());
    }
  }
  void boolean(const char* k, bool& out) const {
    if (!has(k)) return;
    const json& v = j_.at(k);
    if (!v.is_boolean()) throw std::invalid_argument("config: field '" + field(k) + "' must be true or false, got " + v.dump());
    out = v.get<bool>();
  }
  void string(const char* k, std::string& out) const {
    if (!has(k)) return;
    const json& v = j_.at(k);
    if (!v.is_string()) throw std::invalid_argument("config: field '" + field(k) + "' must be a string, got " + v.dump());
    out = v.get<std::string>();
  }
  // A string field converted by `conv`, whose std::exception becomes an error naming the field.
  template <class V, class Conv>
  void named(const char* k, V& out, Conv conv) const {
    if (!has(k)) return;
    std::string s;
    string(k, s);
    try {
      out = conv(s);
    } catch (const std::exception& e) {
      throw std::invalid_argument("config: field '" + field(k) + "': " + e.what());
    }
  }

 private:
  std::string where() const { return path_.empty() ? "(top level)" : path_; }
  const json& j_;
  std::string path_;
};

void require(bool ok, const std::string& field, const std::string& what) {
  if (!ok) throw std::invalid_argument("config: field '" + field + "' " + what);
}

json group_to_json(const GroupSettings& g) {
  json j = {{"lr_scale", g.lr_scale}, {"frozen", g.frozen}};
  if (g.lr) j["lr"] = *g.lr;
  if (g.weight_decay) j["weight_decay"] = *g.weight_decay;
  return j;
}

void group_from_json(const Reader& r, GroupSettings& g) {
  r.known({"lr_scale", "lr", "weight_decay", "frozen"});
  r.number("lr_scale", g.lr_scale);
  r.boolean("frozen", g.frozen);
  for (const char* k : {"lr", "weight_decay"}) {
    if (!r.has(k)) continue;
    std::optional<double>& o = std::string(k) == "lr" ? g.lr : g.weight_decay;
    if (r.at(k).is_null()) {
      o.reset();
    } else {
      double v = 0;
      r.number(k, v);
      o = v;
    }
  }
}

}  // namespace

void LoopConfig::check() const {
  require(iterations >= 0, "iterations", "must be ≥ 0, got " + std::to_string(iterations));
  require(train_fraction >= 0 && train_fraction <= 1, "train_fraction", "must be in [0, 1]");
  require(batch_size >= 1, "batch_size", "must be ≥ 1, got " + std::to_string(batch_size));
  require(lr > 0 && std::isfinite(lr), "lr", "must be finite and > 0");
  require(max_grad_norm >= 0 && std::isfinite(max_grad_norm), "max_grad_norm", "must be finite and ≥ 0");
  for (const auto& [name, g] : groups) {
    try {
      g.check(name);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("config: field 'groups." + name + "': " + e.what());
    }
  }
  require(icosphere_level >= 0 && icosphere_level <= 6, "template.icosphere_level", "must be in 0..6");
  require(template_radius > 0 && std::isfinite(template_radius), "template.radius", "must be finite and > 0");
  try {
    render.check();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("config: field 'render': ") + e.what());
  }
  require(decoder.light == render.light, "decoder.light", "must equal render.light");
  require(decoder.code_size >= 1, "decoder.code_size", "must be ≥ 1");
  require(decoder.texture_size >= 8 && (decoder.texture_size & (decoder.texture_size - 1)) == 0,
          "decoder.texture_size", "must be a power of two ≥ 8");
  require(decoder.max_offset >= 0, "decoder.max_offset", "must be ≥ 0");
  require(decoder.shape_modes >= 1, "decoder.shape_modes", "must be ≥ 1");
  require(decoder.d0 > 0, "decoder.d0", "must be > 0");
  require(decoder.background0 > 0 && decoder.background0 < 1, "decoder.background0", "must be in (0, 1)");
  require(!encoder.channels.empty(), "encoder.channels", "must list at least one layer");
  for (int64_t c : encoder.channels) require(c >= 1, "encoder.channels", "must be ≥ 1 each");
  require(encoder.kernel >= 2 && encoder.kernel % 2 == 0, "encoder.kernel", "must be even and ≥ 2");
  {
    int64_t side = render.size;
    for (size_t i = 0; i < encoder.channels.size(); ++i) {
      require(side % 2 == 0 && side >= 2, "render.size",
              "= " + std::to_string(render.size) + " cannot be halved " + std::to_string(encoder.channels.size()) +
                  " times by the encoder");
      side /= 2;
    }
  }
  require(render.size % 4 == 0, "render.size", "must be divisible by 4 (feature network)");
  require(features.channels >= 1, "features.channels", "must be ≥ 1");
  require(isp.is_null() || isp.is_object(), "isp", "must be an IspPipeline JSON object or null (default ISP)");
  require(denoiser.features >= 1, "denoiser.features", "must be ≥ 1");
  require(denoiser.scale >= 0, "denoiser.scale", "must be ≥ 0");
  check_weights(weights);
  require(multiview.lambda >= 0 && std::isfinite(multiview.lambda), "multiview.lambda", "must be finite and ≥ 0");
  require(multiview.texture_size >= 8 && multiview.texture_size <= 4096, "multiview.texture_size", "must be in 8..4096");
  require(checkpoint_interval >= 0, "checkpoint_interval", "must be ≥ 0");
  require(log_interval >= 1, "log_interval", "must be ≥ 1");
  // A shape offset far beyond the template's size ends in a NaN loss, not a shape.
  require(std::isfinite(decoder.max_offset) && decoder.max_offset <= 100 * template_radius, "decoder.max_offset",
          "must be finite and at most 100 template radii");
  check_config_budget(*this);
}

nlohmann::json LoopConfig::to_json() const {
  json weights_json = json::object();
  for (const LossTerm& t : loss_terms()) weights_json[t.name] = weights.*t.weight;
  weights_json["pixel_kind"] = invgfx::to_string(weights.pixel_kind);
  weights_json["silhouette_kind"] = invgfx::to_string(weights.silhouette_kind);
  json groups_j = json::object();
  for (const auto& [name, g] : groups) groups_j[name] = group_to_json(g);
  const SceneDecoderOptions& d = decoder;
  return {
      {"preset", preset_name},
      {"iterations", iterations},
      {"train_fraction", train_fraction},
      {"batch_size", batch_size},
      {"lr", lr},
      {"max_grad_norm", max_grad_norm},
      {"groups", groups_j},
      {"template", {{"icosphere_level", icosphere_level}, {"radius", template_radius}, {"obj", template_obj}}},
      {"render", render.to_json()},
      {"decoder",
       {{"code_size", d.code_size},       {"texture_size", d.texture_size}, {"per_vertex_color", d.per_vertex_color},
        {"symmetric", d.symmetric},       {"learn_shape", d.learn_shape},   {"learn_texture", d.learn_texture},
        {"learn_camera", d.learn_camera}, {"max_offset", d.max_offset},     {"sh_base", d.sh_base},
        {"sh_range", d.sh_range},         {"az0", d.az0},                   {"az_range", d.az_range},
        {"el0", d.el0},                   {"el_range", d.el_range},         {"d0", d.d0},
        {"dist_range", d.dist_range},     {"roll_range", d.roll_range},     {"background0", d.background0},
        {"shape_modes", d.shape_modes},   {"last_layer_scale", d.last_layer_scale}, {"seed", d.seed}}},
      {"encoder",
       {{"channels", encoder.channels},
        {"kernel", encoder.kernel},
        {"leaky_slope", encoder.leaky_slope},
        {"seed", encoder.seed}}},
      {"features", {{"channels", features.channels}, {"seed", features.seed}, {"weights", features.weights_path}}},
      {"isp", isp},
      {"raw_denoiser", raw_denoiser},
      {"denoiser", {{"features", denoiser.features}, {"scale", denoiser.scale}, {"seed", denoiser.seed}}},
      {"weights", weights_json},
      {"multiview", {{"lambda", multiview.lambda}, {"texture_size", multiview.texture_size}}},
      {"checkpoint_interval", checkpoint_interval},
      {"checkpoint_path", checkpoint_path.string()},
      {"log_interval", log_interval},
      {"seed", seed},
  };
}

LoopConfig LoopConfig::from_json(const nlohmann::json& j) { return from_json(j, LoopConfig()); }

LoopConfig LoopConfig::from_json(const nlohmann::json& j, const LoopConfig& base) {
  LoopConfig c = base;
  const Reader r(j, "");
  r.known({"preset", "iterations", "train_fraction", "batch_size", "lr", "max_grad_norm", "groups", "template",
           "render", "decoder", "encoder", "features", "isp", "raw_denoiser", "denoiser", "weights",
           "multiview", "checkpoint_interval", "checkpoint_path", "log_interval", "seed"});
  r.string("preset", c.preset_name);
  r.number("iterations", c.iterations);
  r.number("train_fraction", c.train_fraction);
  r.number("batch_size", c.batch_size);
  r.number("lr", c.lr);
  r.number("max_grad_norm", c.max_grad_norm);
  if (r.has("groups")) {
    const Reader g = r.sub("groups");
    for (auto it = j["groups"].begin(); it != j["groups"].end(); ++it)
      group_from_json(Reader(it.value(), g.field(it.key())), c.groups[it.key()]);
  }
  if (r.has("template")) {
    const Reader t = r.sub("template");
    t.known({"icosphere_level", "radius", "obj"});
    t.number("icosphere_level", c.icosphere_level);
    t.number("radius", c.template_radius);
    t.string("obj", c.template_obj);
  }
  if (r.has("render")) {
    const Reader t = r.sub("render");
    t.known({"size", "fov_y", "mode", "light", "sigma", "gamma", "mip_levels"});
    t.number("size", c.render.size);
    t.number("fov_y", c.render.fov_y);
    t.named("mode", c.render.mode, raster_mode_from_string);
    t.named("light", c.render.light, light_model_from_string);
    t.number("sigma", c.render.sigma);
    t.number("gamma", c.render.gamma);
    t.number("mip_levels", c.render.mip_levels);
  }
  // One light model for the renderer and the decoder's light head.
  c.decoder.light = c.render.light;
  if (r.has("decoder")) {
    const Reader t = r.sub("decoder");
    t.known({"code_size", "texture_size", "per_vertex_color", "symmetric", "learn_shape", "learn_texture",
             "learn_camera", "max_offset", "sh_base", "sh_range", "az0", "az_range", "el0", "el_range", "d0",
             "dist_range", "roll_range", "background0", "shape_modes", "last_layer_scale", "seed"});
    SceneDecoderOptions& d = c.decoder;
    t.number("code_size", d.code_size);
    t.number("texture_size", d.texture_size);
    t.boolean("per_vertex_color", d.per_vertex_color);
    t.boolean("symmetric", d.symmetric);
    t.boolean("learn_shape", d.learn_shape);
    t.boolean("learn_texture", d.learn_texture);
    t.boolean("learn_camera", d.learn_camera);
    t.number("max_offset", d.max_offset);
    t.number("shape_modes", d.shape_modes);
    t.number("sh_base", d.sh_base);
    t.number("sh_range", d.sh_range);
    t.number("az0", d.az0);
    t.number("az_range", d.az_range);
    t.number("el0", d.el0);
    t.number("el_range", d.el_range);
    t.number("d0", d.d0);
    t.number("dist_range", d.dist_range);
    t.number("roll_range", d.roll_range);
    t.number("background0", d.background0);
    t.number("last_layer_scale", d.last_layer_scale);
    t.number("seed", d.seed);
  }
  if (r.has("encoder")) {
    const Reader t = r.sub("encoder");
    t.known({"channels", "kernel", "leaky_slope", "seed"});
    if (t.has("channels")) {
      const json& v = t.at("channels");
      if (!v.is_array()) throw std::invalid_argument("config: field 'encoder.channels' must be an array of integers");
      c.encoder.channels.clear();
      for (const json& e : v) {
        if (!e.is_number_integer())
          throw std::invalid_argument("config: field 'encoder.channels' must hold integers, got " + e.dump());
        c.encoder.channels.push_back(e.get<int64_t>());
      }
    }
    t.number("kernel", c.encoder.kernel);
    t.number("leaky_slope", c.encoder.leaky_slope);
    t.number("seed", c.encoder.seed);
  }
  if (r.has("multiview")) {
    const Reader t = r.sub("multiview");
    t.known({"lambda", "texture_size"});
    t.number("lambda", c.multiview.lambda);
    t.number("texture_size", c.multiview.texture_size);
  }
  if (r.has("features")) {
    const Reader t = r.sub("features");
    t.known({"channels", "seed", "weights"});
    t.number("channels", c.features.channels);
    t.number("seed", c.features.seed);
    t.string("weights", c.features.weights_path);
  }
  if (r.has("isp")) {
    if (!j["isp"].is_null() && !j["isp"].is_object())
      throw std::invalid_argument("config: field 'isp' must be an IspPipeline JSON object or null");
    c.isp = j["isp"];
  }
  r.boolean("raw_denoiser", c.raw_denoiser);
  if (r.has("denoiser")) {
    const Reader t = r.sub("denoiser");
    t.known({"features", "scale", "seed"});
    t.number("features", c.denoiser.features);
    t.number("scale", c.denoiser.scale);
    t.number("seed", c.denoiser.seed);
  }
  if (r.has("weights")) {
    const Reader t = r.sub("weights");
    for (auto it = j["weights"].begin(); it != j["weights"].end(); ++it) {
      const std::string& k = it.key();
      if (k == "pixel_kind" || k == "silhouette_kind" || loss_term_index(k) >= 0) continue;
      std::string list = "pixel_kind, silhouette_kind";
      for (const LossTerm& term : loss_terms()) list += std::string(", ") + term.name;
      throw std::invalid_argument("config: unknown field '" + t.field(k) + "' (known: " + list + ")");
    }
    LossWeights& w = c.weights;
    for (const LossTerm& term : loss_terms()) t.number(term.name, w.*term.weight);
    t.named("pixel_kind", w.pixel_kind, pixel_loss_kind_from_string);
    t.named("silhouette_kind", w.silhouette_kind, silhouette_loss_kind_from_string);
  }
  r.number("checkpoint_interval", c.checkpoint_interval);
  if (r.has("checkpoint_path")) {
    std::string p;
    r.string("checkpoint_path", p);
    c.checkpoint_path = p;
  }
  r.number("log_interval", c.log_interval);
  r.number("seed", c.seed);
  c.encoder.image_size = c.render.size;
  c.encoder.out_features = c.decoder.code_size;
  c.check();
  return c;
}

LoopConfig LoopConfig::from_file(const std::filesystem::path& path) {
  const std::string text = read_input_file(path, "config file", limits::kMaxTextFileBytes);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw std::runtime_error("config file '" + path.string() + "': not valid JSON: " + e.what());
  }
  try {
    // A config may name a preset it starts from; its own fields overlay that preset.
    LoopConfig base;
    if (j.is_object() && j.contains("preset") && j["preset"].is_string() && !j["preset"].get<std::string>().empty()) {
      const std::string name = j["preset"].get<std::string>();
      const std::filesystem::path pp = assets_dir() / "presets" / (name + ".json");
      if (std::filesystem::exists(pp) && std::filesystem::weakly_canonical(pp) != std::filesystem::weakly_canonical(path))
        base = preset(name);
    }
    return from_json(j, base);
  } catch (const std::exception& e) {
    throw std::runtime_error("config file '" + path.string() + "': " + e.what());
  }
}

LoopConfig LoopConfig::preset(const std::string& name) {
  const auto names = preset_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    throw std::runtime_error("unknown preset '" + name + "' (known: " + list + ")");
  }
  const std::filesystem::path path = assets_dir() / "presets" / (name + ".json");
  const std::string text = read_input_file(path, "preset file", limits::kMaxTextFileBytes);
  try {
    LoopConfig c = from_json(json::parse(text));
    c.preset_name = name;
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error("preset file '" + path.string() + "': " + e.what());
  }
}

std::vector<std::string> LoopConfig::preset_names() { return {"single_object", "category", "pose_calibration", "multiview"}; }

std::filesystem::path assets_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("INVGFX_ASSETS"); env && *env) {
    if (fs::is_directory(env)) return env;
    throw std::runtime_error(std::string("INVGFX_ASSETS='") + env + "' is not a folder");
  }
#ifdef INVGFX_ASSETS_DIR
  if (fs::is_directory(INVGFX_ASSETS_DIR)) return INVGFX_ASSETS_DIR;
#endif
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path p = exe.parent_path().parent_path() / "share" / "invgfx" / "assets";
    if (fs::is_directory(p)) return p;
  }
  throw std::runtime_error("cannot find the assets folder: set INVGFX_ASSETS to the project's assets/ directory");
}

}  // namespace invgfx
