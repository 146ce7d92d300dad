// Datasets: photos from files, lists and folders, resized and centred to the working resolution, with
// their masks. Reading runs on whatever thread calls `load_dataset`, reports progress and can be
// cancelled, so the GUI can run it off its own thread.
#pragma once

#include "core/tensor.h"
#include "isp/pipeline.h"
#include "render/camera_formats.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace invgfx {

struct DatasetOptions {
  int size = 128;             // working resolution, pixels (square); 16..2048
  // Masks: "" = none; "auto" = computed per photo (GrabCut seeded from the image border); otherwise a
  // folder holding one mask per photo with the same file stem (photo cat.jpg → DIR/cat.png, any image
  // format), white = foreground.
  std::string masks;
  bool invert_masks = false;  // for mask folders where black is foreground
  int auto_mask_iterations = 5;  // GrabCut iterations for "auto"; 1..20
  // Multi-view datasets (multiview_dataset.h): "alpha" in `masks` takes each photo's alpha channel as
  // its mask (the default, "", does when every photo has one). COLMAP photos come from images_dir
  // (default: images/ beside the model). `object`: a plain folder of photos of one object, whose
  // cameras start on an orbit guess (the turntable case) and are fitted.
  std::filesystem::path images_dir;
  bool object = false;
};

struct Photo {
  std::filesystem::path path;
  int original_width = 0, original_height = 0;
  // The photo fitted into the working square: scaled by `scale` and placed at (offset_x, offset_y)
  // pixels, borders padded by replicating the edge. Maps a working pixel p back to the original as
  // (p − offset) / scale, for export at full resolution.
  float scale = 1.f, offset_x = 0.f, offset_y = 0.f;
  Tensor srgb;  // 3×S×S in [0, 1], sRGB-encoded (not linear)
  Tensor mask;  // 1×S×S in [0, 1], 1 = foreground; empty when the dataset has no masks
  bool mask_is_auto = false;
  // Fraction of the working square covered by the photo itself (not by padding); 1 for square photos.
  float coverage = 1.f;
  // Camera RAW photos only (read with isp/raw_file.h): the Bayer mosaic fitted into the working square
  // the same way (1×S×S, CFA phase of raw_settings.cfa at pixel (0, 0), black subtracted and divided
  // by white − black so 0 = black and 1 = saturation; raw_settings then holds black 0, white 1), and
  // the file's metadata. The levels are those of isp_raw_settings (isp/develop.h), which reproduce
  // LibRaw's scaling, so the ISP with raw_settings develops it as LibRaw would. The mosaic is turned
  // to the file's orientation (the CFA pattern follows), and is fitted by its four 2×2-site planes, so
  // every pixel keeps its site's colour. srgb holds a default development of it by
  // assets/isp/default.json (for display and the encoder when the RAW loop is off). RAW photos need an
  // even working size.
  Tensor raw;
  IspRawSettings raw_settings;
  bool is_raw() const { return !raw.empty(); }
};

struct Dataset {
  std::vector<std::filesystem::path> inputs;  // what it was loaded from (files, lists, folders)
  std::vector<Photo> photos;
  std::vector<std::string> skipped;  // "path: reason" for every unreadable input
  DatasetOptions options;
  // A multi-view dataset: one camera per photo (render/camera_formats.h), its intrinsics in the
  // working square's pixels, its pose in the dataset's world frame. Empty for independent photos.
  std::vector<ViewCamera> views;
  bool views_known = false;  // the cameras came from a camera file (else: an orbit guess)
  bool multiview() const { return !views.empty(); }
};

// Which files `load_dataset` takes: the extensions of photos it reads (lower case, with the dot).
bool is_photo_file(const std::filesystem::path& p);

// Expands files, lists and folders (folders are read one level deep, sorted by name) into photo paths;
// a multi-view camera file or COLMAP folder into its views' photos.
// Throws std::runtime_error naming the input when it does not exist.
std::vector<std::filesystem::path> expand_inputs(const std::vector<std::filesystem::path>& inputs);

// Progress: called before each photo with (index, count, path); return false to cancel, which makes
// load_dataset throw LoadCancelled.
using LoadProgress = std::function<bool(int, int, const std::filesystem::path&)>;
struct LoadCancelled : std::runtime_error {
  LoadCancelled() : std::runtime_error("loading cancelled") {}
};

// Loads every readable photo; unreadable ones go to `skipped` with the reason. One input that is a
// camera file or COLMAP folder (is_view_camera_source) loads as a multi-view dataset
// (multiview_dataset.h), and so does a folder with options.object. Throws
// std::runtime_error when nothing is readable or the inputs are empty, or a mask folder is missing.
Dataset load_dataset(const std::vector<std::filesystem::path>& inputs, const DatasetOptions& options,
                     const LoadProgress& progress = {});

// The foreground mask of an sRGB 3×H×W image by GrabCut, seeded with the border as background and the
// inner rectangle as probable foreground. Exposed for tests and for the GUI's mask preview.
Tensor auto_mask(const Tensor& srgb, int iterations = 5);

}  // namespace invgfx
