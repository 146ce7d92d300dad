// Saving and loading all parameters of a node (a layer, a Sequential, a whole network).
//
// File format (version 1), all integers and floats little-endian:
//   magic    8 bytes  "IGFXWTS\0"
//   version  uint32   1
//   count    uint32   number of parameters
//   count times, in visit_parameters order:
//     name_len uint32, name (name_len bytes UTF-8, no terminator)
//     rank     uint32 (0..4), dims int64 × rank
//     data     float32 × Π dims, row-major
// Values are stored as float32 whatever the node's scalar type. Loading requires the same
// parameters, by name and shape, in the same order; anything else throws std::runtime_error with a
// message naming the file and the parameter, and leaves parameters before it already loaded.
#pragma once

#include "core/node.h"

#include <iosfwd>
#include <string>

namespace invgfx {

inline constexpr char kWeightsMagic[8] = {'I', 'G', 'F', 'X', 'W', 'T', 'S', '\0'};
inline constexpr uint32_t kWeightsVersion = 1;

template <class T>
void save_weights(NodeT<T>& node, const std::string& path);
template <class T>
void load_weights(NodeT<T>& node, const std::string& path);

// The same on streams (for embedding in session files); `what` names the source in messages.
template <class T>
void write_weights(NodeT<T>& node, std::ostream& out, const std::string& what);
template <class T>
void read_weights(NodeT<T>& node, std::istream& in, const std::string& what);

}  // namespace invgfx
