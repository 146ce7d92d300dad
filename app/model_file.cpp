// Implementation of app/model_file.h.
#include "app/model_file.h"

#include "core/atomic_file.h"
#include "core/binary_io.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace {

constexpr char kMagic[8] = {'I', 'G', 'X', 'M', 'O', 'D', 'E', 'L'};
constexpr char kEnd[8] = {'I', 'G', 'X', 'E', 'N', 'D', '\0', '\0'};

void write_indices(BinaryWriter& w, const std::vector<int32_t>& v) {
  w.u64(v.size());
  w.bytes(v.data(), v.size() * sizeof(int32_t));
}

std::vector<int32_t> read_indices(BinaryReader& r) {
  std::vector<int32_t> v(static_cast<size_t>(r.count(uint64_t{1} << 28, 4)));
  r.bytes(v.data(), v.size() * sizeof(int32_t));
  return v;
}

}  // namespace

std::string encode_model_bytes(const ModelContents& c) {
  std::ostringstream os(std::ios::binary);
  BinaryWriter w(os);
  w.bytes(kMagic, 8);
  w.u32(kModelVersion);
  w.str(c.config.dump());
  w.str(c.info.dump());
  const Mesh& m = c.template_mesh;
  w.tensor(m.positions);
  write_indices(w, m.faces);
  w.tensor(m.uvs);
  write_indices(w, m.uv_faces);
  w.tensor(m.normals);
  w.tensor(m.colors);
  w.tensor(m.texture);
  w.str(m.name);
  write_named_values(w, c.fields);
  w.u64(c.tensors.size());
  for (const auto& [name, t] : c.tensors) {
    w.str(name);
    w.tensor(t);
  }
  w.bytes(kEnd, 8);
  w.u32(w.crc());
  return os.str();
}

ModelContents decode_model_bytes(std::string_view bytes, const std::string& what) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw std::runtime_error(what + ": not an invgfx model (bad magic)");
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  if (version != kModelVersion)
    throw std::runtime_error(what + ": model version " + std::to_string(version) + ", this build reads version " +
                             std::to_string(kModelVersion) + " (train the model again with this build)");
  if (bytes.size() < 12 + 8 + 4) throw std::runtime_error(what + ": truncated");
  uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  if (crc32(bytes.data(), bytes.size() - 4) != stored)
    throw std::runtime_error(what + ": corrupt (its checksum does not match: the file was damaged or cut short)");

  std::istringstream is(std::string(bytes.substr(12, bytes.size() - 12 - 4)), std::ios::binary);
  BinaryReader r(is, what);
  ModelContents c;
  try {
    r.set_field("the configuration");
    c.config = nlohmann::json::parse(r.str());
    r.set_field("the info");
    c.info = nlohmann::json::parse(r.str());
  } catch (const nlohmann::json::exception& e) {
    r.fail(std::string("not valid JSON: ") + e.what());
  }
  r.set_field("the template mesh");
  Mesh& m = c.template_mesh;
  r.tensor(m.positions);
  m.faces = read_indices(r);
  r.tensor(m.uvs);
  m.uv_faces = read_indices(r);
  r.tensor(m.normals);
  r.tensor(m.colors);
  r.tensor(m.texture);
  m.name = r.str(1 << 12);
  try {
    m.validate("template mesh");
  } catch (const std::exception& e) {
    r.fail(std::string("corrupt (") + e.what() + ")");
  }
  r.set_field("the camera's fields");
  c.fields = read_named_values(r);
  r.set_field("the parameters");
  c.tensors = read_named_tensors(r);
  r.set_field("");
  char end[8];
  r.bytes(end, 8);
  if (std::memcmp(end, kEnd, 8) != 0 || r.left() != 0) r.fail("corrupt (bad end marker)");
  return c;
}

void write_model_file(const std::filesystem::path& path, const ModelContents& contents) {
  const std::string bytes = encode_model_bytes(contents);
  write_file_atomically(path, bytes);
}

ModelContents read_model_file(const std::filesystem::path& path) {
  const std::string what = "model file '" + path.string() + "'";
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(what + ": cannot open it");
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return decode_model_bytes(bytes, what);
}

}  // namespace invgfx
