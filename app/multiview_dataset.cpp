// Implementation of app/multiview_dataset.h.
#include "app/multiview_dataset.h"

#include "app/photo_fit.h"
#include "render/scene.h"
#include "render/texture_image.h"

#include <opencv2/calib3d.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

// The photo as float BGR(A) in [0, 1], or empty with the reason.
cv::Mat read_unchanged(const fs::path& p, std::string* why) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    *why = "not a file";
    return {};
  }
  cv::Mat m = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
  if (m.empty()) {
    *why = "not a readable image";
    return {};
  }
  const double range = m.depth() == CV_16U ? 65535.0 : m.depth() == CV_32F ? 1.0 : 255.0;
  if (m.depth() != CV_8U && m.depth() != CV_16U && m.depth() != CV_32F) {
    *why = "unsupported pixel depth";
    return {};
  }
  cv::Mat f;
  m.convertTo(f, CV_32F, 1.0 / range);
  if (f.channels() == 1) cv::cvtColor(f, f, cv::COLOR_GRAY2BGR);
  return f;
}

}  // namespace

Tensor pinhole_tensor(const ViewCamera& v) {
  const Eigen::Vector3d r = axis_angle_from_rotation(v.R);
  Tensor c({kPinholeCameraSize});
  for (int i = 0; i < 3; ++i) c[i] = static_cast<float>(r(i)), c[3 + i] = static_cast<float>(v.t(i));
  c[6] = static_cast<float>(v.K.fx), c[7] = static_cast<float>(v.K.fy);
  c[8] = static_cast<float>(v.K.cx), c[9] = static_cast<float>(v.K.cy);
  return c;
}

void view_from_pinhole(const Tensor& c, ViewCamera& v) {
  v.R = rotation_from_axis_angle<double>(Eigen::Vector3d(c[0], c[1], c[2]));
  v.t = Eigen::Vector3d(c[3], c[4], c[5]);
  v.K.fx = c[6], v.K.fy = c[7], v.K.cx = c[8], v.K.cy = c[9];
}

std::string default_multiview_masks(const fs::path& source, const fs::path& images_dir) {
  const std::vector<ViewCamera> views = read_view_cameras(source, images_dir);
  for (const ViewCamera& v : views) {
    int w = 0, h = 0, c = 0;
    if (!image_file_size(v.image.string(), w, h, &c) || c != 4) return "";
  }
  return "alpha";
}

Dataset load_multiview_dataset(const fs::path& source, const DatasetOptions& options, const LoadProgress& progress) {
  const int S = options.size;
  if (S < 16 || S > 2048) throw std::runtime_error("working size " + std::to_string(S) + " is outside 16..2048");
  const bool alpha_masks = options.masks == "alpha", auto_masks = options.masks == "auto";
  if (!options.masks.empty() && !alpha_masks && !auto_masks)
    throw std::runtime_error(source.string() + ": a multi-view dataset takes masks 'alpha', 'auto' or 'none' (got '" +
                             options.masks + "')");
  const std::vector<ViewCamera> views = read_view_cameras(source, options.images_dir);
  Dataset ds;
  ds.options = options;
  ds.inputs = {source};
  ds.views_known = true;
  for (size_t i = 0; i < views.size(); ++i) {
    const ViewCamera& v = views[i];
    if (progress && !progress(static_cast<int>(i), static_cast<int>(views.size()), v.image)) throw LoadCancelled();
    std::string why;
    cv::Mat img = read_unchanged(v.image, &why);
    if (img.empty()) {
      ds.skipped.push_back(v.image.string() + ": " + why);
      continue;
    }
    // The camera file's size wins over the photo's when they differ only by a scale (a dataset shipped
    // at half resolution): the intrinsics follow the photo.
    ViewCamera cam = v;
    if (img.cols != v.K.width || img.rows != v.K.height) {
      const double sx = double(img.cols) / v.K.width, sy = double(img.rows) / v.K.height;
      if (std::abs(sx - sy) > 0.01 * sx) {
        ds.skipped.push_back(v.image.string() + ": the photo is " + std::to_string(img.cols) + "x" +
                             std::to_string(img.rows) + ", its camera " + std::to_string(v.K.width) + "x" +
                             std::to_string(v.K.height));
        continue;
      }
      cam.K.fx *= sx, cam.K.fy *= sy;
      cam.K.cx = sx * (cam.K.cx + 0.5) - 0.5, cam.K.cy = sy * (cam.K.cy + 0.5) - 0.5;
      cam.K.width = img.cols, cam.K.height = img.rows;
    }
    if (cam.has_distortion()) {
      // Undistort into the pinhole of the same K (OpenCV's pixel-centre convention is ours).
      const cv::Matx33d K(cam.K.fx, 0, cam.K.cx, 0, cam.K.fy, cam.K.cy, 0, 0, 1);
      const cv::Vec<double, 5> d(cam.distortion[0], cam.distortion[1], cam.distortion[2], cam.distortion[3],
                                 cam.distortion[4]);
      cv::Mat und;
      cv::undistort(img, und, K, d);
      img = und;
      cam.distortion.fill(0);
    }
    std::vector<cv::Mat> ch;
    cv::split(img, ch);
    const bool has_alpha = ch.size() == 4;
    if (alpha_masks && !has_alpha) {
      ds.skipped.push_back(v.image.string() + ": no alpha channel for --masks alpha");
      continue;
    }
    cv::Mat rgb;
    cv::merge(std::vector<cv::Mat>{ch[2], ch[1], ch[0]}, rgb);
    if (has_alpha) {  // over white
      cv::Mat a3;
      cv::merge(std::vector<cv::Mat>{ch[3], ch[3], ch[3]}, a3);
      rgb = rgb.mul(a3) + (cv::Scalar::all(1.0) - a3);
    }
    const Placement pl = fit_placement(img.cols, img.rows, S);
    Photo ph;
    ph.path = v.image;
    ph.original_width = img.cols;
    ph.original_height = img.rows;
    ph.scale = pl.scale;
    ph.offset_x = static_cast<float>(pl.left);
    ph.offset_y = static_cast<float>(pl.top);
    ph.srgb = to_planar(place(rgb, S, pl, cv::BORDER_REPLICATE));
    ph.coverage = static_cast<float>(pl.w) * static_cast<float>(pl.h) / static_cast<float>(S * S);
    if (alpha_masks) {
      ph.mask = to_planar(place(ch[3], S, pl, cv::BORDER_CONSTANT));
    } else if (auto_masks) {
      ph.mask = auto_mask(ph.srgb, options.auto_mask_iterations);
      ph.mask_is_auto = true;
    }
    const double sx = double(pl.w) / img.cols, sy = double(pl.h) / img.rows;
    CameraIntrinsics k = cam.K;
    k.fx = cam.K.fx * sx, k.fy = cam.K.fy * sy;
    k.cx = sx * (cam.K.cx + 0.5) - 0.5 + pl.left;
    k.cy = sy * (cam.K.cy + 0.5) - 0.5 + pl.top;
    k.width = k.height = S;
    cam.K = k;
    ds.photos.push_back(std::move(ph));
    ds.views.push_back(std::move(cam));
  }
  if (ds.photos.empty()) {
    std::string msg = source.string() + ": no readable photos";
    for (const std::string& s : ds.skipped) msg += "\n  " + s;
    throw std::runtime_error(msg);
  }
  return ds;
}

void guess_orbit_views(Dataset& ds, double fov_y, double distance, double elevation) {
  const int n = static_cast<int>(ds.photos.size());
  ds.views.clear();
  for (int i = 0; i < n; ++i) {
    CameraD cam(CameraIntrinsics::from_vertical_fov(fov_y, ds.options.size, ds.options.size));
    cam.set_orbit(2 * M_PI * i / n, elevation, distance);
    ViewCamera v;
    v.name = ds.photos[static_cast<size_t>(i)].path.stem().string();
    v.image = ds.photos[static_cast<size_t>(i)].path;
    v.K = cam.intrinsics();
    cam.cam_from_world(v.R, v.t);
    ds.views.push_back(v);
  }
  ds.views_known = false;
}

}  // namespace invgfx
