// Implementation of render/camera_formats.h.
#include "render/camera_formats.h"

#include "render/texture_image.h"

#include <nlohmann/json.hpp>

#include <Eigen/Geometry>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& file, const std::string& where, const std::string& what) {
  throw std::runtime_error(file.string() + (where.empty() ? "" : ": " + where) + ": " + what);
}

double number(const nlohmann::json& j, const char* key, const fs::path& file, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end()) fail(file, where, std::string("missing field '") + key + "'");
  if (!it->is_number()) fail(file, where, std::string("field '") + key + "' is not a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) fail(file, where, std::string("field '") + key + "' is not finite");
  return v;
}

// A field of the frame, else of the file, else `fallback` (NaN: required).
double frame_or_file(const nlohmann::json& frame, const nlohmann::json& root, const char* key, double fallback,
                     const fs::path& file, const std::string& where) {
  if (frame.contains(key)) return number(frame, key, file, where);
  if (root.contains(key)) return number(root, key, file, "");
  if (std::isnan(fallback)) fail(file, where, std::string("missing field '") + key + "'");
  return fallback;
}

bool photo_size(const fs::path& p, int& w, int& h) { return image_file_size(p.string(), w, h); }

}  // namespace

bool ViewCamera::has_distortion() const {
  for (double d : distortion)
    if (d != 0) return true;
  return false;
}

void cv_from_nerf_c2w(const Eigen::Matrix4d& c2w, Eigen::Matrix3d& R, Eigen::Vector3d& t) {
  // c2w maps GL camera coordinates to the world; the OpenCV camera frame is diag(1, −1, −1)·GL.
  const Eigen::Vector3d flip(1, -1, -1);
  const Eigen::Matrix3d Rc2w = c2w.topLeftCorner<3, 3>();
  const Eigen::Vector3d C = c2w.topRightCorner<3, 1>();
  R = flip.asDiagonal() * Rc2w.transpose();
  t = -R * C;
}

Eigen::Matrix4d nerf_c2w_from_cv(const Eigen::Matrix3d& R, const Eigen::Vector3d& t) { return gl_world_from_camera(R, t); }

Eigen::Matrix3d rotation_from_colmap_quaternion(const std::array<double, 4>& q) {
  Eigen::Quaterniond qq(q[0], q[1], q[2], q[3]);  // Eigen's constructor takes w first, as COLMAP writes
  qq.normalize();
  return qq.toRotationMatrix();
}

std::array<double, 4> colmap_quaternion_from_rotation(const Eigen::Matrix3d& R) {
  Eigen::Quaterniond q(R);
  q.normalize();
  if (q.w() < 0) q.coeffs() *= -1;
  return {q.w(), q.x(), q.y(), q.z()};
}

fs::path resolve_photo_path(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p;
  static const char* const exts[] = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".webp", ".bmp"};
  for (const char* e : exts) {
    fs::path q = p;
    q += e;
    if (fs::is_regular_file(q, ec)) return q;
    std::string up = e;
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    q = p;
    q += up;
    if (fs::is_regular_file(q, ec)) return q;
  }
  return p;
}

CameraIntrinsics rescale_intrinsics(const CameraIntrinsics& k, double scale, double dx, double dy, int width,
                                    int height) {
  CameraIntrinsics o = k;
  o.fx = k.fx * scale;
  o.fy = k.fy * scale;
  o.cx = scale * (k.cx + 0.5) - 0.5 + dx;
  o.cy = scale * (k.cy + 0.5) - 0.5 + dy;
  o.width = width;
  o.height = height;
  return o;
}

std::vector<ViewCamera> read_nerf_transforms(const fs::path& path) {
  std::ifstream f(path);
  if (!f) fail(path, "", "cannot open the file");
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    fail(path, "", std::string("not valid JSON (") + e.what() + ")");
  }
  if (!root.is_object()) fail(path, "", "not a JSON object");
  const auto frames = root.find("frames");
  if (frames == root.end() || !frames->is_array()) fail(path, "", "missing array 'frames'");
  if (frames->empty()) fail(path, "", "'frames' is empty");
  const fs::path base = path.parent_path();
  std::vector<ViewCamera> out;
  for (size_t i = 0; i < frames->size(); ++i) {
    const nlohmann::json& fr = (*frames)[i];
    const std::string where = "frame " + std::to_string(i);
    if (!fr.is_object()) fail(path, where, "not an object");
    const auto fp = fr.find("file_path");
    if (fp == fr.end() || !fp->is_string()) fail(path, where, "missing string 'file_path'");
    ViewCamera v;
    v.image = resolve_photo_path((base / fp->get<std::string>()).lexically_normal());
    v.name = fs::path(fp->get<std::string>()).stem().string();
    const auto tm = fr.find("transform_matrix");
    if (tm == fr.end() || !tm->is_array() || (tm->size() != 4 && tm->size() != 3))
      fail(path, where, "'transform_matrix' must be a 4×4 (or 3×4) array");
    Eigen::Matrix4d c2w = Eigen::Matrix4d::Identity();
    for (int r = 0; r < static_cast<int>(tm->size()); ++r) {
      const nlohmann::json& row = (*tm)[static_cast<size_t>(r)];
      if (!row.is_array() || row.size() != 4) fail(path, where, "'transform_matrix' row " + std::to_string(r) + " must hold 4 numbers");
      for (int c = 0; c < 4; ++c) {
        if (!row[static_cast<size_t>(c)].is_number()) fail(path, where, "'transform_matrix' holds a non-number");
        c2w(r, c) = row[static_cast<size_t>(c)].get<double>();
      }
    }
    if (!c2w.allFinite()) fail(path, where, "'transform_matrix' is not finite");
    const Eigen::Matrix3d Rc = c2w.topLeftCorner<3, 3>();
    if ((Rc.transpose() * Rc - Eigen::Matrix3d::Identity()).norm() > 1e-3 || Rc.determinant() < 0)
      fail(path, where, "'transform_matrix' has no rotation in its top-left 3×3 (scaled or mirrored)");
    cv_from_nerf_c2w(c2w, v.R, v.t);

    // Image size: the file's w/h, else the photo's own.
    int w = 0, h = 0;
    if (fr.contains("w") || root.contains("w")) {
      w = static_cast<int>(frame_or_file(fr, root, "w", NAN, path, where));
      h = static_cast<int>(frame_or_file(fr, root, "h", NAN, path, where));
    } else if (!photo_size(v.image, w, h)) {
      fail(path, where, "no 'w'/'h' and the photo '" + v.image.string() + "' cannot be read for its size");
    }
    if (w < 1 || h < 1) fail(path, where, "'w' and 'h' must be ≥ 1");
    CameraIntrinsics K;
    K.width = w;
    K.height = h;
    const bool has_fl = fr.contains("fl_x") || root.contains("fl_x");
    if (has_fl) {
      K.fx = frame_or_file(fr, root, "fl_x", NAN, path, where);
      K.fy = frame_or_file(fr, root, "fl_y", K.fx, path, where);
      K.cx = frame_or_file(fr, root, "cx", 0.5 * w, path, where) - 0.5;
      K.cy = frame_or_file(fr, root, "cy", 0.5 * h, path, where) - 0.5;
    } else {
      const double ax = frame_or_file(fr, root, "camera_angle_x", NAN, path, where);
      if (!(ax > 0 && ax < M_PI)) fail(path, where, "'camera_angle_x' must be in (0, π) radians");
      K.fx = 0.5 * w / std::tan(0.5 * ax);
      K.fy = K.fx;
      if (fr.contains("camera_angle_y") || root.contains("camera_angle_y")) {
        const double ay = frame_or_file(fr, root, "camera_angle_y", NAN, path, where);
        if (!(ay > 0 && ay < M_PI)) fail(path, where, "'camera_angle_y' must be in (0, π) radians");
        K.fy = 0.5 * h / std::tan(0.5 * ay);
      }
      // Blender renders with the principal point at the image centre.
      K.cx = 0.5 * (w - 1);
      K.cy = 0.5 * (h - 1);
    }
    if (!(K.fx > 0) || !(K.fy > 0)) fail(path, where, "the focal length must be positive");
    v.K = K;
    static const char* const dist[] = {"k1", "k2", "p1", "p2", "k3"};
    for (int d = 0; d < 5; ++d) v.distortion[static_cast<size_t>(d)] = frame_or_file(fr, root, dist[d], 0.0, path, where);
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// Non-comment, non-empty lines with their 1-based line numbers.
std::vector<std::pair<int, std::string>> data_lines(const fs::path& p, bool keep_empty) {
  std::ifstream f(p);
  if (!f) fail(p, "", "cannot open the file");
  std::vector<std::pair<int, std::string>> out;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '#') continue;
    if (line.find_first_not_of(" \t") == std::string::npos && !keep_empty) continue;
    out.emplace_back(n, line);
  }
  return out;
}

struct ColmapCamera {
  CameraIntrinsics K;
  std::array<double, 5> distortion{};
};

}  // namespace

std::vector<ViewCamera> read_colmap_text(const fs::path& model_dir, const fs::path& images_dir_in) {
  const fs::path cams_path = model_dir / "cameras.txt", imgs_path = model_dir / "images.txt";
  std::map<long, ColmapCamera> cams;
  for (const auto& [ln, line] : data_lines(cams_path, false)) {
    const std::string where = "line " + std::to_string(ln);
    std::istringstream s(line);
    long id = 0;
    std::string model;
    int w = 0, h = 0;
    if (!(s >> id >> model >> w >> h)) fail(cams_path, where, "expected CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]");
    if (w < 1 || h < 1) fail(cams_path, where + " camera " + std::to_string(id), "WIDTH and HEIGHT must be ≥ 1");
    std::vector<double> p;
    double x;
    while (s >> x) p.push_back(x);
    if (!s.eof()) fail(cams_path, where + " camera " + std::to_string(id), "a parameter is not a number");
    auto need = [&](size_t n) {
      if (p.size() != n)
        fail(cams_path, where + " camera " + std::to_string(id),
             model + " needs " + std::to_string(n) + " parameters, got " + std::to_string(p.size()));
    };
    ColmapCamera c;
    c.K.width = w;
    c.K.height = h;
    if (model == "SIMPLE_PINHOLE") {
      need(3);
      c.K.fx = c.K.fy = p[0], c.K.cx = p[1], c.K.cy = p[2];
    } else if (model == "PINHOLE") {
      need(4);
      c.K.fx = p[0], c.K.fy = p[1], c.K.cx = p[2], c.K.cy = p[3];
    } else if (model == "SIMPLE_RADIAL") {
      need(4);
      c.K.fx = c.K.fy = p[0], c.K.cx = p[1], c.K.cy = p[2], c.distortion[0] = p[3];
    } else if (model == "RADIAL") {
      need(5);
      c.K.fx = c.K.fy = p[0], c.K.cx = p[1], c.K.cy = p[2], c.distortion[0] = p[3], c.distortion[1] = p[4];
    } else if (model == "OPENCV") {
      need(8);
      c.K.fx = p[0], c.K.fy = p[1], c.K.cx = p[2], c.K.cy = p[3];
      for (int d = 0; d < 4; ++d) c.distortion[static_cast<size_t>(d)] = p[4 + static_cast<size_t>(d)];
    } else {
      fail(cams_path, where + " camera " + std::to_string(id),
           "camera model '" + model + "' is not supported (SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV)");
    }
    if (!(c.K.fx > 0) || !(c.K.fy > 0)) fail(cams_path, where + " camera " + std::to_string(id), "the focal length must be positive");
    // COLMAP's pixel (0, 0) spans [0, 1]²: its centre is at ½.
    c.K.cx -= 0.5;
    c.K.cy -= 0.5;
    cams[id] = c;
  }
  if (cams.empty()) fail(cams_path, "", "no cameras");

  fs::path images_dir = images_dir_in;
  std::error_code ec;
  if (images_dir.empty()) {
    const fs::path up = model_dir.parent_path();
    for (const fs::path& cand : {up / "images", up.parent_path() / "images", up.parent_path().parent_path() / "images",
                                 model_dir / "images"})
      if (fs::is_directory(cand, ec)) {
        images_dir = cand;
        break;
      }
    if (images_dir.empty()) images_dir = model_dir;
  }

  // images.txt: two lines per image; the second (the 2-D points) may be empty, so empty lines count.
  std::vector<std::pair<int, std::string>> lines = data_lines(imgs_path, true);
  std::vector<ViewCamera> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& [ln, line] = lines[i];
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // a trailing empty line
    const std::string where = "line " + std::to_string(ln);
    std::istringstream s(line);
    long id = 0, cam = 0;
    std::array<double, 4> q{};
    Eigen::Vector3d t;
    std::string name;
    if (!(s >> id >> q[0] >> q[1] >> q[2] >> q[3] >> t.x() >> t.y() >> t.z() >> cam >> name))
      fail(imgs_path, where, "expected IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME");
    const std::string img = "image " + std::to_string(id) + " (" + name + ")";
    const double qn = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(qn > 1e-9) || !std::isfinite(qn)) fail(imgs_path, where + " " + img, "the quaternion QW QX QY QZ is zero or not finite");
    if (!t.allFinite()) fail(imgs_path, where + " " + img, "TX TY TZ is not finite");
    const auto c = cams.find(cam);
    if (c == cams.end()) fail(imgs_path, where + " " + img, "CAMERA_ID " + std::to_string(cam) + " is not in cameras.txt");
    ViewCamera v;
    v.name = fs::path(name).stem().string();
    v.image = resolve_photo_path(images_dir / name);
    v.K = c->second.K;
    v.distortion = c->second.distortion;
    v.R = rotation_from_colmap_quaternion(q);
    v.t = t;
    out.push_back(std::move(v));
    ++i;  // skip the POINTS2D line
  }
  if (out.empty()) fail(imgs_path, "", "no images");
  return out;
}

namespace {
fs::path colmap_model_dir(const fs::path& p) {
  std::error_code ec;
  for (const fs::path& d : {p, p / "sparse" / "0", p / "sparse"})
    if (fs::is_regular_file(d / "cameras.txt", ec) && fs::is_regular_file(d / "images.txt", ec)) return d;
  return {};
}
}  // namespace

bool is_view_camera_source(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) {
    const std::string n = p.filename().string();
    return p.extension() == ".json" && n.rfind("transforms", 0) == 0;
  }
  return fs::is_directory(p, ec) && !colmap_model_dir(p).empty();
}

std::vector<ViewCamera> read_view_cameras(const fs::path& path, const fs::path& images_dir) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return read_nerf_transforms(path);
  if (!fs::exists(path, ec)) throw std::runtime_error(path.string() + ": does not exist");
  const fs::path d = colmap_model_dir(path);
  if (d.empty())
    throw std::runtime_error(path.string() + ": neither a transforms*.json nor a folder with cameras.txt and images.txt");
  return read_colmap_text(d, images_dir);
}

}  // namespace invgfx
