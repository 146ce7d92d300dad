// Tensors keep their storage; a graph accumulates the gradients of a value that fans out; the
// finite-difference checker passes a correct gradient and catches a wrong one.
#include "core/gradcheck.h"
#include "core/graph.h"

#include <gtest/gtest.h>

#include <cmath>

namespace invgfx {
namespace {

// y = a ⊙ x², with a learnable a: small enough to derive by hand, so it tests the graph and the
// checker themselves.
template <class T>
class SquareScale : public UnaryNodeT<T> {
 public:
  explicit SquareScale(int64_t n) : a_("a", group::kNet, Shape{n}) { a_.value.fill(T(1.5)); }
  std::string name() const override { return "square_scale"; }
  void forward(const TensorT<T>& x, TensorT<T>& y) override {
    y.resize(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) y[i] = a_.value[i] * x[i] * x[i];
  }
  void backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override {
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (dL_dx) (*dL_dx)[i] += dL_dy[i] * T(2) * a_.value[i] * x[i];
      a_.grad[i] += dL_dy[i] * x[i] * x[i];
    }
  }
  void visit_parameters(const ParameterVisitor<T>& v) override { v(a_); }
  ParameterT<T> a_;
};

// Sum of all elements to a scalar.
template <class T>
class SumNode : public UnaryNodeT<T> {
 public:
  std::string name() const override { return "sum"; }
  void forward(const TensorT<T>& x, TensorT<T>& y) override {
    y.resize({1});
    y[0] = 0;
    for (T v : x) y[0] += v;
  }
  void backward(const TensorT<T>& x, const TensorT<T>&, const TensorT<T>& dL_dy, TensorT<T>* dL_dx) override {
    if (dL_dx)
      for (int64_t i = 0; i < x.numel(); ++i) (*dL_dx)[i] += dL_dy[0];
  }
};

TEST(Tensor, ResizeKeepsStorageAndShapes) {
  Tensor t({2, 3, 4, 5});
  EXPECT_EQ(t.numel(), 120);
  const float* p = t.data();
  t.resize({3, 4, 5});
  EXPECT_EQ(t.data(), p);
  EXPECT_EQ(t.shape(), Shape({3, 4, 5}));
  EXPECT_EQ(as4d(t.shape()).n, 1);
  EXPECT_EQ(as4d(t.shape()).c, 3);
  t.at(1, 2, 3) = 7.f;
  EXPECT_EQ(t[(1 * 4 + 2) * 5 + 3], 7.f);
  EXPECT_THROW(t.matrix(7, 7), std::invalid_argument);
  EXPECT_THROW(Tensor({1, 2, 3, 4, 5}), std::invalid_argument);
}

TEST(Tensor, CopyOfAnEmptyTensorIsEmpty) {
  Tensor t({2, 2}, 1.f);
  t.copy_from(Tensor());
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.rank(), 0);
  Tensor scalar;
  scalar.resize(Shape());  // a 0-d scalar has one element and copies as one
  scalar[0] = 3.f;
  t.copy_from(scalar);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t[0], 3.f);
}

TEST(Graph, FanOutAccumulatesGradients) {
  // L = Σ a x² + Σ a (a x²)²: the first node's output feeds both the sum and a second node, so the
  // graph must add both contributions.
  GraphD g;
  SquareScale<double> n1(4), n2(4);
  SumNode<double> s1, s2, s3;
  const int x = g.add_input("x");
  const int y1 = g.add(&n1, {x})[0];
  const int y2 = g.add(&n2, {y1})[0];
  const int l1 = g.add(&s1, {y1})[0];
  const int l2 = g.add(&s2, {y2})[0];
  (void)l1;
  (void)l2;
  g.value(x) = TensorD(Shape{4});
  Rng rng(3);
  rng.fill_uniform(g.value(x), -1, 1);
  g.forward();
  // Combine two losses with a tiny adder built from the graph: backward each and sum the gradients.
  g.zero_grad();
  g.backward(l1);
  TensorD gx1 = g.grad(x);
  g.backward(l2);
  TensorD gx = g.grad(x);
  for (int64_t i = 0; i < 4; ++i) {
    const double xv = g.value(x)[i], a = 1.5;
    const double dl1 = 2 * a * xv;
    const double dl2 = 4 * a * a * a * xv * xv * xv;  // d/dx a (a x²)² = 4 a³ x³
    EXPECT_NEAR(gx1[i], dl1, 1e-12);
    EXPECT_NEAR(gx[i], dl2, 1e-12);
  }
  // Parameter gradients accumulated over both backward calls: dl1/da + dl2/da for n1.
  for (int64_t i = 0; i < 4; ++i) {
    const double xv = g.value(x)[i], a = 1.5;
    EXPECT_NEAR(n1.a_.grad[i], xv * xv + 2 * a * a * xv * xv * xv * xv, 1e-12);
  }
  EXPECT_THROW(g.backward(y1), std::invalid_argument);
}

TEST(GradCheck, PassesCorrectAndCatchesWrongGradient) {
  SquareScale<double> node(6);
  TensorD x(Shape{6});
  Rng rng(5);
  rng.fill_uniform(x, -2, 2);
  GradCheckReport ok = check_node<double>(node, {&x});
  EXPECT_TRUE(ok.ok) << ok.message();
  EXPECT_EQ(ok.checked, 12);

  // A deliberately wrong analytic gradient must fail and be named.
  double v[3] = {0.3, -0.7, 1.1};
  double wrong[3] = {0.6, -1.4, 2.3};  // last entry should be 2.2
  auto loss = [&] { return v[0] * v[0] + v[1] * v[1] + v[2] * v[2]; };
  GradCheckReport bad = check_gradient<double>("v", v, 3, wrong, loss);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.worst_index, 2);
  EXPECT_NE(bad.message().find("v[2]"), std::string::npos);
}

}  // namespace
}  // namespace invgfx
