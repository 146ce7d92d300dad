// The camera the loop fits, as one object: the sensor stage that mosaics the linear render and the ISP
// that develops it, the development of real RAW photos by the same ISP, the optional RAW denoiser in
// front of that, the ISP prior's anchor θ0, and the optimizer of the ISP's and the denoiser's
// parameters.
//
// The camera's own sensor and ISP hold the parameters and the fields (core/traverse.h: the sensor's
// "sensor.exposure", …, the stages' "sharpen.sigma", …, and "<stage>.enabled"). What runs are copies
// that follow them through the traversal — parameter values every batch, plain fields whenever one
// changed (fields_changed()) — so an edit reaches every image: one copy per photo of a batch on the
// render side (each develops its photo on its own thread, its intermediates in cache: faster than the
// whole batch stage by stage), and one per CFA layout on the photo side (the forward state of a copy
// must live until its own backward). The copies' parameter gradients are summed back into the
// camera's in a fixed order.
#pragma once

#include "app/nets/raw_denoiser.h"
#include "core/optimizer.h"
#include "isp/pipeline.h"
#include "isp/sensor.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace invgfx {

class CameraIsp {
 public:
  // config_isp: an IspPipeline configuration whose first stage may be the sensor (null = the project's
  // assets/isp/default.json). raw: the metadata of the first RAW photo, which the ISP starts from (and
  // the prior keeps it near), or null. Throws std::invalid_argument naming the stage and field.
  CameraIsp(const nlohmann::json& config_isp, const IspRawSettings* raw, const RawDenoiserOptions* denoiser);
  ~CameraIsp();

  Sensor& sensor() { return sensor_; }
  IspPipeline& isp() { return isp_; }
  RawDenoiser* denoiser() { return denoiser_.get(); }

  // Render side, one photo per slot: begin_batch brings the slots' copies in step with the camera;
  // then, each slot on its own (slots may run on different threads), linear RGB 3×S×S → RAW → sRGB
  // 3×S×S and back (the backwards resize and zero their output gradient); end_backward adds the
  // slots' parameter gradients to the camera's, in slot order.
  void begin_batch(int slots);
  void mosaic(int slot, const Tensor& rgb);
  void develop(int slot, Tensor& srgb);
  void develop_backward(int slot, const Tensor& srgb, const Tensor& dL_dsrgb);
  void mosaic_backward(int slot, const Tensor& rgb, Tensor& dL_drgb);
  void end_backward(int slots);

  // Photo side: RAW photos R×1×S×S (cfa[r] the layout of photo r) → denoiser → ISP → sRGB R×3×S×S.
  void develop_photos(const Tensor& raw, std::span<const CfaPattern> cfa, Tensor& srgb);
  // After develop_photos: dL/dsrgb back through both, ADDING into the ISP's and denoiser's gradients.
  void develop_photos_backward(const Tensor& dL_dsrgb);

  // weight · Σ (θ − θ0)² over the learnable ISP parameters; with `grad`, adds its gradient.
  double prior(double weight, bool grad);

  // The sensor's, then the ISP stages' parameters and fields, then the denoiser's parameters.
  void traverse(const Traversal& t);
  void fields_changed() { ++fields_version_; }
  // Sets the plain fields (editable, not differentiable: settings no optimizer holds) that `fields`
  // names, as sessions and models store them (name, values); others are left. Throws
  // std::invalid_argument from the field's validation.
  void set_plain_fields(const std::vector<std::pair<std::string, std::vector<double>>>& fields);
  // The learnable parameters (the ISP's and the denoiser's), for the optimizer.
  std::vector<Parameter*> learnable_parameters() const { return learnable_; }
  void set_optimizer(std::unique_ptr<Optimizer> opt) { optimizer_ = std::move(opt); }
  Optimizer& optimizer() { return *optimizer_; }

  // The whole chain as one IspPipeline configuration, the sensor first (what scene.json holds and
  // `render` reloads).
  nlohmann::json to_json() const;

 private:
  struct Copy;
  Copy& photo_copy(CfaPattern cfa);
  void follow(Copy& copy, bool with_sensor);
  void add_gradients(const Copy& copy);

  Sensor sensor_;
  IspPipeline isp_;
  std::unique_ptr<RawDenoiser> denoiser_;
  std::vector<Parameter*> isp_parameters_;  // every ISP parameter, traversal order
  std::vector<Parameter*> learnable_;       // learnable ISP parameters, then the denoiser's
  std::vector<Parameter*> anchored_;        // learnable ISP parameters, with θ0 below
  std::vector<Tensor> anchor_;
  std::unique_ptr<Optimizer> optimizer_;
  uint64_t fields_version_ = 0;

  std::vector<std::unique_ptr<Copy>> slots_;        // render side, one per photo of a batch
  std::vector<std::unique_ptr<Copy>> photo_sides_;  // photo side, one per CFA layout seen
  const Tensor* raw_in_ = nullptr;                  // the RAW batch of the last develop_photos
  Tensor raw_out_, d_raw_out_;
};

}  // namespace invgfx
