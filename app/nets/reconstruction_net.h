// The reconstruction network of the loop as one object: the encoder (core/encoder.h) from a photo to
// a code, the scene decoder's heads from the code to a scene (scene_decoder.h), the template mesh the
// heads deform, the loss's shared feature network (feature_net.h) and the options of all four. It is
// the unit a model file saves and loads, and what the network's scene source trains.
//
// Parameter names are prefixed by their owner ("encoder.conv1.weight", "decoder.shape.fc1.weight",
// "features.conv1.weight"), so they are unique across the network (optimizer state and sessions
// refer to them by name). The feature network's parameters are in group "features", not "net": it is
// the loss's network (frozen, with fixed random weights, unless the configuration trains it).
#pragma once

#include "app/nets/feature_net.h"
#include "app/nets/scene_decoder.h"
#include "core/encoder.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace invgfx {

inline constexpr const char* kFeaturesGroup = "features";

struct ReconstructionNetOptions {
  EncoderOptions encoder;          // image_size is the working size; out_features = decoder.code_size
  SceneDecoderOptions decoder;
  FeatureNetOptions features;
  int icosphere_level = 3;         // template icosphere level, 0..6
  double template_radius = 1.0;    // world units
  std::string template_obj;        // "" = icosphere; else an OBJ (its texture is the initial albedo)
  std::optional<Mesh> template_mesh;  // when set, the template itself (a model file's), used as is
};

class ReconstructionNet {
 public:
  // Throws std::invalid_argument on bad options, std::runtime_error naming a template or weights file
  // that cannot be read.
  explicit ReconstructionNet(const ReconstructionNetOptions& options);
  ~ReconstructionNet();

  const ReconstructionNetOptions& options() const { return options_; }
  const Mesh& template_mesh() const { return template_; }
  Sequential& encoder() { return *encoder_; }
  SceneDecoder& decoder() { return *decoder_; }
  FeatureNet& features() { return *features_; }

  // photos B×3×S×S (sRGB) → code B×Z → scenes[0..B).
  void encode(const Tensor& photos, Tensor& code) { encoder_->forward(photos, code); }
  void decode(const Tensor& code, std::vector<Scene>& scenes) { decoder_->forward(code, scenes); }
  // ADD parameter gradients; dL_dcode is resized and zeroed here; dL_dphotos (may be null) is added to.
  void decode_backward(const Tensor& code, const std::vector<Scene>& scenes, const std::vector<Scene>& dL_dscenes,
                       Tensor& dL_dcode);
  void encode_backward(const Tensor& photos, const Tensor& code, const Tensor& dL_dcode, Tensor* dL_dphotos);

  // Encoder, decoder heads, then the feature network.
  void visit_parameters(const ParameterVisitor<float>& visit);

 private:
  ReconstructionNetOptions options_;
  Mesh template_;
  std::unique_ptr<Sequential> encoder_;
  std::unique_ptr<SceneDecoder> decoder_;
  std::unique_ptr<FeatureNet> features_;
};

}  // namespace invgfx
