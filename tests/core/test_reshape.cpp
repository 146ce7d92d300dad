// The reshape node: N×F read as N×C×H×W in the same order, the gradient passed through unchanged
// (central differences in double, core/gradcheck.h's defaults: the map is linear, so the
// difference is exact up to rounding), and a size that does not fit refused.
#include "core/gradcheck.h"
#include "core/reshape.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

namespace invgfx {
namespace {

TEST(Reshape, KeepsTheOrderAndPassesTheGradient) {
  ReshapeD r(2, 3, 4);
  TensorD x = test::random_tensor({5, 24}, 3, -1, 1), y;
  r.forward(x, y);
  EXPECT_EQ(y.shape(), Shape({5, 2, 3, 4}));
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(y[i], x[i]);
  const GradCheckReport rep = check_node<double>(r, {&x});
  EXPECT_TRUE(rep.ok) << rep.message();
  EXPECT_GT(rep.checked, 0);
  TensorD bad({5, 23});
  EXPECT_THROW(r.forward(bad, y), std::invalid_argument);
}

}  // namespace
}  // namespace invgfx
