// Multi-view datasets: the photos of a NeRF/instant-ngp transforms*.json or a COLMAP text model, each
// with its known camera (render/camera_formats.h), fitted into the working square with the camera
// following (focal lengths and principal point scaled and shifted by the same placement); photos whose
// camera has lens distortion are undistorted with OpenCV into the pinhole of the same K. And the
// orbit guess for a plain folder of photos of one object (`--object`, the turntable case).
#pragma once

#include "app/dataset.h"

namespace invgfx {

// Loads the dataset `source` names (is_view_camera_source). Masks: options.masks "alpha" (each
// photo's alpha channel; photos without one are skipped with the reason), "auto", or "" (none).
// Photos with alpha are composited over white (as NeRF-synthetic is usually read) whatever the masks.
// Throws std::runtime_error naming the file, frame and field of a bad camera file, or when no photo
// is readable.
Dataset load_multiview_dataset(const std::filesystem::path& source, const DatasetOptions& options,
                               const LoadProgress& progress = {});

// "alpha" when every photo of the camera source has an alpha channel, else "" (for the default mask
// policy, fit_request.h).
std::string default_multiview_masks(const std::filesystem::path& source, const std::filesystem::path& images_dir = {});

// Cameras on an orbit guess for ds's photos, in file order: evenly spaced in azimuth, at elevation
// `elevation` (rad) and `distance` world units from the origin, vertical field of view fov_y (rad).
void guess_orbit_views(Dataset& ds, double fov_y = 0.6, double distance = 3.0, double elevation = 0.3);

// A view's camera as the scene's pinhole tensor (render/scene.h: axis-angle, t, fx, fy, cx, cy).
Tensor pinhole_tensor(const ViewCamera& v);
// And back: the pose and intrinsics of a pinhole tensor, onto `v` (its size and name kept).
void view_from_pinhole(const Tensor& camera, ViewCamera& v);

}  // namespace invgfx
