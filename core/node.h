// The node model every stage of the project follows. A node computes its outputs from its inputs and parameters (forward);
// given dL/d(outputs) it adds dL/d(inputs) into the caller's buffers and adds into its parameters'
// gradients (backward). It may keep what it needs for backward from its own forward.
//
// Conventions every node follows:
//  - forward resizes its outputs (Tensor::resize keeps storage, so steady state does not allocate);
//  - backward ADDS into dL_din[i] (which has the shape of in[i]) and into parameter grads, so fan-out
//    in a graph needs no extra buffers; a null dL_din[i] means that input's gradient is not wanted;
//  - backward is called with the same inputs and outputs as the forward just before it.
#pragma once

#include "core/parameter.h"
#include "core/tensor.h"

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace invgfx {

// A non-owning list of tensor pointers, built from a braced list or a vector at the call site:
// node.forward({&x}, {&y}). A braced list lives until the end of the full expression, i.e. for the
// whole call, so a Refs must never be stored beyond the call it is passed to.
template <class X>
class Refs {
 public:
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"  // intended: see the lifetime note above
  Refs(const std::initializer_list<X*>& l) : ptr_(l.begin()), n_(l.size()) {}
#pragma GCC diagnostic pop
  Refs(const std::vector<X*>& v) : ptr_(v.data()), n_(v.size()) {}
  size_t size() const { return n_; }
  X* ptr(size_t i) const { return i < n_ ? ptr_[i] : nullptr; }
  X& operator[](size_t i) const { return *ptr_[i]; }

 private:
  X* const* ptr_;
  size_t n_;
};

template <class T>
class NodeT {
 public:
  using Scalar = T;
  using In = Refs<const TensorT<T>>;
  using Out = Refs<TensorT<T>>;

  virtual ~NodeT() = default;
  // Stage name: the same string in timers, logs, JSON and the GUI.
  virtual std::string name() const = 0;
  virtual int num_inputs() const { return 1; }
  virtual int num_outputs() const { return 1; }

  virtual void forward(In in, Out out) = 0;
  virtual void backward(In in, In out, In dL_dout, Out dL_din) = 0;

  virtual void visit_parameters(const ParameterVisitor<T>& /*visit*/) {}
};

using Node = NodeT<float>;
using NodeD = NodeT<double>;

// The common case: one tensor in, one tensor out (layers, activations, ISP stages).
template <class T>
class UnaryNodeT : public NodeT<T> {
 public:
  using typename NodeT<T>::In;
  using typename NodeT<T>::Out;

  virtual void forward(const TensorT<T>& x, TensorT<T>& y) = 0;
  // Adds dL/dx into *dL_dx when it is not null; adds into parameter gradients.
  virtual void backward(const TensorT<T>& x, const TensorT<T>& y, const TensorT<T>& dL_dy,
                        TensorT<T>* dL_dx) = 0;

  void forward(In in, Out out) final { forward(in[0], out[0]); }
  void backward(In in, In out, In dL_dout, Out dL_din) final {
    backward(in[0], out[0], dL_dout[0], dL_din.ptr(0));
  }
};

using UnaryNode = UnaryNodeT<float>;
using UnaryNodeD = UnaryNodeT<double>;

}  // namespace invgfx
