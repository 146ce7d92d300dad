// Fuzz target: scene.json (what `fit` writes and `render` reads) through read_scene_file, then a
// 16×16 render of what it read. The mesh it names is a fixed valid OBJ (a tetrahedron with vertex colours) beside it.
#include "app/scene_file.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace invgfx;
  static const bool mesh = [] {
    fuzz::write_scratch("mesh.obj", "v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1\nv 0 0 1 0.5 0.5 0.5\n"
                                    "f 1 2 3\nf 1 3 4\nf 1 4 2\nf 2 4 3\n");
    return true;
  }();
  (void)mesh;
  const auto path = fuzz::write_scratch("scene.json", fuzz::as_view(data, size));
  fuzz::expect_clean([&] {
    SceneFile f = read_scene_file(path);
    f.render.size = 16;
    render_scene_file(f);
  });
  return 0;
}
