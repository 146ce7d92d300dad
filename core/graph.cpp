// Implementation of core/graph.h.
#include "core/graph.h"

#include <stdexcept>

namespace invgfx {

template <class T>
int GraphT<T>::add_input(std::string name) {
  slots_.push_back(Slot{std::move(name), {}, {}});
  return static_cast<int>(slots_.size()) - 1;
}

template <class T>
std::vector<int> GraphT<T>::add(NodeT<T>* node, const std::vector<int>& inputs) {
  if (static_cast<int>(inputs.size()) != node->num_inputs())
    throw std::invalid_argument("Graph::add: node '" + node->name() + "' takes " +
                                std::to_string(node->num_inputs()) + " inputs, got " +
                                std::to_string(inputs.size()));
  for (int s : inputs)
    if (s < 0 || s >= num_slots()) throw std::invalid_argument("Graph::add: unknown slot " + std::to_string(s));
  Entry e{node, inputs, {}};
  for (int i = 0; i < node->num_outputs(); ++i) {
    slots_.push_back(Slot{node->name() + ".out" + std::to_string(i), {}, {}});
    e.out.push_back(static_cast<int>(slots_.size()) - 1);
  }
  entries_.push_back(e);
  return e.out;
}

template <class T>
std::vector<int> GraphT<T>::add(std::unique_ptr<NodeT<T>> node, const std::vector<int>& inputs) {
  owned_.push_back(std::move(node));
  return add(owned_.back().get(), inputs);
}

template <class T>
void GraphT<T>::forward() {
  for (Entry& e : entries_) {
    in_.clear();
    out_.clear();
    for (int s : e.in) in_.push_back(&value(s));
    for (int s : e.out) out_.push_back(&value(s));
    e.node->forward(in_, out_);
  }
}

template <class T>
void GraphT<T>::backward(int loss_slot) {
  if (value(loss_slot).numel() != 1)
    throw std::invalid_argument("Graph::backward: slot '" + slot_name(loss_slot) + "' is not a scalar");
  for (Slot& s : slots_) {
    s.grad.resize(s.value.shape());
    s.grad.zero();
  }
  grad(loss_slot)[0] = T(1);
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    in_.clear();
    out_c_.clear();
    dout_.clear();
    din_.clear();
    for (int s : it->in) {
      in_.push_back(&value(s));
      din_.push_back(&grad(s));
    }
    for (int s : it->out) {
      out_c_.push_back(&value(s));
      dout_.push_back(&grad(s));
    }
    it->node->backward(in_, out_c_, dout_, din_);
  }
}

template <class T>
void GraphT<T>::zero_grad() {
  visit_parameters([](ParameterT<T>& p) { p.zero_grad(); });
}

template <class T>
void GraphT<T>::visit_parameters(const ParameterVisitor<T>& visit) {
  for (Entry& e : entries_) e.node->visit_parameters(visit);
}

template class GraphT<float>;
template class GraphT<double>;

}  // namespace invgfx
