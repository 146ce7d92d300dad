// Deterministic, seeded parameter initialisation, matching PyTorch's defaults so that results and
// learning-rate choices carry over.
//
// PyTorch initialises Conv and Linear weights with kaiming_uniform_(a = √5), i.e. U(−b, b) with
// b = gain·√(3 / fan_in), gain = √(2 / (1 + a²)), which is b = 1/√fan_in; biases with
// U(−1/√fan_in, 1/√fan_in); normalisation layers with weight 1 and bias 0 (He et al. 2015, §2.2;
// torch.nn.init). fan_in is the weight's size(1) × receptive field, also for ConvTranspose, whose
// weight is C_in × C_out × kh × kw (so its "fan_in" counts C_out, as in PyTorch).
#pragma once

#include "core/node.h"
#include "core/random.h"

#include <cstdint>

namespace invgfx {

// size(1) × Π size(2..) of a weight of rank ≥ 2; 1 for rank < 2.
int64_t fan_in_of(const Shape& weight_shape);

// U(−b, b) with b = √(2 / (1 + a²)) · √(3 / fan_in).
template <class T>
void kaiming_uniform(TensorT<T>& t, int64_t fan_in, double a, Rng& rng);
template <class T>
void uniform(TensorT<T>& t, double lo, double hi, Rng& rng);

// PyTorch's default for every parameter of `node`, in visit order, from one Rng:
//  - "<…>weight" of rank ≥ 2: kaiming_uniform(a = √5) with its fan_in;
//  - "<…>bias" after such a weight: U(±1/√fan_in) of that weight;
//  - "<…>weight" of rank 1 (a norm's scale): 1; "<…>bias" after it: 0;
//  - anything else: left as it is.
template <class T>
void init_default(NodeT<T>& node, Rng& rng);
template <class T>
void init_default(NodeT<T>& node, uint64_t seed) {
  Rng rng(seed);
  init_default(node, rng);
}

}  // namespace invgfx
