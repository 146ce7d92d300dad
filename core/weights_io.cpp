// Implementation of core/weights_io.h.
#include "core/weights_io.h"

#include "core/binary_io.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace invgfx {

// Names are u32 length + bytes and data float32 whatever T is (the format above), so the tensors are
// written element by element rather than with BinaryWriter::tensor.
template <class T>
void write_weights(NodeT<T>& node, std::ostream& out, const std::string& what) {
  uint32_t count = 0;
  node.visit_parameters([&](ParameterT<T>&) { ++count; });
  BinaryWriter w(out);
  w.bytes(kWeightsMagic, sizeof(kWeightsMagic));
  w.u32(kWeightsVersion);
  w.u32(count);
  std::vector<float> buf;
  node.visit_parameters([&](ParameterT<T>& p) {
    w.u32(static_cast<uint32_t>(p.name.size()));
    w.bytes(p.name.data(), p.name.size());
    const Shape& s = p.value.shape();
    w.u32(static_cast<uint32_t>(s.rank()));
    for (int i = 0; i < s.rank(); ++i) w.i64(s[i]);
    buf.resize(static_cast<size_t>(p.value.numel()));
    for (int64_t i = 0; i < p.value.numel(); ++i) buf[static_cast<size_t>(i)] = static_cast<float>(p.value[i]);
    w.bytes(buf.data(), buf.size() * sizeof(float));
  });
  if (!out) throw std::runtime_error(what + ": write failed");
}

template <class T>
void read_weights(NodeT<T>& node, std::istream& in, const std::string& what) {
  BinaryReader r(in, what);
  char magic[sizeof(kWeightsMagic)] = {};
  r.set_field("the magic");
  if (r.left() < sizeof(magic)) r.fail("not an invgfx weights file (bad magic)");
  r.bytes(magic, sizeof(magic));
  if (std::memcmp(magic, kWeightsMagic, sizeof(magic)) != 0) r.fail("not an invgfx weights file (bad magic)");
  r.set_field("the version");
  const uint32_t version = r.u32();
  if (version != kWeightsVersion)
    r.fail("unsupported weights version " + std::to_string(version) + " (expected " + std::to_string(kWeightsVersion) + ")");
  r.set_field("the parameter count");
  const uint32_t count = r.u32();
  uint32_t expected = 0;
  node.visit_parameters([&](ParameterT<T>&) { ++expected; });
  r.set_field("");
  if (count != expected)
    r.fail("holds " + std::to_string(count) + " parameters, " + node.name() + " has " + std::to_string(expected));
  std::vector<float> buf;
  std::string name;
  node.visit_parameters([&](ParameterT<T>& p) {
    const std::string field = "parameter '" + p.name + "'";
    r.set_field(field);
    const uint32_t len = r.u32();
    if (len > 4096) r.fail("corrupt name length where " + field + " was expected");
    name.resize(len);
    r.bytes(name.data(), len);
    if (name != p.name) r.fail("found parameter '" + name + "' where " + field + " was expected");
    const Shape s = r.shape(sizeof(float));
    if (s != p.value.shape())
      r.fail(field + " has shape " + s.str() + " in the file, " + p.value.shape().str() + " in " + node.name());
    buf.resize(static_cast<size_t>(s.numel()));
    r.bytes(buf.data(), buf.size() * sizeof(float));
    for (int64_t i = 0; i < s.numel(); ++i) p.value[i] = static_cast<T>(buf[static_cast<size_t>(i)]);
  });
}

template <class T>
void save_weights(NodeT<T>& node, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path + ": cannot open for writing");
  write_weights(node, out, path);
  out.close();
  if (!out) throw std::runtime_error(path + ": write failed");
}

template <class T>
void load_weights(NodeT<T>& node, const std::string& path) {
  std::istringstream in(read_input_file(path, "weights file", limits::kMaxBinaryFileBytes), std::ios::binary);
  read_weights(node, in, path);
}

template void save_weights<float>(NodeT<float>&, const std::string&);
template void save_weights<double>(NodeT<double>&, const std::string&);
template void load_weights<float>(NodeT<float>&, const std::string&);
template void load_weights<double>(NodeT<double>&, const std::string&);
template void write_weights<float>(NodeT<float>&, std::ostream&, const std::string&);
template void write_weights<double>(NodeT<double>&, std::ostream&, const std::string&);
template void read_weights<float>(NodeT<float>&, std::istream&, const std::string&);
template void read_weights<double>(NodeT<double>&, std::istream&, const std::string&);

}  // namespace invgfx
