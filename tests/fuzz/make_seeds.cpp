// Writes the binary seed files of tests/fuzz/corpus/ (the text seeds are written by hand): tiny
// photos in every format the dataset reads, masks, a DNG per CFA layout and orientation, a weights
// file of fuzz_weights' network and a minimal valid session. Run from the source tree after a change
// of a format: `invgfx-fuzz-seeds tests/fuzz/corpus` (built with INVGFX_FUZZ).
#include "app/session_file.h"
#include "core/conv2d.h"
#include "core/linear.h"
#include "core/sequential.h"
#include "core/weights_io.h"
#include "isp/dng_writer.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
using namespace invgfx;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: invgfx-fuzz-seeds CORPUS_DIR\n";
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* d : {"photo", "mask", "raw", "weights", "session"}) fs::create_directories(root / d);

  // Photos: an 8×6 gradient with a disc, in each format and depth the reader takes.
  cv::Mat img(6, 8, CV_8UC3);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(30 * x), static_cast<uint8_t>(40 * y), 128);
  cv::circle(img, {4, 3}, 2, cv::Scalar(20, 200, 60), cv::FILLED);
  cv::imwrite((root / "photo" / "rgb8.png").string(), img);
  cv::imwrite((root / "photo" / "rgb.jpg").string(), img, {cv::IMWRITE_JPEG_QUALITY, 50});
  cv::imwrite((root / "photo" / "progressive.jpg").string(), img, {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  cv::imwrite((root / "photo" / "rgb.bmp").string(), img);
  cv::imwrite((root / "photo" / "rgb.webp").string(), img, {cv::IMWRITE_WEBP_QUALITY, 101});  // lossless
  cv::imwrite((root / "photo" / "rgb8.tif").string(), img);
  cv::Mat img16, imgf;
  img.convertTo(img16, CV_16U, 257.0);
  cv::imwrite((root / "photo" / "rgb16.png").string(), img16);
  img.convertTo(imgf, CV_32F, 1.0 / 255.0);
  cv::imwrite((root / "photo" / "float.tif").string(), imgf);

  // Masks of the fuzz_mask photo's 8×6 size.
  cv::Mat mask(6, 8, CV_8U, cv::Scalar(0));
  cv::circle(mask, {4, 3}, 2, cv::Scalar(255), cv::FILLED);
  cv::imwrite((root / "mask" / "mask.png").string(), mask);
  cv::imwrite((root / "mask" / "mask.bmp").string(), mask);
  cv::Mat mask16;
  mask.convertTo(mask16, CV_16U, 257.0);
  cv::imwrite((root / "mask" / "mask16.png").string(), mask16);

  // RAW: 8×8 mosaics as DNG in two CFA layouts, one rotated, one with a masked border.
  Tensor mosaic({1, 8, 8});
  for (int64_t i = 0; i < mosaic.numel(); ++i) mosaic[i] = static_cast<float>(64 + 13 * (i % 17) * (i % 5));
  DngMetadata meta;
  meta.black_level = {64, 64, 64, 64};
  meta.white_level = 1023;
  meta.as_shot_neutral = {0.5, 1.0, 0.6};
  write_dng((root / "raw" / "rggb.dng").string(), mosaic, meta);
  meta.cfa = CfaPattern::BGGR;
  meta.orientation = 6;
  write_dng((root / "raw" / "bggr_rot90.dng").string(), mosaic, meta);
  meta.cfa = CfaPattern::GRBG;
  meta.orientation = 1;
  meta.active_area = {2, 2, 8, 8};
  write_dng((root / "raw" / "grbg_active_area.dng").string(), mosaic, meta);

  // A RAW with an embedded JPEG preview, for fuzz_raw_preview.
  fs::create_directories(root / "raw_preview");
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 50});
  meta = DngMetadata();
  meta.preview_jpeg.assign(jpeg.begin(), jpeg.end());
  write_dng((root / "raw_preview" / "with_preview.dng").string(), mosaic, meta);

  // Weights of fuzz_weights' network.
  Sequential net("net");
  net.emplace<Conv2d>("conv", Conv2dOptions::square(3, 4, 3, 1, 1));
  net.emplace<Linear>("fc", int64_t{4}, int64_t{2});
  save_weights(net, (root / "weights" / "net.bin").string());

  // A minimal valid session: one photo, a two-entry config, one parameter, one optimizer state.
  SessionContents c;
  c.config = {{"iterations", 10}, {"batch_size", 1}};
  c.inputs.inputs = {"photo.jpg"};
  c.inputs.masks = "auto";
  c.photos = 1;
  c.state.iteration = 3;
  c.state.schedule.order = {0};
  c.state.photo_loss = {0.25};
  c.fields = {{"sharpen.sigma", {1.0}}};
  c.optimizers = {{"net", "adam-state"}};
  Tensor p({2, 3});
  for (int64_t i = 0; i < p.numel(); ++i) p[i] = 0.1f * static_cast<float>(i);
  write_session_file(root / "session" / "minimal.bin", c, {{"fc.weight", &p}});
  std::cout << "wrote the binary seeds under " << root << "\n";
  return 0;
}
