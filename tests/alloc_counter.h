// Counting heap allocations in a test binary, to prove that a steady-state call allocates nothing.
// Include this header in exactly ONE source file of a test binary: it replaces every global operator
// new and delete (plain, array, nothrow and aligned forms) for the whole binary. The replacements
// allocate with malloc / aligned_alloc and release with free, consistently, so AddressSanitizer sees
// matching pairs (a replaced new with the library's delete, or the reverse, is what it reports as an
// alloc-dealloc mismatch). They count only inside a CountAllocations window, on any thread.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace invgfx::test {

inline std::atomic<bool> g_counting{false};
inline std::atomic<long> g_allocations{0};

// Counts every operator new between its construction and its destruction (or stop()).
class CountAllocations {
 public:
  CountAllocations() {
    g_allocations = 0;
    g_counting = true;
  }
  ~CountAllocations() { stop(); }
  long stop() {
    g_counting = false;
    return g_allocations.load();
  }
  long count() const { return g_allocations.load(); }
};

inline void* counted_alloc(std::size_t n, std::size_t align = 0) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
inline void* counted_alloc_or_throw(std::size_t n, std::size_t align = 0) {
  if (void* p = counted_alloc(n, align)) return p;
  throw std::bad_alloc();
}

}  // namespace invgfx::test

// GCC flags free() in a replaced delete as mismatched with new once both are inlined into one
// caller; the pairs here are consistent (malloc or aligned_alloc, then free).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) { return invgfx::test::counted_alloc_or_throw(n); }
void* operator new[](std::size_t n) { return invgfx::test::counted_alloc_or_throw(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return invgfx::test::counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return invgfx::test::counted_alloc(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  return invgfx::test::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return invgfx::test::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return invgfx::test::counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return invgfx::test::counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop
