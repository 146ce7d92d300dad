// A graph of nodes over numbered tensor slots: forward runs the nodes in the order they were added,
// backward runs them in reverse and accumulates gradients, including where a slot fans out.
#pragma once

#include "core/node.h"

#include <memory>
#include <string>
#include <vector>

namespace invgfx {

template <class T>
class GraphT {
 public:
  // A slot that the caller fills before forward (a photo, a target, scene parameters as tensors).
  int add_input(std::string name);
  // Appends a node reading the given slots; returns the slots of its outputs. The graph does not own
  // the node unless it is passed as unique_ptr.
  std::vector<int> add(NodeT<T>* node, const std::vector<int>& inputs);
  std::vector<int> add(std::unique_ptr<NodeT<T>> node, const std::vector<int>& inputs);

  TensorT<T>& value(int slot) { return slots_[static_cast<size_t>(slot)].value; }
  TensorT<T>& grad(int slot) { return slots_[static_cast<size_t>(slot)].grad; }
  const std::string& slot_name(int slot) const { return slots_[static_cast<size_t>(slot)].name; }
  int num_slots() const { return static_cast<int>(slots_.size()); }

  void forward();
  // Backward from a scalar slot (dL/dL = 1). Slot gradients are zeroed first; parameter gradients are
  // not (call zero_grad), so several losses can accumulate.
  void backward(int loss_slot);
  void zero_grad();
  void visit_parameters(const ParameterVisitor<T>& visit);

 private:
  struct Slot {
    std::string name;
    TensorT<T> value, grad;
  };
  struct Entry {
    NodeT<T>* node;
    std::vector<int> in, out;
  };
  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  std::vector<std::unique_ptr<NodeT<T>>> owned_;
  // Scratch pointer lists reused across calls, so a step does not allocate.
  std::vector<const TensorT<T>*> in_, out_c_, dout_;
  std::vector<TensorT<T>*> out_, din_;
};

using Graph = GraphT<float>;
using GraphD = GraphT<double>;

}  // namespace invgfx
