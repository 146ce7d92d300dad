// Implementation of core/optimizer.h.
#include "core/optimizer.h"

#include "core/binary_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace invgfx {

namespace {

// Elements per block of the gradient-norm reduction; large enough to amortise the OpenMP dispatch,
// small enough to balance two threads on a single big tensor.
constexpr int64_t kBlock = int64_t{1} << 14;
// Below this many elements in total, the norm is computed on one thread.
constexpr int64_t kParallelMin = int64_t{1} << 16;

constexpr char kMagic[8] = {'I', 'G', 'X', 'O', 'P', 'T', 'S', 'T'};
constexpr uint32_t kVersion = 1;

const char* nonfinite_word(double v) { return std::isnan(v) ? "nan" : "inf"; }

// Σ x² in double over eight interleaved partial sums, so the loop vectorises; the summation order is
// fixed by n alone, so the result does not depend on the thread count.
template <class T>
double sum_of_squares(const T* x, int64_t n) {
  constexpr int kLanes = 8;
  double acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int k = 0; k < kLanes; ++k) acc[k] += static_cast<double>(x[j + k]) * static_cast<double>(x[j + k]);
  for (; j < n; ++j) acc[0] += static_cast<double>(x[j]) * static_cast<double>(x[j]);
  double s = 0.0;
  for (double a : acc) s += a;
  return s;
}

}  // namespace

void GroupSettings::check(const std::string& group) const {
  const std::string where = "GroupSettings for group '" + group + "': ";
  if (!(lr_scale >= 0.0) || !std::isfinite(lr_scale))
    throw std::invalid_argument(where + "lr_scale must be finite and >= 0, got " + std::to_string(lr_scale));
  if (lr && (!(*lr >= 0.0) || !std::isfinite(*lr)))
    throw std::invalid_argument(where + "lr must be finite and >= 0, got " + std::to_string(*lr));
  if (weight_decay && (!(*weight_decay >= 0.0) || !std::isfinite(*weight_decay)))
    throw std::invalid_argument(where + "weight_decay must be finite and >= 0, got " +
                                std::to_string(*weight_decay));
}

template <class T>
OptimizerT<T>::OptimizerT(std::vector<ParameterT<T>*> params, double lr) : params_(std::move(params)) {
  set_lr(lr);
  numel_.resize(params_.size());
  frozen_.assign(params_.size(), 0);
  for (size_t i = 0; i < params_.size(); ++i) {
    ParameterT<T>* p = params_[i];
    if (!p) throw std::invalid_argument("Optimizer: parameter " + std::to_string(i) + " is null");
    if (p->grad.numel() != p->value.numel()) p->zero_grad();
    numel_[i] = p->value.numel();
    for (int64_t s = 0; s < numel_[i]; s += kBlock) {
      block_param_.push_back(static_cast<int>(i));
      block_start_.push_back(s);
    }
  }
  block_sum_.assign(block_param_.size(), 0.0);
  step_lr_.assign(params_.size(), 0.0);
  step_wd_.assign(params_.size(), 0.0);
}

template <class T>
void OptimizerT<T>::set_lr(double lr) {
  if (!(lr >= 0.0) || !std::isfinite(lr))
    throw std::invalid_argument("Optimizer::set_lr: learning rate must be finite and >= 0, got " +
                                std::to_string(lr));
  lr_ = lr;
}

template <class T>
void OptimizerT<T>::set_schedule(const LrSchedule& schedule) {
  schedule.check();
  schedule_ = schedule;
}

template <class T>
const GroupSettings& OptimizerT<T>::settings_of(const std::string& group) const {
  auto it = groups_.find(group);
  return it == groups_.end() ? default_group_ : it->second;
}

template <class T>
GroupSettings OptimizerT<T>::group(const std::string& group) const {
  return settings_of(group);
}

template <class T>
double OptimizerT<T>::group_lr(const std::string& group) const {
  const GroupSettings& g = settings_of(group);
  if (g.frozen) return 0.0;
  return (g.lr ? *g.lr : lr_ * g.lr_scale) * schedule_.factor(step_count_);
}

template <class T>
void OptimizerT<T>::set_group(const std::string& group, const GroupSettings& settings) {
  settings.check(group);
  groups_[group] = settings;
  for (ParameterT<T>* p : params_)
    if (p->group == group) p->requires_grad = !settings.frozen;
}

template <class T>
void OptimizerT<T>::freeze(const std::string& group, bool frozen) {
  GroupSettings s = settings_of(group);
  s.frozen = frozen;
  set_group(group, s);
}

template <class T>
std::vector<std::string> OptimizerT<T>::group_names() const {
  std::vector<std::string> names;
  for (const ParameterT<T>* p : params_)
    if (std::find(names.begin(), names.end(), p->group) == names.end()) names.push_back(p->group);
  return names;
}

template <class T>
void OptimizerT<T>::set_max_grad_norm(double max_norm) {
  if (!(max_norm >= 0.0) || !std::isfinite(max_norm))
    throw std::invalid_argument("Optimizer::set_max_grad_norm: must be finite and >= 0, got " +
                                std::to_string(max_norm));
  max_grad_norm_ = max_norm;
}

template <class T>
void OptimizerT<T>::set_weight_decay(double weight_decay) {
  if (!(weight_decay >= 0.0) || !std::isfinite(weight_decay))
    throw std::invalid_argument("Optimizer::set_weight_decay: must be finite and >= 0, got " +
                                std::to_string(weight_decay));
  weight_decay_ = weight_decay;
}

template <class T>
void OptimizerT<T>::zero_grad() {
  for (ParameterT<T>* p : params_) p->zero_grad();
}

template <class T>
void OptimizerT<T>::find_bad_gradients(StepReport& report) const {
  std::ostringstream msg;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (frozen_[i]) continue;
    const T* g = params_[i]->grad.data();
    for (int64_t j = 0; j < numel_[i]; ++j) {
      if (std::isfinite(static_cast<double>(g[j]))) continue;
      if (report.bad_count == 0) {
        report.bad_parameter = params_[i]->name;
        report.bad_parameter_index = static_cast<int>(i);
        report.bad_index = j;
        msg << "gradient of " << params_[i]->name << " is " << nonfinite_word(static_cast<double>(g[j]))
            << " at element " << j << " (parameter " << i << " of " << params_.size() << ")";
      } else {
        msg << (report.bad_count == 1 ? "; also non-finite: " : ", ") << params_[i]->name;
      }
      ++report.bad_count;
      break;
    }
  }
  report.problem = msg.str() + "; step refused, parameters and optimizer state unchanged";
}

template <class T>
StepReport OptimizerT<T>::step(double loss) {
  StepReport r = prepare(loss);
  return r.applied ? apply(r) : r;
}

template <class T>
StepReport OptimizerT<T>::step() {
  StepReport r = prepare();
  return r.applied ? apply(r) : r;
}

template <class T>
StepReport OptimizerT<T>::prepare(double loss) {
  if (!std::isfinite(loss)) {
    prepared_ = false;
    StepReport r;
    r.problem = std::string("loss is ") + nonfinite_word(loss) +
                "; step refused, parameters and optimizer state unchanged";
    r.step = step_count_;
    return r;
  }
  return prepare();
}

template <class T>
StepReport OptimizerT<T>::prepare() {
  prepared_ = false;
  StepReport report;
  int64_t total = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const ParameterT<T>& p = *params_[i];
    if (p.value.numel() != numel_[i] || p.grad.numel() != numel_[i])
      throw std::logic_error("Optimizer::step: parameter " + p.name + " has " +
                             std::to_string(p.value.numel()) + " values and " + std::to_string(p.grad.numel()) +
                             " gradients, but had " + std::to_string(numel_[i]) +
                             " when the optimizer was created");
    frozen_[i] = settings_of(p.group).frozen ? 1 : 0;
    total += numel_[i];
  }

  // Σ g² per fixed block, in double: a float gradient squared cannot overflow a double, and NaN or
  // Inf anywhere makes its block's sum non-finite, which is how the guard finds it.
  const int64_t nb = static_cast<int64_t>(block_param_.size());
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
  for (int64_t b = 0; b < nb; ++b) {
    const size_t i = static_cast<size_t>(block_param_[static_cast<size_t>(b)]);
    double s = 0.0;
    if (!frozen_[i]) {
      const T* g = params_[i]->grad.data();
      const int64_t j0 = block_start_[static_cast<size_t>(b)], j1 = std::min(j0 + kBlock, numel_[i]);
      s = sum_of_squares(g + j0, j1 - j0);
    }
    block_sum_[static_cast<size_t>(b)] = s;
  }

  double norm = 0.0;
  bool bad = false;
  for (size_t b = 0, i = 0; i < params_.size(); ++i) {
    double s = 0.0;
    for (; b < block_param_.size() && block_param_[b] == static_cast<int>(i); ++b) s += block_sum_[b];
    if (frozen_[i]) continue;
    double pn = std::sqrt(s);
    if (!std::isfinite(s)) {
      // Either a non-finite element, or (double only) finite elements above ~1e154 whose squares
      // overflow: the latter is recomputed with scaling, the former refuses the step.
      const T* g = params_[i]->grad.data();
      double m = 0.0;
      for (int64_t j = 0; j < numel_[i] && !bad; ++j) {
        const double v = static_cast<double>(g[j]);
        if (!std::isfinite(v)) bad = true;
        m = std::max(m, std::abs(v));
      }
      if (bad) continue;
      double ss = 0.0;
      for (int64_t j = 0; j < numel_[i]; ++j) ss += (static_cast<double>(g[j]) / m) * (static_cast<double>(g[j]) / m);
      pn = m * std::sqrt(ss);
    }
    norm = std::hypot(norm, pn);
  }
  report.step = step_count_;
  if (bad) {
    find_bad_gradients(report);
    return report;
  }

  report.grad_norm = norm;
  if (max_grad_norm_ > 0.0 && norm > max_grad_norm_) report.clip_scale = max_grad_norm_ / norm;
  report.lr = lr_ * schedule_.factor(step_count_);
  report.applied = true;
  prepared_ = true;
  return report;
}

template <class T>
StepReport OptimizerT<T>::apply(StepReport report) {
  if (!prepared_ || !report.applied)
    throw std::logic_error("Optimizer::apply: no prepare() allowed this step");
  prepared_ = false;
  const double factor = schedule_.factor(step_count_);
  int64_t total = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    total += numel_[i];
    if (frozen_[i]) continue;
    const GroupSettings& g = settings_of(params_[i]->group);
    step_lr_[i] = (g.lr ? *g.lr : lr_ * g.lr_scale) * factor;
    step_wd_[i] = g.weight_decay ? *g.weight_decay : weight_decay_;
    begin_update(i);
  }
  const T scale = static_cast<T>(report.clip_scale);
  const int64_t nb = static_cast<int64_t>(block_param_.size());
#pragma omp parallel for schedule(static) if (total >= kParallelMin)
  for (int64_t b = 0; b < nb; ++b) {
    const size_t i = static_cast<size_t>(block_param_[static_cast<size_t>(b)]);
    if (frozen_[i]) continue;
    const int64_t j0 = block_start_[static_cast<size_t>(b)], j1 = std::min(j0 + kBlock, numel_[i]);
    update_range(i, *params_[i], j0, j1, static_cast<T>(step_lr_[i]), static_cast<T>(step_wd_[i]), scale);
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (!frozen_[i]) end_update(i);
  ++step_count_;
  report.step = step_count_;
  return report;
}

namespace {

// dst ← src in parallel blocks (a backup of a large network is tens of MB per step).
template <class T>
void fast_copy(TensorT<T>& dst, const TensorT<T>& src) {
  dst.resize(src.shape());
  const int64_t n = src.numel(), block = int64_t{1} << 15;
  const T* s = src.data();
  T* d = dst.data();
#pragma omp parallel for schedule(static) if (n >= 4 * block)
  for (int64_t i0 = 0; i0 < n; i0 += block)
    std::memcpy(d + i0, s + i0, sizeof(T) * static_cast<size_t>(std::min(block, n - i0)));
}

}  // namespace

template <class T>
void OptimizerT<T>::keep() {
  if (kept_state_.empty() && kept_counts_.empty()) {
    visit_state({[&](const std::string&, TensorT<T>& t) { kept_state_.push_back(&t); },
                 [&](const std::string&, int64_t& v) { kept_counts_.push_back(&v); }});
    kept_state_copy_.resize(kept_state_.size());
    kept_counts_copy_.resize(kept_counts_.size());
    kept_values_.resize(params_.size());
    kept_value_.assign(params_.size(), 0);
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    kept_value_[i] = !settings_of(params_[i]->group).frozen;
    if (kept_value_[i]) fast_copy(kept_values_[i], params_[i]->value);
  }
  for (size_t k = 0; k < kept_state_.size(); ++k) fast_copy(kept_state_copy_[k], *kept_state_[k]);
  for (size_t k = 0; k < kept_counts_.size(); ++k) kept_counts_copy_[k] = *kept_counts_[k];
}

template <class T>
void OptimizerT<T>::rollback() {
  if (kept_values_.size() != params_.size()) throw std::logic_error("Optimizer::rollback: nothing was kept");
  for (size_t i = 0; i < params_.size(); ++i)
    if (kept_value_[i]) fast_copy(params_[i]->value, kept_values_[i]);
  for (size_t k = 0; k < kept_state_.size(); ++k) fast_copy(*kept_state_[k], kept_state_copy_[k]);
  for (size_t k = 0; k < kept_counts_.size(); ++k) *kept_counts_[k] = kept_counts_copy_[k];
}

template <class T>
void OptimizerT<T>::visit_state(const OptimizerStateVisitor<T>& visit) {
  if (visit.integer) visit.integer("step", step_count_);
  visit_own_state(visit);
}

template <class T>
void OptimizerT<T>::save_state(std::ostream& os) {
  uint64_t count = 0;
  visit_state({[&](const std::string&, TensorT<T>&) { ++count; }, [&](const std::string&, int64_t&) { ++count; }});
  BinaryWriter w(os);
  w.bytes(kMagic, sizeof(kMagic));
  w.u32(kVersion);
  w.u32(sizeof(T));
  w.str(name());
  w.u64(count);
  visit_state({[&](const std::string& n, TensorT<T>& t) {
                 w.u8(0);
                 w.str(n);
                 w.tensor(t);
               },
               [&](const std::string& n, int64_t& v) {
                 w.u8(1);
                 w.str(n);
                 w.i64(v);
               }});
  if (!os) throw std::runtime_error("optimizer state: write failed");
}

template <class T>
void OptimizerT<T>::load_state(std::istream& is) {
  BinaryReader r(is, "optimizer state");
  char magic[sizeof(kMagic)] = {};
  if (r.left() < sizeof(magic)) r.fail("not an invgfx optimizer state (bad magic)");
  r.bytes(magic, sizeof(magic));
  if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) r.fail("not an invgfx optimizer state (bad magic)");
  const uint32_t version = r.u32();
  if (version != kVersion) r.fail("version " + std::to_string(version) + ", this build reads " + std::to_string(kVersion));
  const uint32_t scalar = r.u32();
  if (scalar != sizeof(T))
    r.fail("saved with " + std::to_string(scalar) + "-byte scalars, loading into " + std::to_string(sizeof(T)) +
           "-byte ones");
  const std::string tag = r.str(1 << 10);
  if (tag != name()) r.fail("saved by '" + tag + "', loading into '" + name() + "'");
  // Each entry takes at least a kind byte and a string length.
  const uint64_t count = r.count(uint64_t{1} << 32, 9);

  struct Entry {
    uint8_t kind;
    std::string name;
    TensorT<T> t;
    int64_t v = 0;
  };
  std::vector<Entry> entries;
  for (uint64_t k = 0; k < count; ++k) {
    Entry e;
    e.kind = r.u8();
    e.name = r.str(1 << 20);
    r.set_field("entry '" + e.name + "'");
    if (e.kind == 0) r.tensor(e.t);
    else if (e.kind == 1) e.v = r.i64();
    else r.fail("unknown entry kind " + std::to_string(e.kind));
    r.set_field("");
    entries.push_back(std::move(e));
  }

  // Verify everything first, so a bad stream leaves the optimizer as it was.
  size_t k = 0;
  auto expect = [&](const std::string& n, uint8_t kind) -> Entry& {
    if (k >= entries.size())
      throw std::runtime_error("optimizer state: stream has " + std::to_string(entries.size()) +
                               " entries, but this optimizer needs '" + n + "' and more");
    Entry& e = entries[k++];
    if (e.name != n || e.kind != kind)
      throw std::runtime_error("optimizer state: entry " + std::to_string(k - 1) + " is '" + e.name +
                               "' in the stream but '" + n + "' in this optimizer (parameters differ?)");
    return e;
  };
  visit_state({[&](const std::string& n, TensorT<T>& t) {
                 Entry& e = expect(n, 0);
                 if (e.t.shape() != t.shape())
                   throw std::runtime_error("optimizer state: '" + n + "' has shape " + e.t.shape().str() +
                                            " in the stream but " + t.shape().str() + " here");
               },
               [&](const std::string& n, int64_t&) { expect(n, 1); }});
  if (k != entries.size())
    throw std::runtime_error("optimizer state: stream has " + std::to_string(entries.size()) +
                             " entries, this optimizer only " + std::to_string(k));
  k = 0;
  visit_state({[&](const std::string&, TensorT<T>& t) { std::copy(entries[k].t.begin(), entries[k].t.end(), t.begin()); ++k; },
               [&](const std::string&, int64_t& v) { v = entries[k++].v; }});
}

template <class T>
std::string OptimizerT<T>::save_state() {
  std::ostringstream os(std::ios::binary);
  save_state(os);
  return os.str();
}

template <class T>
void OptimizerT<T>::load_state(const std::string& bytes) {
  std::istringstream is(bytes, std::ios::binary);
  load_state(is);
}

template class OptimizerT<float>;
template class OptimizerT<double>;

}  // namespace invgfx
