#include "core/weights_io.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace invgfx {

static_assert(std::endian::native == std::endian::little, "weights_io assumes a little-endian host");

namespace {

template <class V>
void put(std::ostream& out, const V& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof(V));
}

template <class V>
V get(std::istream& in, const std::string& what, const std::string& field) {
  V v{};
  in.read(reinterpret_cast<char*>(&v), sizeof(V));
  if (!in) throw std::runtime_error(what + ": file is truncated while reading " + field);
  return v;
}

}  // namespace

template <class T>
void write_weights(NodeT<T>& node, std::ostream& out, const std::string& what) {
  uint32_t count = 0;
  node.visit_parameters([&](ParameterT<T>&) { ++count; });
  out.write(kWeightsMagic, sizeof(kWeightsMagic));
  put(out, kWeightsVersion);
  put(out, count);
  std::vector<float> buf;
  node.visit_parameters([&](ParameterT<T>& p) {
    put(out, static_cast<uint32_t>(p.name.size()));
    out.write(p.name.data(), static_cast<std::streamsize>(p.name.size()));
    const Shape& s = p.value.shape();
    put(out, static_cast<uint32_t>(s.rank()));
    for (int i = 0; i < s.rank(); ++i) put(out, static_cast<int64_t>(s[i]));
    buf.resize(static_cast<size_t>(p.value.numel()));
    for (int64_t i = 0; i < p.value.numel(); ++i) buf[static_cast<size_t>(i)] = static_cast<float>(p.value[i]);
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size() * sizeof(float)));
  });
  if (!out) throw std::runtime_error(what + ": write failed");
}

template <class T>
void read_weights(NodeT<T>& node, std::istream& in, const std::string& what) {
  char magic[sizeof(kWeightsMagic)] = {};
  in.read(magic, sizeof(magic));
  if (!in || std::memcmp(magic, kWeightsMagic, sizeof(magic)) != 0)
    throw std::runtime_error(what + ": not an invgfx weights file (bad magic)");
  const auto version = get<uint32_t>(in, what, "the version");
  if (version != kWeightsVersion)
    throw std::runtime_error(what + ": unsupported weights version " + std::to_string(version) + " (expected " +
                             std::to_string(kWeightsVersion) + ")");
  const auto count = get<uint32_t>(in, what, "the parameter count");
  uint32_t expected = 0;
  node.visit_parameters([&](ParameterT<T>&) { ++expected; });
  if (count != expected)
    throw std::runtime_error(what + ": holds " + std::to_string(count) + " parameters, " + node.name() +
                             " has " + std::to_string(expected));
  std::vector<float> buf;
  std::string name;
  node.visit_parameters([&](ParameterT<T>& p) {
    const std::string field = "parameter '" + p.name + "'";
    const auto len = get<uint32_t>(in, what, "the name of " + field);
    if (len > 4096) throw std::runtime_error(what + ": corrupt name length where " + field + " was expected");
    name.resize(len);
    in.read(name.data(), len);
    if (!in) throw std::runtime_error(what + ": file is truncated while reading the name of " + field);
    if (name != p.name)
      throw std::runtime_error(what + ": found parameter '" + name + "' where " + field + " was expected");
    const auto rank = get<uint32_t>(in, what, "the rank of " + field);
    if (rank > static_cast<uint32_t>(Shape::kMaxRank))
      throw std::runtime_error(what + ": " + field + " has rank " + std::to_string(rank) + " > 4");
    std::vector<int64_t> dims(rank);
    for (auto& d : dims) d = get<int64_t>(in, what, "the shape of " + field);
    for (auto d : dims)
      if (d < 0) throw std::runtime_error(what + ": " + field + " has a negative dimension");
    const Shape s(dims);
    if (s != p.value.shape())
      throw std::runtime_error(what + ": " + field + " has shape " + s.str() + " in the file, " +
                               p.value.shape().str() + " in " + node.name());
    buf.resize(static_cast<size_t>(s.numel()));
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size() * sizeof(float)));
    if (!in) throw std::runtime_error(what + ": file is truncated in the data of " + field);
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
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open for reading");
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
