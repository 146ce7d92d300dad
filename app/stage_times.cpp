// Implementation of app/stage_times.h.
#include "app/stage_times.h"

namespace invgfx {

const char* stage_name(LoopStage s) {
  static const char* const names[kNumLoopStages] = {
      "develop_photos",         "encode",           "decode",          "render",
      "mosaic",                 "develop",          "losses",          "develop.backward",
      "mosaic.backward",        "render.backward",  "decode.backward", "encode.backward",
      "develop_photos.backward", "step"};
  return names[static_cast<int>(s)];
}

}  // namespace invgfx
