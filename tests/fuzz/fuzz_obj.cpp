// Fuzz target: an OBJ template (tinyobjloader, then load_obj's checks: triangles, indices, finite
// coordinates, texture coordinates and vertex colours, the mesh's own validation, vertex normals).
#include "render/obj_loader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  const auto path = fuzz::write_scratch("template.obj", fuzz::as_view(data, size));
  fuzz::expect_clean([&] { load_obj<float>(path.string()); });
  return 0;
}
