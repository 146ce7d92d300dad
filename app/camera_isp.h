// The camera the loop fits, as one object: the sensor stage that mosaics the linear render and the ISP
// that develops it, both run on whole batches (N×C×S×S), so one pipeline serves every photo of a batch
// and there are no per-photo copies to keep in step; the photo side, which develops real RAW photos
// with the same ISP (one more pipeline per CFA layout, because its forward state must survive until
// its own backward), kept in step with the render side through the traversal — parameter values and
// plain fields alike; the optional RAW denoiser in front of it; the ISP prior's anchor θ0; and the
// optimizer of the ISP's and the denoiser's parameters.
//
// The camera's fields (core/traverse.h) are the sensor's ("sensor.exposure", …, "sensor.enabled")
// and the ISP stages' ("sharpen.sigma", …, "<stage>.enabled"). A field set through traverse() takes
// effect at the next forward, on both sides; call fields_changed() after such a traversal.
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

  // Render side, on batches: linear RGB B×3×S×S → RAW B×1×S×S → sRGB B×3×S×S. The backwards resize
  // and zero their output gradient and add into the parameters' gradients.
  void mosaic(const Tensor& rgb, Tensor& raw) { sensor_.forward(rgb, raw); }
  void mosaic_backward(const Tensor& rgb, const Tensor& raw, const Tensor& dL_draw, Tensor& dL_drgb);
  void develop(const Tensor& raw, Tensor& srgb) { isp_.forward(raw, srgb); }
  void develop_backward(const Tensor& raw, const Tensor& srgb, const Tensor& dL_dsrgb, Tensor& dL_draw);

  // Photo side: RAW photos R×1×S×S (cfa[r] the layout of photo r) → denoiser → ISP → sRGB R×3×S×S.
  void develop_photos(const Tensor& raw, std::span<const CfaPattern> cfa, Tensor& srgb);
  // After develop_photos: dL/dsrgb back through both, ADDING into the ISP's and denoiser's gradients.
  void develop_photos_backward(const Tensor& dL_dsrgb);

  // weight · Σ (θ − θ0)² over the learnable ISP parameters; with `grad`, adds its gradient.
  double prior(double weight, bool grad);

  // The sensor's, then the ISP stages' parameters and fields, then the denoiser's parameters.
  void traverse(const Traversal& t);
  void fields_changed() { ++fields_version_; }
  // The learnable parameters (the ISP's and the denoiser's), for the optimizer.
  std::vector<Parameter*> learnable_parameters() const { return learnable_; }
  void set_optimizer(std::unique_ptr<Optimizer> opt) { optimizer_ = std::move(opt); }
  Optimizer& optimizer() { return *optimizer_; }

  // The whole chain as one IspPipeline configuration, the sensor first (what scene.json holds and
  // `render` reloads).
  nlohmann::json to_json() const;

 private:
  struct PhotoSide;
  PhotoSide& photo_side(CfaPattern cfa);
  void sync(PhotoSide& side);

  Sensor sensor_;
  IspPipeline isp_;
  std::unique_ptr<RawDenoiser> denoiser_;
  std::vector<Parameter*> isp_parameters_;  // every ISP parameter, traversal order
  std::vector<Parameter*> learnable_;       // learnable ISP parameters, then the denoiser's
  std::vector<Parameter*> anchored_;        // learnable ISP parameters, with θ0 below
  std::vector<Tensor> anchor_;
  std::unique_ptr<Optimizer> optimizer_;

  std::vector<std::unique_ptr<PhotoSide>> photo_sides_;  // one per CFA layout seen
  uint64_t fields_version_ = 0;
  const Tensor* raw_in_ = nullptr;  // the RAW batch of the last develop_photos
  Tensor raw_out_, d_raw_out_;
  std::vector<int> raw_side_;  // per RAW photo of the batch: its photo side
};

}  // namespace invgfx
