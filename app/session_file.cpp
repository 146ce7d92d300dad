// Implementation of app/session_file.h.
#include "app/session_file.h"

#include "core/atomic_file.h"
#include "core/binary_io.h"
#include "core/input_file.h"
#include "core/limits.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'I', 'G', 'X', 'S', 'E', 'S', 'S', 'N'};
constexpr char kEnd[8] = {'I', 'G', 'X', 'E', 'N', 'D', '\0', '\0'};

std::string relative_to(const fs::path& p, const fs::path& dir) {
  std::error_code ec;
  const fs::path r = fs::relative(fs::absolute(p, ec), dir, ec);
  return ec ? std::string() : r.string();
}

}  // namespace

void write_session_file(const fs::path& path, const SessionContents& c,
                        const std::vector<std::pair<std::string, const Tensor*>>& tensors) {
  std::error_code ec;
  const fs::path dir = fs::absolute(path, ec).parent_path();
  // A checkpoint killed mid-write left its temporary file: this write replaces it.
  remove_stale_temporaries(path);
  write_file_atomically(path, [&](std::ostream& os) {
    BinaryWriter w(os);
    w.bytes(kMagic, 8);
    w.u32(kSessionVersion);
    w.str(c.config.dump());
    w.u64(c.inputs.inputs.size());
    for (const fs::path& p : c.inputs.inputs) {
      w.str(relative_to(p, dir));
      w.str(fs::absolute(p, ec).lexically_normal().string());
    }
    w.str(c.inputs.masks);
    w.u8(c.inputs.invert_masks ? 1 : 0);
    w.u64(c.photos);
    const LoopState& s = c.state;
    w.i64(s.iteration);
    w.u8(s.refining ? 1 : 0);
    w.u64(s.schedule.order.size());
    for (int v : s.schedule.order) w.i64(v);
    w.i64(s.schedule.order_pos);
    w.i64(s.schedule.refine_pos);
    w.str(s.schedule.rng);
    w.f64(s.lr_factor);
    w.u64(s.sensor_frame);
    w.u64(s.photo_loss.size());
    for (double v : s.photo_loss) w.f64(v);
    write_named_values(w, c.fields);
    w.u64(tensors.size());
    for (const auto& [name, t] : tensors) {
      w.str(name);
      w.tensor(*t);
    }
    w.u64(c.optimizers.size());
    for (const auto& [name, state] : c.optimizers) {
      w.str(name);
      w.str(state);
    }
    w.bytes(kEnd, 8);
    w.u32(w.crc());
  });
}

SessionContents read_session_file(const fs::path& path) {
  const std::string what = "session file '" + path.string() + "'";
  const std::string bytes = read_input_file(path, "session file", limits::kMaxBinaryFileBytes);
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw std::runtime_error(what + ": not an invgfx session (bad magic)");
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  if (version == 1)
    throw std::runtime_error(what + ": session version 1 was written by an earlier invgfx; this one reads version " +
                             std::to_string(kSessionVersion) + " (start the fit again)");
  if (version != kSessionVersion)
    throw std::runtime_error(what + ": session version " + std::to_string(version) + ", this build reads version " +
                             std::to_string(kSessionVersion));
  if (bytes.size() < 8 + 4 + 8 + 4) throw std::runtime_error(what + ": truncated");
  uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  if (crc32(bytes.data(), bytes.size() - 4) != stored)
    throw std::runtime_error(what + ": corrupt (its checksum does not match: the file was damaged or cut short)");

  std::istringstream is(bytes.substr(12, bytes.size() - 12 - 4), std::ios::binary);
  BinaryReader r(is, what);
  SessionContents c;
  try {
    c.config = nlohmann::json::parse(r.str());
  } catch (const nlohmann::json::exception& e) {
    r.fail(std::string("its configuration is not valid JSON: ") + e.what());
  }
  const fs::path dir = fs::absolute(path).parent_path();
  r.set_field("the inputs");
  const uint64_t ni = r.count(uint64_t{1} << 24, 16);
  for (uint64_t i = 0; i < ni; ++i) {
    const std::string rel = r.str(), abs = r.str();
    std::error_code ec;
    if (!rel.empty() && fs::exists(dir / rel, ec)) c.inputs.inputs.push_back((dir / rel).lexically_normal());
    else c.inputs.inputs.emplace_back(abs.empty() ? rel : abs);
  }
  c.inputs.masks = r.str();
  c.inputs.invert_masks = r.u8() != 0;
  r.set_field("the loop state");
  c.photos = r.u64();
  LoopState& s = c.state;
  s.iteration = r.i64();
  s.refining = r.u8() != 0;
  s.schedule.order.resize(static_cast<size_t>(r.count(uint64_t{1} << 28, 8)));
  for (int& v : s.schedule.order) {
    const int64_t x = r.i64();
    v = x < INT32_MIN || x > INT32_MAX ? -1 : static_cast<int>(x);
  }
  s.schedule.order_pos = r.i64();
  s.schedule.refine_pos = r.i64();
  s.schedule.rng = r.str();
  s.lr_factor = r.f64();
  s.sensor_frame = r.u64();
  s.photo_loss.resize(static_cast<size_t>(r.count(uint64_t{1} << 28, 8)));
  for (double& v : s.photo_loss) v = r.f64();
  r.set_field("the camera's fields");
  c.fields = read_named_values(r);
  r.set_field("the parameters");
  c.tensors = read_named_tensors(r);
  r.set_field("the optimizer states");
  const uint64_t no = r.count(uint64_t{1} << 24, 16);
  for (uint64_t i = 0; i < no; ++i) {
    std::string name = r.str(1 << 12);
    c.optimizers.emplace_back(std::move(name), r.str());
  }
  r.set_field("");
  char end[8];
  r.bytes(end, 8);
  if (std::memcmp(end, kEnd, 8) != 0 || r.left() != 0) r.fail("corrupt (bad end marker)");
  if (c.photos > (uint64_t{1} << 24)) r.fail("corrupt (" + std::to_string(c.photos) + " photos)");
  try {
    s.check(static_cast<int>(c.photos));
  } catch (const std::exception& e) {
    r.fail(e.what());
  }
  return c;
}

}  // namespace invgfx
