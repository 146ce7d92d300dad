// Texture images on disk: PNG/JPG (anything stb_image reads) to linear RGB tensors and back.
// Files hold sRGB-encoded 8-bit values (as every viewer and the glTF spec assume for base colour);
// the scene model works in linear RGB, so loading applies the sRGB decoding curve (IEC 61966-2-1)
// and saving the encoding curve, with clamping to [0, 1].
#pragma once

#include "core/tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace invgfx {

// 3×H×W linear RGB, row 0 = the top row of the file. Grey and RGBA files are expanded/stripped.
// Throws std::runtime_error naming the path when the file is missing or not an image.
template <class T = float>
TensorT<T> load_texture_image(const std::string& path);

// Writes a C×H×W (C = 1, 3 or 4; the 4th channel is alpha and stored linearly) image as PNG.
// Throws std::runtime_error naming the path when it cannot be written.
template <class T>
void save_texture_png(const std::string& path, const TensorT<T>& linear);

// The size (and channel count: 4 with alpha) of an image file from its header, nothing decoded; false
// when it is not an image stb reads.
bool image_file_size(const std::string& path, int& width, int& height, int* channels = nullptr);

// The same PNG, in memory (for embedding in .glb).
template <class T>
std::vector<unsigned char> encode_texture_png(const TensorT<T>& linear);

}  // namespace invgfx
