// Implementation of app/dataset.h.
#include "app/dataset.h"

#include "app/image_header.h"
#include "app/loop_config.h"
#include "app/multiview_dataset.h"
#include "app/photo_fit.h"
#include "core/input_file.h"
#include "core/limits.h"
#include "isp/develop.h"
#include "isp/raw_file.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

const char* const kPhotoExtensions[] = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"};
// Camera RAW formats LibRaw reads (isp/raw_file.h); Bayer sensors only, others are reported as skipped.
const char* const kRawExtensions[] = {".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2",
                                      ".orf", ".rw2", ".raf", ".pef", ".srw", ".rwl", ".3fr", ".iiq", ".mos",
                                      ".mrw", ".erf", ".kdc", ".dcr", ".raw"};

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

// Decodes an image file with OpenCV (which applies the EXIF orientation), reading only a regular file
// (a FIFO would block imread forever) of at most the photo limit, and refusing a header that claims
// more than limits::kMaxPhotoPixels before anything is decoded. Empty with `why` on failure.
cv::Mat decode_image(const fs::path& path, int flags, std::string* why) {
  std::string bytes;
  try {
    bytes = read_input_file(path, "image", limits::kMaxPhotoFileBytes);
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what(), prefix = "image '" + path.string() + "': ";
    *why = msg.rfind(prefix, 0) == 0 ? msg.substr(prefix.size()) : msg;
    return {};
  }
  if (const auto size = image_header_size(bytes);
      size && (size->width == 0 || size->height == 0 || size->width * size->height > limits::kMaxPhotoPixels)) {
    *why = "its header claims " + std::to_string(size->width) + "x" + std::to_string(size->height) +
           " pixels, outside 1.." + std::to_string(limits::kMaxPhotoPixels / 1000000) + " megapixels";
    return {};
  }
  cv::Mat m;
  try {
    m = cv::imdecode(cv::Mat(1, static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)), CV_8U, bytes.data()),
                     flags);
  } catch (const cv::Exception& e) {
    *why = "not a readable image (" + std::string(e.err.empty() ? e.what() : e.err) + ")";
    return {};
  }
  if (m.empty()) *why = "not a readable image (corrupt or unsupported format)";
  return m;
}

// Refuses float images with NaN or infinite pixels: one such photo would make every step diverge.
bool finite_pixels(const cv::Mat& m, std::string* why) {
  if (m.depth() != CV_32F) return true;
  if (cv::checkRange(m, true, nullptr, -1e30, 1e30)) return true;
  int bad = 0;
  for (int y = 0; y < m.rows; ++y) {
    const float* row = m.ptr<float>(y);
    for (int x = 0; x < m.cols * m.channels(); ++x) bad += !std::isfinite(row[x]) || std::fabs(row[x]) > 1e30f;
  }
  *why = "float image with " + std::to_string(bad) + " non-finite (NaN or infinite) values";
  return false;
}

// Reads any 8- or 16-bit or float image as float RGB in [0, 1].
cv::Mat read_rgb(const fs::path& path, std::string* why) {
  cv::Mat m = decode_image(path, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH, why);
  if (m.empty() || !finite_pixels(m, why)) return {};
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

cv::Mat read_gray(const fs::path& path, std::string* why) {
  cv::Mat m = decode_image(path, cv::IMREAD_GRAYSCALE | cv::IMREAD_ANYDEPTH, why);
  if (m.empty() || !finite_pixels(m, why)) return {};
  cv::Mat f;
  m.convertTo(f, CV_32F, m.depth() == CV_16U ? 1.0 / 65535.0 : m.depth() == CV_32F ? 1.0 : 1.0 / 255.0);
  return f;
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


bool is_raw_extension(const fs::path& p) {
  const std::string e = lower_extension(p);
  return std::any_of(std::begin(kRawExtensions), std::end(kRawExtensions), [&](const char* x) { return e == x; });
}

// The pattern of the oriented mosaic: the colours its first tile takes from the source (orient_image's
// index map on the even-sized source H×W).
CfaPattern oriented_cfa(CfaPattern cfa, int flip, int64_t h, int64_t w) {
  std::array<int, 4> tile{};
  for (int r = 0; r < 2; ++r)
    for (int q = 0; q < 2; ++q) {
      int64_t sr = (flip & 4) ? q : r, sc = (flip & 4) ? r : q;
      if (flip & 2) sr = h - 1 - sr;
      if (flip & 1) sc = w - 1 - sc;
      tile[static_cast<size_t>(2 * r + q)] = cfa_colour_at(cfa, static_cast<int>(sr), static_cast<int>(sc));
    }
  return cfa_pattern_from_tile(tile);
}

// A RAW photo: the visible mosaic (cropped to even size, so the CFA phase at (0, 0) is the file's),
// black-subtracted and scaled per site exactly as the ISP's black/white stage would with the file's
// settings (isp_raw_settings, which reproduces LibRaw's scaling), oriented, then fitted into the
// working square by its four site planes: each H/2 × W/2 plane is letterboxed to S/2 like an sRGB photo
// and the planes are re-interleaved, so every output pixel keeps its site's colour.
// The default sRGB is the assets/isp/default.json pipeline with the file's settings on that mosaic.
// Returns false with `why` when the file cannot be used.
bool load_raw_photo(const fs::path& path, int size, std::unique_ptr<IspPipeline>& isp, Photo* ph, Placement* full,
                    std::string* why) {
  if (size % 2 != 0) {
    *why = "RAW photos need an even working size, got " + std::to_string(size);
    return false;
  }
  RawImage raw;
  try {
    raw = read_raw(path.string());
  } catch (const std::exception& e) {
    // read_raw names the file itself ("read_raw: 'PATH': reason"); keep only the reason.
    std::string msg = e.what();
    const std::string prefix = "read_raw: '" + path.string() + "': ";
    if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    *why = msg;
    return false;
  }
  const int64_t H = raw.mosaic.dim(1) & ~int64_t(1), W = raw.mosaic.dim(2) & ~int64_t(1);
  if (H < 2 || W < 2) {
    *why = "RAW image is too small";
    return false;
  }
  const IspRawSettings s = isp_raw_settings(raw);
  Tensor mosaic({1, H, W});
  const int64_t src_w = raw.mosaic.dim(2);
#pragma omp parallel for schedule(static) if (H * W > (1 << 16))
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const size_t site = static_cast<size_t>(((y & 1) << 1) | (x & 1));
      mosaic[y * W + x] = static_cast<float>((raw.mosaic[y * src_w + x] - raw.black_at(y, x)) / (s.white - s.black[site]));
    }
  CfaPattern cfa = raw.cfa;
  if (raw.flip != 0) {
    cfa = oriented_cfa(raw.cfa, raw.flip, H, W);
    mosaic = orient_image(mosaic, raw.flip);
  }
  const int oh = static_cast<int>(mosaic.dim(1)), ow = static_cast<int>(mosaic.dim(2));

  const int half = size / 2;
  const Placement plane = fit_placement(ow / 2, oh / 2, half);
  ph->raw.resize({1, size, size});
  for (int site = 0; site < 4; ++site) {
    const int dy = site >> 1, dx = site & 1;
    cv::Mat m(oh / 2, ow / 2, CV_32F);
    for (int y = 0; y < oh / 2; ++y) {
      float* row = m.ptr<float>(y);
      const float* src = mosaic.data() + static_cast<int64_t>(2 * y + dy) * ow + dx;
      for (int x = 0; x < ow / 2; ++x) row[x] = src[2 * x];
    }
    const cv::Mat fitted = place(m, half, plane, cv::BORDER_REPLICATE);
    for (int y = 0; y < half; ++y) {
      const float* row = fitted.ptr<float>(y);
      float* dst = ph->raw.data() + static_cast<int64_t>(2 * y + dy) * size + dx;
      for (int x = 0; x < half; ++x) dst[2 * x] = row[x];
    }
  }
  full->scale = plane.scale;
  full->w = 2 * plane.w, full->h = 2 * plane.h;
  full->left = 2 * plane.left, full->top = 2 * plane.top;

  ph->raw_settings = s;
  ph->raw_settings.cfa = cfa;
  ph->raw_settings.black = {0, 0, 0, 0};
  ph->raw_settings.white = 1;
  ph->original_width = ow;
  ph->original_height = oh;
  ph->scale = full->scale;
  ph->offset_x = static_cast<float>(full->left);
  ph->offset_y = static_cast<float>(full->top);

  if (!isp) isp = std::make_unique<IspPipeline>(IspPipeline::from_file((assets_dir() / "isp" / "default.json").string()));
  isp->apply_raw_settings(ph->raw_settings);
  isp->forward(ph->raw, ph->srgb);
  for (float& v : ph->srgb) v = std::clamp(v, 0.f, 1.f);
  return true;
}

}  // namespace

bool is_photo_file(const fs::path& p) {
  const std::string e = lower_extension(p);
  return is_raw_extension(p) ||
         std::any_of(std::begin(kPhotoExtensions), std::end(kPhotoExtensions), [&](const char* x) { return e == x; });
}

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs) {
  std::vector<fs::path> out;
  for (const fs::path& in : inputs) {
    std::error_code ec;
    if (is_view_camera_source(in)) {
      for (const ViewCamera& v : read_view_cameras(in)) out.push_back(v.image);
    } else if (fs::is_directory(in, ec)) {
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
  if (options.size < limits::kMinWorkingSize || options.size > limits::kMaxWorkingSize)
    throw std::runtime_error("working size " + std::to_string(options.size) + " is outside " +
                             std::to_string(limits::kMinWorkingSize) + ".." + std::to_string(limits::kMaxWorkingSize));
  if (inputs.empty()) throw std::runtime_error("no input photos given");
  if (inputs.size() == 1 && is_view_camera_source(inputs[0])) return load_multiview_dataset(inputs[0], options, progress);
  const bool auto_masks = options.masks == "auto";
  const fs::path mask_dir = (!options.masks.empty() && !auto_masks) ? fs::path(options.masks) : fs::path();
  std::error_code ec;
  if (!mask_dir.empty() && !fs::is_directory(mask_dir, ec))
    throw std::runtime_error(mask_dir.string() + ": mask folder does not exist");

  Dataset ds;
  ds.options = options;
  ds.inputs = inputs;
  std::unique_ptr<IspPipeline> isp;  // default development of RAW photos, built at the first one
  const std::vector<fs::path> files = expand_inputs(inputs);
  if (static_cast<int64_t>(files.size()) > limits::kMaxPhotos)
    throw std::runtime_error("the inputs hold " + std::to_string(files.size()) + " photos, more than the limit of " +
                             std::to_string(limits::kMaxPhotos) + " in one fit");
  for (size_t i = 0; i < files.size(); ++i) {
    const fs::path& path = files[i];
    if (progress && !progress(static_cast<int>(i), static_cast<int>(files.size()), path)) throw LoadCancelled();
    std::string why;
    Photo ph;
    ph.path = path;
    Placement placement;
    if (is_raw_extension(path)) {
      if (!load_raw_photo(path, options.size, isp, &ph, &placement, &why)) {
        ds.skipped.push_back(path.string() + ": " + why);
        continue;
      }
    } else {
      cv::Mat rgb = read_rgb(path, &why);
      if (rgb.empty()) {
        ds.skipped.push_back(path.string() + ": " + why);
        continue;
      }
      ph.original_width = rgb.cols;
      ph.original_height = rgb.rows;
      placement = fit_placement(rgb.cols, rgb.rows, options.size);
      ph.scale = placement.scale;
      ph.offset_x = static_cast<float>(placement.left);
      ph.offset_y = static_cast<float>(placement.top);
      ph.srgb = to_planar(place(rgb, options.size, placement, cv::BORDER_REPLICATE));
    }
    ph.coverage = static_cast<float>(placement.w) * static_cast<float>(placement.h) /
                  static_cast<float>(options.size * options.size);
    if (!mask_dir.empty()) {
      const fs::path mp = find_mask(mask_dir, path);
      if (mp.empty()) {
        ds.skipped.push_back(path.string() + ": no mask named " + path.stem().string() + ".* in " + mask_dir.string());
        continue;
      }
      std::string mask_why;
      cv::Mat m = read_gray(mp, &mask_why);
      if (m.empty()) {
        ds.skipped.push_back(path.string() + ": mask " + mp.string() + ": " + mask_why);
        continue;
      }
      if (m.cols != ph.original_width || m.rows != ph.original_height) {
        ds.skipped.push_back(path.string() + ": mask " + mp.string() + " is " + std::to_string(m.cols) + "x" +
                             std::to_string(m.rows) + ", the photo " + std::to_string(ph.original_width) + "x" +
                             std::to_string(ph.original_height));
        continue;
      }
      if (options.invert_masks) m = 1.0 - m;
      ph.mask = to_planar(place(m, options.size, placement, cv::BORDER_CONSTANT));
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
  if (options.object) guess_orbit_views(ds);
  return ds;
}

}  // namespace invgfx
