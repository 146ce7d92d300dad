// Implementation of app/nets/reconstruction_net.h.
#include "app/nets/reconstruction_net.h"

namespace invgfx {

namespace {

// Prefixes every parameter name with its owner, once.
template <class Owner>
void prefix_names(Owner& owner, const std::string& prefix) {
  owner.visit_parameters([&](Parameter& p) {
    if (p.name.rfind(prefix + ".", 0) != 0) p.name = prefix + "." + p.name;
  });
}

}  // namespace

ReconstructionNet::ReconstructionNet(const ReconstructionNetOptions& options) : options_(options) {
  template_ = options_.template_mesh ? *options_.template_mesh
                                     : make_scene_template(options_.icosphere_level,
                                                           static_cast<float>(options_.template_radius),
                                                           options_.template_obj);
  encoder_ = make_encoder<float>(options_.encoder);
  decoder_ = std::make_unique<SceneDecoder>(template_, options_.decoder);
  features_ = std::make_unique<FeatureNet>(options_.features);
  features_->visit_parameters([](Parameter& p) {
    if (p.group == group::kNet) p.group = kFeaturesGroup;
  });
  prefix_names(*encoder_, "encoder");
  prefix_names(*decoder_, "decoder");
  prefix_names(*features_, "features");
}

ReconstructionNet::~ReconstructionNet() = default;

void ReconstructionNet::decode_backward(const Tensor& code, const std::vector<Scene>& scenes,
                                        const std::vector<Scene>& dL_dscenes, Tensor& dL_dcode) {
  dL_dcode.resize(code.shape());
  dL_dcode.zero();
  decoder_->backward(code, scenes, dL_dscenes, &dL_dcode);
}

void ReconstructionNet::encode_backward(const Tensor& photos, const Tensor& code, const Tensor& dL_dcode,
                                        Tensor* dL_dphotos) {
  encoder_->backward(photos, code, dL_dcode, dL_dphotos);
}

void ReconstructionNet::visit_parameters(const ParameterVisitor<float>& visit) {
  encoder_->visit_parameters(visit);
  decoder_->visit_parameters(visit);
  features_->visit_parameters(visit);
}

}  // namespace invgfx
