// The CUDA emulation's runtime (see cuda_emu.h for the model): device memory against
// guard regions, memcpy direction checks, sticky errors, and the launch: blocks one after
// another, each CUDA thread a fiber switched by a few lines of x86-64 assembly (a
// ucontext switch costs a signal-mask system call; this one a dozen instructions).
// Faults inside a kernel are caught by a SIGSEGV handler installed for the launch only
// (so the host's own handlers, V8's among them, are untouched otherwise), which jumps
// back to the launch with the faulting address described.
// Tested by test/emu/emu_selftest.cc (run by test/emu.test.ts).
#include "cuda_emu.h"

#include <signal.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#if !defined(__x86_64__)
#error "the CUDA emulation's fiber switch is written for x86-64"
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
extern "C" void AnnotateIgnoreWritesBegin(const char* file, int line);
extern "C" void AnnotateIgnoreWritesEnd(const char* file, int line);
#endif

// Saves the callee-saved registers and the stack pointer of the running context into
// *save, then resumes the context whose stack pointer is `to`.
extern "C" void lb_emu_switch(void** save, void* to) __attribute__((visibility("hidden")));
asm(R"(
  .text
  .globl lb_emu_switch
  .hidden lb_emu_switch
  .type lb_emu_switch, @function
lb_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size lb_emu_switch, .-lb_emu_switch
)");

namespace lb_emu {
namespace detail {
Current current{};
}  // namespace detail

namespace {

constexpr int kWarp = 32;
constexpr unsigned kMaxThreads = 1024;
constexpr size_t kSharedLimit = 48 * 1024;  // static shared memory per block, as on every target
constexpr size_t kGuard = 64 * 1024;        // inaccessible bytes after each buffer
constexpr size_t kAlign = 256;              // cudaMalloc's alignment
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr size_t kStack = 256 * 1024;  // instrumented frames are larger
#else
constexpr size_t kStack = 64 * 1024;
#endif

size_t page_size() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}
size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// ---- errors ------------------------------------------------------------------------

cudaError_t g_last = cudaSuccess;    // returned and cleared by cudaGetLastError
cudaError_t g_sticky = cudaSuccess;  // a failed launch: every later call fails until cudaDeviceReset
cudaError_t g_detail_code = cudaSuccess;
std::string g_detail;  // the full text of the latest failure

const char* base_text(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unrecognized error code";
}

cudaError_t fail(cudaError_t code, const std::string& what) {
  g_detail_code = code;
  g_detail = std::string(base_text(code)) + " (CUDA emulation: " + what + ")";
  g_last = code;
  return code;
}

// ---- device memory -----------------------------------------------------------------

struct Allocation {
  char* data;      // what cudaMalloc returned
  size_t bytes;
  char* map;       // the mapping: [map, data) slack, [data, data + bytes), then the guard
  size_t map_len;
};

std::map<uintptr_t, Allocation> g_allocs;  // by data address
std::set<CUstream_st*> g_streams;
std::set<CUevent_st*> g_events;
std::mutex g_mutex;  // one emulated call at a time, launches included

const Allocation* find_alloc(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = g_allocs.upper_bound(a);
  if (it == g_allocs.begin()) return nullptr;
  --it;
  const Allocation& al = it->second;
  return a < reinterpret_cast<uintptr_t>(al.data) + al.bytes ? &al : nullptr;
}

std::string hex(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

// Bytes of a buffer's mapping in use: its size rounded up to CUDA's 256-byte alignment.
size_t aligned_len(size_t bytes) { return round_up(bytes, kAlign); }

// Maps `bytes` with the 256-byte alignment cudaMalloc guarantees, so that the aligned
// length ends against kGuard inaccessible bytes. A buffer whose size is a multiple of 256
// ends exactly at the guard; otherwise the slack up to it (under 256 bytes) stays 0xFF,
// reads there give NaN, and writes there are found after the launch (check_slack).
char* map_against_guard(size_t bytes, char** map, size_t* map_len) {
  const size_t data_len = round_up(aligned_len(bytes), page_size());
  *map_len = data_len + kGuard;
  void* m = mmap(nullptr, *map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  *map = static_cast<char*>(m);
  if (mprotect(*map + data_len, kGuard, PROT_NONE) != 0) {
    munmap(m, *map_len);
    return nullptr;
  }
  return *map + data_len - aligned_len(bytes);
}

// The first buffer whose slack a kernel wrote to, described; empty when none.
std::string check_slack() {
  for (const auto& [addr, a] : g_allocs) {
    for (size_t i = a.bytes; i < aligned_len(a.bytes); ++i) {
      if (static_cast<unsigned char>(a.data[i]) != 0xFF)
        return "a write " + std::to_string(i - a.bytes) + " bytes past the end of the " + std::to_string(a.bytes) +
               "-byte device buffer at " + hex(a.data) + " (found in its alignment slack after the launch)";
    }
  }
  return "";
}

cudaError_t check_stream(cudaStream_t s, const char* call) {
  if (s != nullptr && g_streams.count(s) == 0)
    return fail(cudaErrorInvalidResourceHandle, std::string(call) + " on stream " + hex(s) + ", which does not exist");
  return cudaSuccess;
}

// Streams and events are only handles here (work runs when it is issued): a fresh byte
// each, kept in `live` until destroyed.
template <typename Handle>
cudaError_t create_handle(std::set<Handle*>& live, Handle** out, const char* call) {
  if (out == nullptr) return fail(cudaErrorInvalidValue, std::string(call) + " with a null pointer to the result");
  *out = reinterpret_cast<Handle*>(new char);
  live.insert(*out);
  return cudaSuccess;
}

template <typename Handle>
cudaError_t check_handle(const std::set<Handle*>& live, Handle* h, const char* call) {
  if (h == nullptr || live.count(h) == 0)
    return fail(cudaErrorInvalidResourceHandle, std::string(call) + " of " + hex(h) + ", which does not exist");
  return cudaSuccess;
}

template <typename Handle>
cudaError_t destroy_handle(std::set<Handle*>& live, Handle* h, const char* call) {
  if (const cudaError_t err = check_handle(live, h, call); err != cudaSuccess) return err;
  live.erase(h);
  delete reinterpret_cast<char*>(h);
  return cudaSuccess;
}

// Checks one side of a copy: on the device, [p, p + n) must lie in one buffer; on the
// host, p must not point into device memory.
cudaError_t check_side(const void* p, size_t n, bool device, const char* side, const char* kind, const char* call) {
  const Allocation* a = find_alloc(p);
  const std::string where = std::string(call) + " (" + kind + "): the " + side + " " + hex(p);
  if (!device) {
    if (a != nullptr) return fail(cudaErrorInvalidValue, where + " is device memory, but the copy kind says host");
    return cudaSuccess;
  }
  if (a == nullptr) return fail(cudaErrorInvalidValue, where + " is not device memory, but the copy kind says device");
  const size_t off = static_cast<size_t>(static_cast<const char*>(p) - a->data);
  if (n > a->bytes - off)
    return fail(cudaErrorInvalidValue, where + " + " + std::to_string(n) + " bytes runs past the end of its " +
                                           std::to_string(a->bytes) + "-byte device buffer");
  return cudaSuccess;
}

const char* kind_name(cudaMemcpyKind k) {
  switch (k) {
    case cudaMemcpyHostToHost: return "cudaMemcpyHostToHost";
    case cudaMemcpyHostToDevice: return "cudaMemcpyHostToDevice";
    case cudaMemcpyDeviceToHost: return "cudaMemcpyDeviceToHost";
    case cudaMemcpyDeviceToDevice: return "cudaMemcpyDeviceToDevice";
    case cudaMemcpyDefault: return "cudaMemcpyDefault";
  }
  return "an unknown cudaMemcpyKind";
}

cudaError_t memcpy_checked(void* dst, const void* src, size_t n, cudaMemcpyKind kind, const char* call) {
  if (g_sticky != cudaSuccess) return g_sticky;
  if (n == 0) return cudaSuccess;
  bool dst_dev, src_dev;
  switch (kind) {
    case cudaMemcpyHostToHost: dst_dev = false, src_dev = false; break;
    case cudaMemcpyHostToDevice: dst_dev = true, src_dev = false; break;
    case cudaMemcpyDeviceToHost: dst_dev = false, src_dev = true; break;
    case cudaMemcpyDeviceToDevice: dst_dev = true, src_dev = true; break;
    case cudaMemcpyDefault: dst_dev = find_alloc(dst) != nullptr, src_dev = find_alloc(src) != nullptr; break;
    default: return fail(cudaErrorInvalidValue, std::string(call) + " with " + kind_name(kind));
  }
  if (check_side(dst, n, dst_dev, "destination", kind_name(kind), call) != cudaSuccess ||
      check_side(src, n, src_dev, "source", kind_name(kind), call) != cudaSuccess)
    return g_last;
  std::memmove(dst, src, n);
  return cudaSuccess;
}

// ---- fibers and the block scheduler ------------------------------------------------

enum class State : uint8_t { Ready, Barrier, Warp, Done };

struct WarpWait {
  WarpOp op;
  unsigned mask;
  int param, width;
  uint64_t value;
  const char* file;
  int line;
};

struct Thread {
  void* sp;  // the saved stack pointer while switched out
  State state;
  uint3 idx;
  const char* file;  // the __syncthreads it waits at
  int line;
  WarpWait wait;
  uint64_t result;
};

// A shared-memory variable of the running block: one guarded slot each.
struct SharedSlot {
  const void* key;
  const char* name;
  char* data;
};

constexpr int kSharedSlots = 16;

struct Launch {
  const char* kernel;
  dim3 block;
  detail::Body body;
  void* ctx;
  Order order = Order::Forward;
  uint64_t seed = 0;
  uint64_t rng = 0;
  std::vector<Thread> threads;
  std::vector<unsigned> block_order, warp_order, thread_order;
  int count = 0;  // threads per block
  Thread* cur = nullptr;
  void* sched_sp = nullptr;
  bool failed = false;
  cudaError_t code = cudaSuccess;
  std::string error;
  // Fiber stacks, each above a guard page, grown on demand and kept across launches.
  char* stacks = nullptr;
  size_t stacks_len = 0;
  unsigned stack_count = 0;
  // Shared memory: kSharedSlots slots of kSharedLimit bytes, each followed by a guard.
  char* shared = nullptr;
  size_t shared_len = 0;
  SharedSlot slots[kSharedSlots];
  int used_slots = 0;
  size_t shared_bytes = 0;
  // The fault handler's way back to the launch.
  sigjmp_buf fault_jump;
  volatile sig_atomic_t in_kernel = 0;
  char fault_text[512];
};

Launch g_run;
bool g_schedule_from_env = false;

uint64_t next_random() {  // splitmix64
  uint64_t z = (g_run.rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills `perm` with 0..n-1 in the launch's order.
void order_indices(std::vector<unsigned>& perm, unsigned n) {
  perm.resize(n);
  for (unsigned i = 0; i < n; ++i) perm[i] = g_run.order == Order::Reverse ? n - 1 - i : i;
  if (g_run.order == Order::Random) {
    for (unsigned i = n; i > 1; --i) std::swap(perm[i - 1], perm[next_random() % i]);
  }
}

std::string dim_text(uint3 v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}

std::string site(const char* file, int line) {
  const char* slash = std::strrchr(file, '/');
  return std::string(slash ? slash + 1 : file) + ":" + std::to_string(line);
}

std::string where(const Thread& t) {
  return "kernel " + std::string(g_run.kernel) + ", block " + dim_text(detail::current.block_idx) + ", thread " +
         dim_text(t.idx);
}

// Records the first failure of the launch; the scheduler stops at the next switch.
void launch_fail(cudaError_t code, const std::string& text) {
  if (g_run.failed) return;
  g_run.failed = true;
  g_run.code = code;
  g_run.error = text;
}

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer must be told of every stack switch; the scheduler's stack bounds are
// learnt when a fiber first finishes switching in.
const void* g_sched_bottom = nullptr;
size_t g_sched_size = 0;
#endif

// ThreadSanitizer (the emu tests' TSan build) sees each CUDA thread as a fiber of its own,
// switched without implied synchronisation, and the emulation's real synchronisation as
// release/acquire pairs: the block's start (after the host's writes), __syncthreads, each
// warp exchange, and the block's end. Two threads of a block touching the same shared or
// global memory with no barrier between them, one of them writing, are then a reported
// race. Blocks follow one another fully synchronised (their fibers reuse the same stacks
// and shared memory), so races between blocks are not seen. The emulation's own
// bookkeeping (thread states, the scheduler) is kept out of the checks.
#if defined(__SANITIZE_THREAD__)
struct TsanState {
  void* scheduler = nullptr;
  std::vector<void*> fibers;  // one per thread slot, kept across launches like the stacks
  char block_start, block_end, barrier, warps[kMaxThreads / kWarp];
};
TsanState g_tsan;

void tsan_switch_to_thread(unsigned index) {
  if (index >= g_tsan.fibers.size()) g_tsan.fibers.resize(index + 1, nullptr);
  if (!g_tsan.fibers[index]) g_tsan.fibers[index] = __tsan_create_fiber(0);
  __tsan_switch_to_fiber(g_tsan.fibers[index], __tsan_switch_to_fiber_no_sync);
}
void tsan_switch_to_scheduler() { __tsan_switch_to_fiber(g_tsan.scheduler, __tsan_switch_to_fiber_no_sync); }
// After a failed launch: its abandoned fibers may have stopped inside an ignored stretch.
void tsan_forget_fibers() {
  for (void*& f : g_tsan.fibers) {
    if (f) __tsan_destroy_fiber(f);
    f = nullptr;
  }
}
// Emulation bookkeeping between these two is not checked.
void tsan_ignore_begin() {
  AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
  AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
}
void tsan_ignore_end() {
  AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
}
#define LB_TSAN(...) __VA_ARGS__
#else
#define LB_TSAN(...)
#endif

void run_fiber(Thread& t) {
  g_run.cur = &t;
  detail::current.thread_idx = t.idx;
#if defined(__SANITIZE_ADDRESS__)
  void* fake = nullptr;
  const size_t index = static_cast<size_t>(&t - g_run.threads.data());
  __sanitizer_start_switch_fiber(&fake, g_run.stacks + index * (kStack + page_size()) + page_size(), kStack);
  lb_emu_switch(&g_run.sched_sp, t.sp);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  void* const to = t.sp;  // read as the scheduler: after the TSan switch, reads count as the thread's
  LB_TSAN(tsan_switch_to_thread(static_cast<unsigned>(&t - g_run.threads.data())));
  lb_emu_switch(&g_run.sched_sp, to);
#endif
  g_run.cur = nullptr;
}

// Switches from the running fiber back to the scheduler; returns when it is resumed.
void yield_fiber() {
  Thread* t = g_run.cur;
#if defined(__SANITIZE_ADDRESS__)
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, g_sched_bottom, g_sched_size);
  lb_emu_switch(&t->sp, g_run.sched_sp);
  __sanitizer_finish_switch_fiber(fake, &g_sched_bottom, &g_sched_size);
#else
  LB_TSAN(tsan_switch_to_scheduler());
  lb_emu_switch(&t->sp, g_run.sched_sp);
#endif
}

bool complete_warp(unsigned warp, unsigned mask, WarpOp op);

[[noreturn]] void fiber_main() {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, &g_sched_bottom, &g_sched_size);
#endif
  LB_TSAN(__tsan_acquire(&g_tsan.block_start));
  g_run.body(g_run.ctx);
  LB_TSAN(__tsan_release(&g_tsan.block_end); tsan_ignore_begin());
  Thread* t = g_run.cur;
  t->state = State::Done;
  // Lanes that exit leave the warp operations that name them; those may now complete.
  const unsigned index = static_cast<unsigned>(t - g_run.threads.data());
  const unsigned warp = index / kWarp;
  for (unsigned l = warp * kWarp; l < std::min<unsigned>(warp * kWarp + kWarp, g_run.count); ++l) {
    const Thread& o = g_run.threads[l];
    if (o.state == State::Warp) complete_warp(warp, o.wait.mask, o.wait.op);
  }
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(nullptr, g_sched_bottom, g_sched_size);  // null: this fiber ends
#endif
  LB_TSAN(void* scheduler = g_tsan.scheduler; tsan_ignore_end();
          __tsan_switch_to_fiber(scheduler, __tsan_switch_to_fiber_no_sync));
  lb_emu_switch(&t->sp, g_run.sched_sp);
  __builtin_unreachable();
}

// Prepares thread i's stack so that switching to it enters fiber_main.
void init_fiber(unsigned i) {
  char* base = g_run.stacks + static_cast<size_t>(i) * (kStack + page_size()) + page_size();
#if defined(__SANITIZE_ADDRESS__)
  __asan_unpoison_memory_region(base, kStack);  // an abandoned fiber may have left poisoned frames
#endif
  // The switch pops six registers and returns into fiber_main, which then starts with the
  // stack aligned as after a call: rsp + 8 a multiple of 16, so rsp = top - 8.
  void** sp = reinterpret_cast<void**>(base + kStack - 8);
  *--sp = reinterpret_cast<void*>(&fiber_main);
  for (int r = 0; r < 6; ++r) *--sp = nullptr;
  g_run.threads[i].sp = sp;
}

bool ensure_stacks(unsigned n) {
  if (n <= g_run.stack_count) return true;
  if (g_run.stacks) munmap(g_run.stacks, g_run.stacks_len);
  g_run.stack_count = 0;
  const size_t len = static_cast<size_t>(n) * (kStack + page_size());
  void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return false;
  g_run.stacks = static_cast<char*>(m);
  g_run.stacks_len = len;
  for (unsigned i = 0; i < n; ++i) mprotect(g_run.stacks + i * (kStack + page_size()), page_size(), PROT_NONE);
  g_run.stack_count = n;
  return true;
}

bool ensure_shared() {
  if (g_run.shared) return true;
  const size_t slot = kSharedLimit + kGuard;
  g_run.shared_len = kSharedSlots * slot;
  void* m = mmap(nullptr, g_run.shared_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return false;
  g_run.shared = static_cast<char*>(m);
  for (int s = 0; s < kSharedSlots; ++s) mprotect(g_run.shared + s * slot + kSharedLimit, kGuard, PROT_NONE);
  return true;
}

const char* op_name(WarpOp op) {
  switch (op) {
    case WarpOp::Idx: return "__shfl_sync";
    case WarpOp::Up: return "__shfl_up_sync";
    case WarpOp::Down: return "__shfl_down_sync";
    case WarpOp::Xor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
  }
  return "a warp operation";
}

std::string mask_text(unsigned mask) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", mask);
  return buf;
}

// The lane a shuffle reads, or -1 when it keeps its own value (a source outside its
// segment of `width` lanes, as CUDA defines it).
int source_lane(const WarpWait& w, int lane) {
  const int seg = lane & ~(w.width - 1);
  switch (w.op) {
    case WarpOp::Idx: return seg + (w.param & (w.width - 1));
    case WarpOp::Up: return lane - w.param < seg ? -1 : lane - w.param;
    case WarpOp::Down: return lane + w.param >= seg + w.width ? -1 : lane + w.param;
    case WarpOp::Xor: {
      const int s = lane ^ w.param;
      return s >= seg + w.width ? -1 : s;
    }
    default: return -1;
  }
}

// If every live lane named in `mask` waits at `op` with that mask, exchanges their values
// and makes them ready. Lanes that have exited (or do not exist in a partial warp) are
// left out, as on hardware; reading from one is an error.
bool complete_warp(unsigned warp, unsigned mask, WarpOp op) {
  Thread* lanes = g_run.threads.data() + warp * kWarp;
  const int n = std::min<int>(kWarp, g_run.count - static_cast<int>(warp) * kWarp);
  unsigned arrived = 0;
  for (int l = 0; l < kWarp; ++l) {
    if (!((mask >> l) & 1) || l >= n || lanes[l].state == State::Done) continue;
    if (lanes[l].state != State::Warp || lanes[l].wait.mask != mask || lanes[l].wait.op != op) return false;
    arrived |= 1u << l;
  }
  for (int l = 0; l < kWarp; ++l) {
    if (!((arrived >> l) & 1)) continue;
    Thread& t = lanes[l];
    const WarpWait& w = t.wait;
    switch (op) {
      case WarpOp::Ballot: t.result = 0; break;
      case WarpOp::Any: t.result = 0; break;
      case WarpOp::All: t.result = 1; break;
      default: {
        const int s = source_lane(w, l);
        if (s < 0) {
          t.result = w.value;
        } else if (!((arrived >> s) & 1)) {
          launch_fail(cudaErrorLaunchFailure,
                      std::string(op_name(op)) + " at " + site(w.file, w.line) + " in " + where(t) + " (lane " +
                          std::to_string(l) + ") reads lane " + std::to_string(s) + ", which is " +
                          (((mask >> s) & 1) ? "not running (exited or outside the block)" : "not in its mask ") +
                          (((mask >> s) & 1) ? "" : mask_text(mask)) + ": the value is undefined on a GPU");
          return true;
        } else {
          t.result = lanes[s].wait.value;
        }
      }
    }
    if (op == WarpOp::Ballot || op == WarpOp::Any || op == WarpOp::All) {
      for (int s = 0; s < kWarp; ++s) {
        if (!((arrived >> s) & 1)) continue;
        const bool p = lanes[s].wait.value != 0;
        if (op == WarpOp::Ballot) t.result |= static_cast<uint64_t>(p) << s;
        if (op == WarpOp::Any) t.result |= p;
        if (op == WarpOp::All) t.result &= p;
      }
    }
  }
  for (int l = 0; l < kWarp; ++l) {
    if ((arrived >> l) & 1) lanes[l].state = State::Ready;
  }
  return true;
}

// Describes why no thread of the block can go on (the scheduler found none ready).
std::string stuck_text() {
  std::string text = "no thread of block " + dim_text(detail::current.block_idx) + " can go on:";
  int listed = 0;
  for (int i = 0; i < g_run.count && listed < 4; ++i) {
    const Thread& t = g_run.threads[i];
    if (t.state == State::Warp) {
      text += " thread " + dim_text(t.idx) + " (lane " + std::to_string(i % kWarp) + ") waits at " + op_name(t.wait.op) +
              " with mask " + mask_text(t.wait.mask) + " at " + site(t.wait.file, t.wait.line) + ";";
      ++listed;
    }
  }
  for (int i = 0; i < g_run.count; ++i) {
    const Thread& t = g_run.threads[i];
    if (t.state == State::Barrier) {
      text += " thread " + dim_text(t.idx) + " waits at __syncthreads at " + site(t.file, t.line) + ";";
      break;
    }
  }
  return text + " (a hang on a GPU)";
}

// Runs one block; false when the launch failed.
bool run_block() {
  const unsigned n = static_cast<unsigned>(g_run.count);
  for (unsigned i = 0; i < n; ++i) {
    Thread& t = g_run.threads[i];
    const dim3 b = g_run.block;
    t.idx = uint3{i % b.x, (i / b.x) % b.y, i / (b.x * b.y)};
    t.state = State::Ready;
    init_fiber(i);
  }
  const unsigned warps = (n + kWarp - 1) / kWarp;
  std::vector<unsigned>& warp_order = g_run.warp_order;
  std::vector<unsigned>& lane_order = g_run.thread_order;
  for (;;) {
    // Each warp in turn runs as far as it can before the next starts, as warps may on a
    // GPU: a warp gets past its shuffles to the next barrier while others have not begun,
    // which exposes data one warp reads after another warp overwrites it. Only a barrier
    // release makes threads of another warp ready again.
    order_indices(warp_order, warps);
    for (unsigned w : warp_order) {
      const unsigned lanes = std::min<unsigned>(kWarp, n - w * kWarp);
      bool ran = true;
      while (ran) {  // passes over the warp's lanes until none is ready
        ran = false;
        order_indices(lane_order, lanes);
        for (unsigned l : lane_order) {
          Thread& t = g_run.threads[w * kWarp + l];
          if (t.state != State::Ready) continue;
          run_fiber(t);
          ran = true;
          if (g_run.failed) return false;
        }
      }
    }
    unsigned done = 0, at_barrier = 0;
    const Thread* first_barrier = nullptr;
    const Thread* first_done = nullptr;
    for (unsigned i = 0; i < n; ++i) {
      const Thread& t = g_run.threads[i];
      if (t.state == State::Done) {
        ++done;
        if (!first_done) first_done = &t;
      } else if (t.state == State::Barrier) {
        ++at_barrier;
        if (!first_barrier) first_barrier = &t;
      }
    }
    if (done == n) return true;
    if (at_barrier + done < n) {
      launch_fail(cudaErrorLaunchFailure, "kernel " + std::string(g_run.kernel) + ": " + stuck_text());
      return false;
    }
    if (done > 0) {
      launch_fail(cudaErrorLaunchFailure,
                  "__syncthreads at " + site(first_barrier->file, first_barrier->line) + " in kernel " + g_run.kernel +
                      ", block " + dim_text(detail::current.block_idx) + " is reached by " +
                      std::to_string(at_barrier) + " of " + std::to_string(n) + " threads; thread " +
                      dim_text(first_done->idx) + " has exited (a hang or undefined behaviour on a GPU)");
      return false;
    }
    for (unsigned i = 0; i < n; ++i) {
      const Thread& t = g_run.threads[i];
      if (t.line != first_barrier->line || std::strcmp(t.file, first_barrier->file) != 0) {
        launch_fail(cudaErrorLaunchFailure, "threads of kernel " + std::string(g_run.kernel) + ", block " +
                                                dim_text(detail::current.block_idx) + " wait at different __syncthreads: " +
                                                site(first_barrier->file, first_barrier->line) + " (thread " +
                                                dim_text(first_barrier->idx) + ") and " + site(t.file, t.line) +
                                                " (thread " + dim_text(t.idx) + ")");
        return false;
      }
    }
    for (unsigned i = 0; i < n; ++i) g_run.threads[i].state = State::Ready;
  }
}

// ---- faults inside kernels ---------------------------------------------------------

struct sigaction g_old_segv, g_old_bus;
stack_t g_old_altstack;
alignas(16) char g_altstack[64 * 1024];

void describe_fault(const void* addr) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  char* out = g_run.fault_text;
  const size_t cap = sizeof g_run.fault_text;
  auto it = g_allocs.upper_bound(a);
  if (it != g_allocs.begin()) {
    const Allocation& al = std::prev(it)->second;
    const uintptr_t end = reinterpret_cast<uintptr_t>(al.data) + al.bytes;
    if (a >= end && a < reinterpret_cast<uintptr_t>(al.map) + al.map_len) {
      std::snprintf(out, cap, "access to %p, %zu bytes past the end of the %zu-byte device buffer at %p", addr,
                    static_cast<size_t>(a - end), al.bytes, static_cast<void*>(al.data));
      return;
    }
  }
  const uintptr_t sh = reinterpret_cast<uintptr_t>(g_run.shared);
  if (sh && a >= sh && a < sh + g_run.shared_len) {
    // Slot s holds the s-th variable declared in the block, against the slot's guard.
    const size_t slot = (a - sh) / (kSharedLimit + kGuard);
    const size_t past = a - (sh + slot * (kSharedLimit + kGuard) + kSharedLimit);
    const char* name = static_cast<int>(slot) < g_run.used_slots ? g_run.slots[slot].name : "?";
    std::snprintf(out, cap, "access to %p, %zu bytes past the end of the shared-memory variable '%s'", addr, past, name);
    return;
  }
  const uintptr_t st = reinterpret_cast<uintptr_t>(g_run.stacks);
  if (st && a >= st && a < st + g_run.stacks_len) {
    std::snprintf(out, cap, "stack overflow of a CUDA thread (the emulation gives each %zu KiB)", kStack / 1024);
    return;
  }
  std::snprintf(out, cap, "access to %p, which is neither device memory nor shared memory", addr);
}

void on_fault(int sig, siginfo_t* info, void* uctx) {
  if (g_run.in_kernel) {
    g_run.in_kernel = 0;
    describe_fault(info->si_addr);
#if defined(__SANITIZE_ADDRESS__)
    // The jump leaves this fiber for good: AddressSanitizer must be told, as at a fiber's
    // end, or it keeps the fiber's stack bounds and later misreads the scheduler's stack
    // (a false stack-buffer-underflow in a test run after a faulting launch).
    if (g_run.cur) __sanitizer_start_switch_fiber(nullptr, g_sched_bottom, g_sched_size);
#endif
    siglongjmp(g_run.fault_jump, 1);
  }
  // Not ours: hand it on to the handler that was there before the launch.
  const struct sigaction& old = sig == SIGSEGV ? g_old_segv : g_old_bus;
  if (old.sa_flags & SA_SIGINFO) {
    old.sa_sigaction(sig, info, uctx);
  } else if (old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL) {
    old.sa_handler(sig);
  } else {
    signal(sig, SIG_DFL);  // returning re-executes the access, which now kills the process
  }
}

void install_fault_handler() {
  stack_t alt{};
  alt.ss_sp = g_altstack;
  alt.ss_size = sizeof g_altstack;
  sigaltstack(&alt, &g_old_altstack);
  struct sigaction sa {};
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &g_old_segv);
  sigaction(SIGBUS, &sa, &g_old_bus);
}

void remove_fault_handler() {
  sigaction(SIGSEGV, &g_old_segv, nullptr);
  sigaction(SIGBUS, &g_old_bus, nullptr);
  sigaltstack(&g_old_altstack, nullptr);
}

void schedule_from_env() {
  if (g_schedule_from_env) return;
  g_schedule_from_env = true;
  const char* order = std::getenv("LARGEBATCH_EMU_ORDER");
  const char* seed = std::getenv("LARGEBATCH_EMU_SEED");
  if (order && std::strcmp(order, "reverse") == 0) g_run.order = Order::Reverse;
  if (order && std::strcmp(order, "random") == 0) g_run.order = Order::Random;
  if (seed) g_run.seed = std::strtoull(seed, nullptr, 10);
}

std::string config_error(dim3 grid, dim3 block, size_t shmem) {
  const uint64_t threads = static_cast<uint64_t>(block.x) * block.y * block.z;
  if (threads == 0 || grid.x == 0 || grid.y == 0 || grid.z == 0) return "an empty grid or block";
  if (threads > kMaxThreads) return std::to_string(threads) + " threads per block (at most 1024)";
  if (block.z > 64) return "blockDim.z " + std::to_string(block.z) + " (at most 64)";
  if (grid.y > 65535 || grid.z > 65535) return "gridDim.y/z above 65535";
  if (grid.x > 0x7fffffffu) return "gridDim.x above 2^31 - 1";
  if (static_cast<uint64_t>(grid.x) * grid.y * grid.z > 0xffffffffu) return "more than 2^32 - 1 blocks (the emulation's limit)";
  if (shmem != 0) return "dynamic shared memory, which the emulation does not provide (use LB_SHARED)";
  return "";
}

}  // namespace

void set_schedule(Order order, uint64_t seed) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_schedule_from_env = true;
  g_run.order = order;
  g_run.seed = seed;
}

const char* order_name(Order order) {
  switch (order) {
    case Order::Forward: return "forward";
    case Order::Reverse: return "reverse";
    case Order::Random: return "random";
  }
  return "?";
}

namespace detail {

void launch(const char* kernel, const char* file, int line, dim3 grid, dim3 block, size_t shmem, cudaStream_t stream,
            Body body, void* ctx) {
  std::lock_guard<std::mutex> lock(g_mutex);
  schedule_from_env();
  if (g_sticky != cudaSuccess) {
    g_last = g_sticky;
    return;
  }
  const std::string at = std::string(kernel) + " launched at " + site(file, line);
  if (check_stream(stream, kernel) != cudaSuccess) return;
  const std::string bad = config_error(grid, block, shmem);
  if (!bad.empty()) {
    fail(cudaErrorInvalidConfiguration, at + ": " + bad);
    return;
  }
  const unsigned n = block.x * block.y * block.z;
  if (!ensure_stacks(n) || !ensure_shared()) {
    fail(cudaErrorMemoryAllocation, at + ": no memory for fiber stacks");
    return;
  }
  Launch& r = g_run;
  r.kernel = kernel;
  r.block = block;
  r.body = body;
  r.ctx = ctx;
  r.count = static_cast<int>(n);
  r.threads.assign(n, Thread{});
  r.failed = false;
  r.error.clear();
  r.rng = r.seed;
  current.block_dim = block;
  current.grid_dim = grid;

  const uint64_t blocks = static_cast<uint64_t>(grid.x) * grid.y * grid.z;
  LB_TSAN(tsan_ignore_begin(); g_tsan.scheduler = __tsan_get_current_fiber());
  install_fault_handler();
  if (sigsetjmp(r.fault_jump, 1) != 0) {
#if defined(__SANITIZE_ADDRESS__)
    if (r.cur) __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);  // back from the abandoned fiber
#endif
    LB_TSAN(tsan_switch_to_scheduler());  // the fault left a fiber's context
    launch_fail(cudaErrorIllegalAddress, std::string(r.fault_text) + " in kernel " + kernel + ", block " +
                                             dim_text(current.block_idx) + ", thread " +
                                             dim_text(current.thread_idx));
  } else {
    r.in_kernel = 1;
    order_indices(r.block_order, static_cast<unsigned>(blocks));
    for (uint64_t k = 0; k < blocks && !r.failed; ++k) {
      const uint64_t b = r.block_order[k];
      current.block_idx = uint3{static_cast<unsigned>(b % grid.x), static_cast<unsigned>((b / grid.x) % grid.y),
                                static_cast<unsigned>(b / (static_cast<uint64_t>(grid.x) * grid.y))};
      r.used_slots = 0;
      r.shared_bytes = 0;
      LB_TSAN(__tsan_release(&g_tsan.block_start));
      run_block();
      LB_TSAN(__tsan_acquire(&g_tsan.block_end));
    }
    r.in_kernel = 0;
  }
  LB_TSAN(tsan_ignore_end(); if (r.failed) tsan_forget_fibers());
  remove_fault_handler();
  if (!r.failed) {
    const std::string overrun = check_slack();
    if (!overrun.empty()) launch_fail(cudaErrorIllegalAddress, overrun + " in kernel " + kernel);
  }
  if (r.failed) {
    fail(r.code, r.error + " [" + at + "]");
    g_sticky = r.code;
  }
}

void syncthreads(const char* file, int line) {
  LB_TSAN(__tsan_release(&g_tsan.barrier); tsan_ignore_begin());
  Thread* t = g_run.cur;
  t->state = State::Barrier;
  t->file = file;
  t->line = line;
  yield_fiber();
  LB_TSAN(tsan_ignore_end(); __tsan_acquire(&g_tsan.barrier));
}

uint64_t warp_op(WarpOp op, const char* file, int line, unsigned mask, uint64_t value, int param, int width) {
  Thread* t = g_run.cur;
  const unsigned index = static_cast<unsigned>(t - g_run.threads.data());
  LB_TSAN(__tsan_release(&g_tsan.warps[index / kWarp]); tsan_ignore_begin());
  const int lane = static_cast<int>(index % kWarp);
  if (!((mask >> lane) & 1)) {
    launch_fail(cudaErrorLaunchFailure, std::string(op_name(op)) + " at " + site(file, line) + " in " + where(*t) +
                                            ": lane " + std::to_string(lane) + " calls it with mask " +
                                            mask_text(mask) + ", which does not name the lane itself");
    yield_fiber();
  }
  if (width < 1 || width > kWarp || (width & (width - 1)) != 0) {
    launch_fail(cudaErrorLaunchFailure, std::string(op_name(op)) + " at " + site(file, line) + " in " + where(*t) +
                                            ": width " + std::to_string(width) + " is not a power of two up to 32");
    yield_fiber();
  }
  t->wait = WarpWait{op, mask, param, width, value, file, line};
  t->state = State::Warp;
  // The last lane to arrive completes the exchange and goes on; the others wait.
  if (!complete_warp(index / kWarp, mask, op) || g_run.failed) yield_fiber();
  const uint64_t result = t->result;
  LB_TSAN(tsan_ignore_end(); __tsan_acquire(&g_tsan.warps[index / kWarp]));
  return result;
}

namespace {

// The running block's shared variable for `key`, laid out on its first use in the block.
void* find_or_add_shared(const void* key, size_t bytes, size_t align, const char* name) {
  for (int s = 0; s < g_run.used_slots; ++s) {
    if (g_run.slots[s].key == key) return g_run.slots[s].data;
  }
  if (g_run.used_slots == kSharedSlots || g_run.shared_bytes + bytes > kSharedLimit) {
    launch_fail(cudaErrorInvalidConfiguration, "kernel " + std::string(g_run.kernel) + " declares more shared memory (" +
                                                   std::string(name) + ": " + std::to_string(bytes) +
                                                   " bytes more) than 48 KiB or 16 variables");
    yield_fiber();
  }
  // Against the slot's guard, aligned down; first touch in the block fills it with NaN.
  char* slot_end = g_run.shared + static_cast<size_t>(g_run.used_slots) * (kSharedLimit + kGuard) + kSharedLimit;
  char* data = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(slot_end - bytes) & ~(uintptr_t{align} - 1));
  std::memset(data, 0xFF, bytes);
  g_run.slots[g_run.used_slots++] = SharedSlot{key, name, data};
  g_run.shared_bytes += bytes;
  return data;
}

}  // namespace

void* shared_var(const void* key, size_t bytes, size_t align, const char* name) {
  LB_TSAN(tsan_ignore_begin());
  void* data = find_or_add_shared(key, bytes, align, name);
  LB_TSAN(tsan_ignore_end());
  return data;
}

}  // namespace detail
}  // namespace lb_emu

using lb_emu::fail;
using lb_emu::g_allocs;
using lb_emu::g_last;
using lb_emu::g_mutex;
using lb_emu::g_sticky;

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  if (ptr == nullptr) return fail(cudaErrorInvalidValue, "cudaMalloc with a null pointer to the result");
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  char* map = nullptr;
  size_t map_len = 0;
  char* data = lb_emu::map_against_guard(bytes, &map, &map_len);
  if (data == nullptr) return fail(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes");
  std::memset(data, 0xFF, lb_emu::aligned_len(bytes));
  g_allocs[reinterpret_cast<uintptr_t>(data)] = lb_emu::Allocation{data, bytes, map, map_len};
  *ptr = data;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  if (ptr == nullptr) return cudaSuccess;
  auto it = g_allocs.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == g_allocs.end())
    return fail(cudaErrorInvalidValue, "cudaFree of " + lb_emu::hex(ptr) + ", which is not the start of a device buffer");
  munmap(it->second.map, it->second.map_len);
  g_allocs.erase(it);
  return cudaSuccess;
}

cudaError_t cudaMallocAsync(void** ptr, size_t bytes, cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (lb_emu::check_stream(stream, "cudaMallocAsync") != cudaSuccess) return g_last;
  }
  return cudaMalloc(ptr, bytes);
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (lb_emu::check_stream(stream, "cudaFreeAsync") != cudaSuccess) return g_last;
  }
  return cudaFree(ptr);
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return lb_emu::memcpy_checked(dst, src, bytes, kind, "cudaMemcpy");
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (lb_emu::check_stream(stream, "cudaMemcpyAsync") != cudaSuccess) return g_last;
  return lb_emu::memcpy_checked(dst, src, bytes, kind, "cudaMemcpyAsync");
}

cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  if (bytes == 0) return cudaSuccess;
  if (lb_emu::check_side(ptr, bytes, true, "destination", "device", "cudaMemset") != cudaSuccess) return g_last;
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream) {
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (lb_emu::check_stream(stream, "cudaMemsetAsync") != cudaSuccess) return g_last;
  }
  return cudaMemset(ptr, value, bytes);
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  return lb_emu::create_handle(lb_emu::g_streams, stream, "cudaStreamCreate");
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return lb_emu::destroy_handle(lb_emu::g_streams, stream, "cudaStreamDestroy");
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  return lb_emu::check_stream(stream, "cudaStreamSynchronize");
}

// A recorded event is complete at once, since work is done when it is issued.
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  if ((flags & ~3u) != 0) return fail(cudaErrorInvalidValue, "cudaEventCreateWithFlags with unknown flags " + std::to_string(flags));
  return lb_emu::create_handle(lb_emu::g_events, event, "cudaEventCreateWithFlags");
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return lb_emu::destroy_handle(lb_emu::g_events, event, "cudaEventDestroy");
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  if (const cudaError_t err = lb_emu::check_handle(lb_emu::g_events, event, "cudaEventRecord"); err != cudaSuccess) return err;
  return lb_emu::check_stream(stream, "cudaEventRecord");
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sticky != cudaSuccess) return g_sticky;
  return lb_emu::check_handle(lb_emu::g_events, event, "cudaEventSynchronize");
}

cudaError_t cudaDeviceSynchronize() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_sticky;
}

cudaError_t cudaDeviceReset() {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (auto& [addr, a] : g_allocs) munmap(a.map, a.map_len);
  g_allocs.clear();
  for (cudaStream_t s : lb_emu::g_streams) delete reinterpret_cast<char*>(s);
  lb_emu::g_streams.clear();
  g_sticky = cudaSuccess;
  g_last = cudaSuccess;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  std::lock_guard<std::mutex> lock(g_mutex);
  const cudaError_t e = g_sticky != cudaSuccess ? g_sticky : g_last;
  g_last = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_sticky != cudaSuccess ? g_sticky : g_last;
}

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (error != cudaSuccess && error == lb_emu::g_detail_code) return lb_emu::g_detail.c_str();
  return lb_emu::base_text(error);
}
