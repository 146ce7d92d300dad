// Binning faces into square screen tiles, shared by the hard and the soft rasterizer. A counting sort
// over the faces' pixel rectangles, so each tile lists its faces in ascending face order: the order
// that makes the per-tile depth test and the gradient sums independent of the thread count.
#pragma once

#include "render/clip.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace invgfx {

// Below these sizes the raster passes run on one thread: a fork/join costs microseconds on a quiet
// machine and milliseconds when other processes oversubscribe the cores (an 80² fit of a 1280-face
// mesh ran 9x slower in wall time with two threads than with one), while the work itself is tens of
// microseconds. At 128² and above, and from 4096 faces, the parallel loops pay.
inline constexpr int64_t kRasterParallelMinPixels = 128 * 128;
inline constexpr int64_t kRasterParallelMinFaces = 4096;

// rect_of(f) returns face f's PixelRect (empty = not drawn). On return tile t's faces are
// tile_faces[tile_start[t] .. tile_start[t + 1]); `fill` is scratch. The vectors keep their storage
// across calls, so steady-state frames do not allocate.
template <class RectOf>
void bin_faces_to_tiles(int64_t num_faces, int tiles_x, size_t num_tiles, int tile_size, RectOf rect_of,
                        std::vector<int32_t>& tile_start, std::vector<int32_t>& tile_faces,
                        std::vector<int32_t>& fill) {
  auto for_each_tile = [&](const PixelRect& r, auto&& visit) {
    for (int j = r.y0 / tile_size; j <= r.y1 / tile_size; ++j)
      for (int i = r.x0 / tile_size; i <= r.x1 / tile_size; ++i) visit(static_cast<size_t>(j) * tiles_x + i);
  };
  tile_start.assign(num_tiles + 1, 0);
  for (int64_t f = 0; f < num_faces; ++f) {
    const PixelRect& r = rect_of(f);
    if (!r.empty()) for_each_tile(r, [&](size_t t) { ++tile_start[t + 1]; });
  }
  for (size_t t = 0; t < num_tiles; ++t) tile_start[t + 1] += tile_start[t];
  // The number of (tile, face) entries changes with the geometry: growing the storage with half
  // again as much headroom keeps the frames of an optimisation, whose mesh moves a little each
  // step, from allocating again and again.
  const size_t entries = static_cast<size_t>(tile_start[num_tiles]);
  if (entries > tile_faces.capacity()) tile_faces.reserve(entries + entries / 2);
  tile_faces.resize(entries);
  fill.assign(tile_start.begin(), tile_start.end() - 1);
  for (int64_t f = 0; f < num_faces; ++f) {
    const PixelRect& r = rect_of(f);
    if (!r.empty())
      for_each_tile(r, [&](size_t t) { tile_faces[static_cast<size_t>(fill[t]++)] = static_cast<int32_t>(f); });
  }
}

}  // namespace invgfx
