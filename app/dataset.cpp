#include "app/dataset.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

const char* const kPhotoExtensions[] = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"};

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

// Reads any 8- or 16-bit image as float RGB in [0, 1] (OpenCV applies the EXIF orientation).
cv::Mat read_rgb(const fs::path& path, std::string* why) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    *why = "not a file";
    return {};
  }
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
  if (m.empty()) {
    *why = "not a readable image (corrupt or unsupported format)";
    return {};
  }
  double range = 255.0;
  if (m.depth() == CV_16U) range = 65535.0;
  else if (m.depth() == CV_32F) range = 1.0;
  else if (m.depth() != CV_8U) {
    *why = "unsupported pixel depth";
    return {};
  }
  cv::Mat f;
  m.convertTo(f, CV_32F, 1.0 / range);
  cv::cvtColor(f, f, cv::COLOR_BGR2RGB);
  return f;
}

cv::Mat read_gray(const fs::path& path) {
  cv::Mat m = cv::imread(path.string(), cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH);
  if (m.empty()) return {};
  cv::Mat f;
  m.convertTo(f, CV_32F, m.depth() == CV_16U ? 1.0 / 65535.0 : 1.0 / 255.0);
  return f;
}

// Fits an image into an S×S square, centred, the borders replicating the edge (so no hard frame
// appears for the losses to fit). Returns the placement.
cv::Mat letterbox(const cv::Mat& img, int size, int border_mode, float* scale, float* ox, float* oy) {
  const float s = static_cast<float>(size) / static_cast<float>(std::max(img.cols, img.rows));
  const int w = std::max(1, static_cast<int>(std::lround(img.cols * s)));
  const int h = std::max(1, static_cast<int>(std::lround(img.rows * s)));
  cv::Mat resized;
  cv::resize(img, resized, cv::Size(w, h), 0, 0, s < 1.f ? cv::INTER_AREA : cv::INTER_LINEAR);
  const int left = (size - w) / 2, top = (size - h) / 2;
  cv::Mat out;
  cv::copyMakeBorder(resized, out, top, size - h - top, left, size - w - left, border_mode, cv::Scalar::all(0));
  *scale = s;
  *ox = static_cast<float>(left);
  *oy = static_cast<float>(top);
  return out;
}

Tensor to_planar(const cv::Mat& m) {
  const int c = m.channels();
  Tensor t({c, m.rows, m.cols});
  for (int y = 0; y < m.rows; ++y) {
    const float* row = m.ptr<float>(y);
    for (int x = 0; x < m.cols; ++x)
      for (int k = 0; k < c; ++k) t.at(k, y, x) = std::clamp(row[x * c + k], 0.f, 1.f);
  }
  return t;
}

fs::path find_mask(const fs::path& dir, const fs::path& photo) {
  const std::string stem = photo.stem().string();
  for (const char* ext : kPhotoExtensions) {
    fs::path p = dir / (stem + ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

}  // namespace

bool is_photo_file(const fs::path& p) {
  const std::string e = lower_extension(p);
  return std::any_of(std::begin(kPhotoExtensions), std::end(kPhotoExtensions), [&](const char* x) { return e == x; });
}

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs) {
  std::vector<fs::path> out;
  for (const fs::path& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(in, ec))
        if (e.is_regular_file() && is_photo_file(e.path())) files.push_back(e.path());
      if (ec) throw std::runtime_error(in.string() + ": cannot read folder: " + ec.message());
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else if (fs::exists(in, ec)) {
      out.push_back(in);  // an explicit file is tried whatever its extension, and reported if unreadable
    } else {
      throw std::runtime_error(in.string() + ": no such file or folder");
    }
  }
  return out;
}

Tensor auto_mask(const Tensor& srgb, int iterations) {
  const Dims4 d = as4d(srgb.shape());
  const int h = static_cast<int>(d.h), w = static_cast<int>(d.w);
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < 3; ++k)
        img.at<cv::Vec3b>(y, x)[k] = static_cast<uint8_t>(std::lround(std::clamp(srgb.at(k, y, x), 0.f, 1.f) * 255.f));
  // The border band (1/16 of the size, at least 2 px) seeds the background model.
  const int m = std::max(2, std::min(w, h) / 16);
  cv::Mat labels(h, w, CV_8U, cv::Scalar(cv::GC_BGD));
  cv::Mat bgd, fgd;
  const cv::Rect inner(m, m, std::max(1, w - 2 * m), std::max(1, h - 2 * m));
  cv::grabCut(img, labels, inner, bgd, fgd, std::max(1, iterations), cv::GC_INIT_WITH_RECT);
  Tensor mask({1, h, w});
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const uint8_t l = labels.at<uint8_t>(y, x);
      mask.at(0, y, x) = (l == cv::GC_FGD || l == cv::GC_PR_FGD) ? 1.f : 0.f;
    }
  return mask;
}

Dataset load_dataset(const std::vector<fs::path>& inputs, const DatasetOptions& options, const LoadProgress& progress) {
  if (options.size < 16 || options.size > 2048)
    throw std::runtime_error("working size " + std::to_string(options.size) + " is outside 16..2048");
  if (inputs.empty()) throw std::runtime_error("no input photos given");
  const bool auto_masks = options.masks == "auto";
  const fs::path mask_dir = (!options.masks.empty() && !auto_masks) ? fs::path(options.masks) : fs::path();
  std::error_code ec;
  if (!mask_dir.empty() && !fs::is_directory(mask_dir, ec))
    throw std::runtime_error(mask_dir.string() + ": mask folder does not exist");

  Dataset ds;
  ds.options = options;
  const std::vector<fs::path> files = expand_inputs(inputs);
  for (size_t i = 0; i < files.size(); ++i) {
    const fs::path& path = files[i];
    if (progress && !progress(static_cast<int>(i), static_cast<int>(files.size()), path)) throw LoadCancelled();
    std::string why;
    cv::Mat rgb = read_rgb(path, &why);
    if (rgb.empty()) {
      ds.skipped.push_back(path.string() + ": " + why);
      continue;
    }
    Photo ph;
    ph.path = path;
    ph.original_width = rgb.cols;
    ph.original_height = rgb.rows;
    ph.srgb = to_planar(letterbox(rgb, options.size, cv::BORDER_REPLICATE, &ph.scale, &ph.offset_x, &ph.offset_y));
    ph.coverage = static_cast<float>(rgb.cols * ph.scale * rgb.rows * ph.scale) /
                  static_cast<float>(options.size * options.size);
    if (!mask_dir.empty()) {
      const fs::path mp = find_mask(mask_dir, path);
      if (mp.empty()) {
        ds.skipped.push_back(path.string() + ": no mask named " + path.stem().string() + ".* in " + mask_dir.string());
        continue;
      }
      cv::Mat m = read_gray(mp);
      if (m.empty()) {
        ds.skipped.push_back(path.string() + ": mask " + mp.string() + " is not a readable image");
        continue;
      }
      if (m.cols != rgb.cols || m.rows != rgb.rows) {
        ds.skipped.push_back(path.string() + ": mask " + mp.string() + " is " + std::to_string(m.cols) + "x" +
                             std::to_string(m.rows) + ", the photo " + std::to_string(rgb.cols) + "x" +
                             std::to_string(rgb.rows));
        continue;
      }
      if (options.invert_masks) m = 1.0 - m;
      float s, ox, oy;
      ph.mask = to_planar(letterbox(m, options.size, cv::BORDER_CONSTANT, &s, &ox, &oy));
    } else if (auto_masks) {
      ph.mask = auto_mask(ph.srgb, options.auto_mask_iterations);
      ph.mask_is_auto = true;
    }
    ds.photos.push_back(std::move(ph));
  }
  if (ds.photos.empty()) {
    std::string msg = "no readable photos among the inputs";
    for (const std::string& s : ds.skipped) msg += "\n  " + s;
    throw std::runtime_error(msg);
  }
  return ds;
}

}  // namespace invgfx
