// Batch normalisation on the CPU (batch_norm.h). Layout [N, C, HW], contiguous: channel
// c's values are N runs of HW, one per image, C*HW apart. Two passes: one sums in double
// (the forward's shifted statistics, the backward's sum dy and sum dy (x - mean)), then
// one writes y or dx. Both go by blocks: a group of adjacent channels (about kGroupValues
// values of each image, one stretch of memory) over a range of images (about
// kBlockValues values a channel). With groups enough for the threads, each thread takes
// whole groups through both passes; with fewer, each pass deals all blocks out. A
// channel's sums add its blocks' sums in block order, whatever its group or the threads.
// The per-channel arithmetic is batch_norm_rules.h, shared with the CUDA kernels.
// Bench: `pnpm --filter @largebatch/bench conv --nets ''` (batch norm and pooling only).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../../core/simd_clones.h"
#include "../../core/thread_pool.h"
#include "batch_norm.h"
#include "batch_norm_rules.h"

namespace lb {
namespace {

// Accumulators per sum: independent additions, so that they overlap; one accumulator made
// each addition wait on the last. GCC does not vectorise such a set of sums by itself, so
// they are vectors of 8 doubles (two AVX-512 registers, four AVX2, eight SSE2 per sum, in
// the LB_SIMD_CLONES functions below).
constexpr int64_t kLanes = 16;
template <typename T>
struct Vec8Of;
template <>
struct Vec8Of<float> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct Vec8Of<double> {
  typedef double type __attribute__((vector_size(64)));
};
template <typename T>
using Vec8 = typename Vec8Of<T>::type;
using Double8 = Vec8<double>;

// Values per block of images: big enough that reducing a block's lanes costs nothing,
// small enough that a channel of a few images still gives the threads several blocks.
constexpr int64_t kBlockValues = 4096;
// Channels are taken in groups of adjacent ones, image by image, so that each image's
// part of a group is one stretch of memory of about kGroupValues values that the hardware
// prefetchers follow; a channel alone is N runs C*HW values apart (with HW = 64, 256x8x8,
// runs of 4 cache lines 64 KiB apart: 1.6x the backward's time on one thread).
constexpr int64_t kGroupValues = 1024;
constexpr int64_t kMaxGroup = 32;
// Whole groups are dealt out to the threads (as they come free: on a shared machine one
// thread may lag) from this many per thread on; below, each pass deals out the blocks.
constexpr int64_t kGroupsPerThread = 4;
// The sums pass asks for each run of the image about this many values of work ahead, as
// the hardware prefetchers do not jump from one image's stretch to the next (a quarter
// of its time on one thread; the second pass gained nothing from it).
constexpr int64_t kAheadValues = 1024;

struct Sums {
  double a, b;
};

// A channel's folded coefficients: dx = g k + (x - m) u + v (backward),
// y = act((x - m) u + v) (forward; k unused).
template <typename T>
struct Coeffs {
  T m, k, u, v;
};

template <typename T>
struct Arrays {
  int64_t n, c, hw;  // images, channels, values per image and channel
  const T* x;
  const T* dy;  // backward only
  const T* y;   // backward with the fused ReLU only: its mask
  T* out;       // y (forward) or dx (backward)
};

// The images [i0, i1) and channels [c0, c1) of a block of a group.
struct Block {
  int64_t c0, c1, i0, i1;
};

template <typename T>
T relu(T v) {
  return v < T(0) ? T(0) : v;  // NaN passes through, as torch.relu
}

// dy masked by the fused ReLU; both loaded unconditionally, so the mask is a select.
template <typename T, bool kRelu>
[[gnu::always_inline]] inline T grad(const T* dy, const T* y, int64_t k) {
  const T g = dy[k];
  if constexpr (kRelu) return y[k] > T(0) ? g : T(0);
  return g;
}

// Values from image i of a channel to the same channel of the image about kAheadValues
// values of the block's work ahead (or of the last image).
template <typename T>
[[gnu::always_inline]] inline int64_t ahead(const Arrays<T>& t, const Block& b, int64_t i) {
  const int64_t per_image = (b.c1 - b.c0) * t.hw;
  return (std::min(i + (kAheadValues + per_image - 1) / per_image, t.n - 1) - i) * t.c * t.hw;
}

// 8 values of T from p (vectors by reference: by value they would change the ABI
// between the clones).
template <typename T>
[[gnu::always_inline]] inline void load8(const T* p, Vec8<T>& v) {
  std::memcpy(&v, p, sizeof v);
}

// A term of the two sums for one value or 8 (V double or Double8), with d = x - m:
// (d, d²) for the statistics (m the shift), (g, g d) for the backward (m the mean).
template <bool kGrad, typename V>
[[gnu::always_inline]] inline void add_term(const V& x, const V& g, double m, V& a, V& b) {
  const V d = x - m;
  const V w = kGrad ? g : d;
  a += w;
  b += w * d;
}

// A channel's accumulators over a block: kLanes lanes across each run, the runs' tails
// (all of a run when HW < kLanes) into lanes of their own, in turn, so that short runs do
// not make one long chain of additions either.
struct Lanes {
  Double8 a0, a1, b0, b1;
  double tail_a[kLanes], tail_b[kLanes];
  int64_t lane;

  Sums reduce() const {
    double a[kLanes], b[kLanes];
    for (int64_t l = 0; l < 8; ++l) {
      a[l] = a0[l] + tail_a[l];
      a[l + 8] = a1[l] + tail_a[l + 8];
      b[l] = b0[l] + tail_b[l];
      b[l + 8] = b1[l] + tail_b[l + 8];
    }
    return Sums{fold_lanes(a, std::plus<double>()), fold_lanes(b, std::plus<double>())};
  }
};

// Adds one run of HW values at k (x, dy, y) to acc; next: the offset of the run to prefetch.
template <typename T, bool kGrad, bool kRelu>
[[gnu::always_inline]] inline void add_run(const Arrays<T>& t, int64_t k, int64_t next, double m, Lanes& acc) {
  static_assert(kLanes == 16, "two Double8 per sum");
  const T* x = t.x + k;
  const T* dy = kGrad ? t.dy + k : nullptr;
  const T* y = kRelu ? t.y + k : nullptr;
  Double8 a0 = acc.a0, a1 = acc.a1, b0 = acc.b0, b1 = acc.b1;
  int64_t j = 0;
  for (; j + kLanes <= t.hw; j += kLanes) {
    __builtin_prefetch(x + next + j);
    if constexpr (kGrad) __builtin_prefetch(dy + next + j);
    if constexpr (kRelu) __builtin_prefetch(y + next + j);
    Vec8<T> x0, x1, g0 = {}, g1 = {};
    load8(x + j, x0);
    load8(x + j + 8, x1);
    if constexpr (kGrad) {
      load8(dy + j, g0);
      load8(dy + j + 8, g1);
      if constexpr (kRelu) {
        Vec8<T> y0, y1;
        load8(y + j, y0);
        load8(y + j + 8, y1);
        g0 = y0 > T(0) ? g0 : T(0);
        g1 = y1 > T(0) ? g1 : T(0);
      }
    }
    add_term<kGrad>(__builtin_convertvector(x0, Double8), __builtin_convertvector(g0, Double8), m, a0, b0);
    add_term<kGrad>(__builtin_convertvector(x1, Double8), __builtin_convertvector(g1, Double8), m, a1, b1);
  }
  acc.a0 = a0;
  acc.a1 = a1;
  acc.b0 = b0;
  acc.b1 = b1;
  for (; j < t.hw; ++j) {
    const double g = kGrad ? static_cast<double>(grad<T, kRelu>(dy, y, j)) : 0.0;
    add_term<kGrad>(static_cast<double>(x[j]), g, m, acc.tail_a[acc.lane], acc.tail_b[acc.lane]);
    acc.lane = (acc.lane + 1) % kLanes;
  }
}

// The two sums of each channel c of block b over its images into out[c - b.c0], with m[c -
// b.c0] its shift or mean. A channel's sums do not depend on the group it is in.
template <typename T, bool kGrad, bool kRelu>
LB_SIMD_CLONES void block_sums(const Arrays<T>& t, const Block& b, const double* m, Sums* out) {
  Lanes acc[kMaxGroup];
  for (int64_t c = b.c0; c < b.c1; ++c) acc[c - b.c0] = Lanes{};
  for (int64_t i = b.i0; i < b.i1; ++i) {
    const int64_t next = ahead(t, b, i);
    for (int64_t c = b.c0; c < b.c1; ++c) add_run<T, kGrad, kRelu>(t, (i * t.c + c) * t.hw, next, m[c - b.c0], acc[c - b.c0]);
  }
  for (int64_t c = b.c0; c < b.c1; ++c) out[c - b.c0] = acc[c - b.c0].reduce();
}

// y or dx of block b in T, channel c with coefficients f[c - b.c0]. x - m first, so that
// float32 keeps the spread when |mean| >> std (x u + (v - m u) would cancel).
template <typename T, bool kGrad, bool kRelu>
LB_SIMD_CLONES void block_write(const Arrays<T>& t, const Block& b, const Coeffs<T>* coeffs) {
  for (int64_t i = b.i0; i < b.i1; ++i) {
    for (int64_t c = b.c0; c < b.c1; ++c) {
      const int64_t base = (i * t.c + c) * t.hw;
      const Coeffs<T> f = coeffs[c - b.c0];
      const T* x = t.x + base;
      T* out = t.out + base;
      if constexpr (kGrad) {
        const T* dy = t.dy + base;
        const T* y = kRelu ? t.y + base : nullptr;
        for (int64_t j = 0; j < t.hw; ++j) out[j] = grad<T, kRelu>(dy, y, j) * f.k + (x[j] - f.m) * f.u + f.v;
      } else {
        for (int64_t j = 0; j < t.hw; ++j) {
          const T v = (x[j] - f.m) * f.u + f.v;
          out[j] = kRelu ? relu(v) : v;
        }
      }
    }
  }
}

// The two passes over every channel: sum(block, out) gives the Sums of each channel of a
// block, finish(c, total) a channel's Coeffs from its sums (adding its blocks' in block
// order, so that they do not depend on the thread count), write(block, coeffs) writes a
// block.
template <typename T, typename Sum, typename Finish, typename Write>
void two_passes(const BatchNormShape& s, const Sum& sum, const Finish& finish, const Write& write) {
  const int64_t per_block = std::max<int64_t>(1, kBlockValues / std::max<int64_t>(1, s.hw));
  const int64_t blocks = s.hw > 0 ? (s.n + per_block - 1) / per_block : 0;  // no values, no blocks
  const int64_t per_group = std::clamp<int64_t>(s.hw > 0 ? (kGroupValues + s.hw - 1) / s.hw : kMaxGroup, 1, kMaxGroup);
  const int64_t groups = (s.c + per_group - 1) / per_group;
  const auto block = [&](int64_t g, int64_t b) {
    return Block{g * per_group, std::min(s.c, (g + 1) * per_group), b * per_block, std::min(s.n, (b + 1) * per_block)};
  };
  const int threads = num_threads();
  if (threads == 1 || groups >= kGroupsPerThread * threads) {
    parallel_tasks(groups, [&](int64_t g) {
      Sums total[kMaxGroup] = {}, part[kMaxGroup];
      for (int64_t b = 0; b < blocks; ++b) {
        const Block k = block(g, b);
        sum(k, part);
        for (int64_t c = k.c0; c < k.c1; ++c) {
          total[c - k.c0].a += part[c - k.c0].a;
          total[c - k.c0].b += part[c - k.c0].b;
        }
      }
      Block whole = block(g, 0);
      whole.i1 = s.n;
      Coeffs<T> coeffs[kMaxGroup];
      for (int64_t c = whole.c0; c < whole.c1; ++c) coeffs[c - whole.c0] = finish(c, total[c - whole.c0]);
      write(whole, coeffs);
    });
    return;
  }
  // parts[b * C + c]: channel c's sums over block b.
  std::vector<Sums> parts(static_cast<size_t>(blocks * s.c));
  parallel_tasks(groups * blocks, [&](int64_t u) {
    const Block k = block(u / blocks, u % blocks);
    sum(k, &parts[(u % blocks) * s.c + k.c0]);
  });
  std::vector<Coeffs<T>> coeffs(static_cast<size_t>(s.c));
  for (int64_t c = 0; c < s.c; ++c) {
    Sums total{0, 0};
    for (int64_t b = 0; b < blocks; ++b) {
      total.a += parts[b * s.c + c].a;
      total.b += parts[b * s.c + c].b;
    }
    coeffs[c] = finish(c, total);
  }
  parallel_tasks(groups * blocks, [&](int64_t u) {
    const Block k = block(u / blocks, u % blocks);
    write(k, &coeffs[k.c0]);
  });
}

template <typename T>
struct Channels {
  const BatchNormShape& s;
  const BatchNormOptions& o;
  int64_t m() const { return s.n * s.hw; }

  static double at(const void* p, int64_t c, double fallback) {
    return p ? static_cast<double>(static_cast<const T*>(p)[c]) : fallback;
  }

  Status forward(const BatchNormForward& t) const {
    const T* x = static_cast<const T*>(t.x);
    T* save_mean = static_cast<T*>(t.save_mean);
    T* save_invstd = static_cast<T*>(t.save_invstd);
    T* running_mean = static_cast<T*>(t.running_mean);
    T* running_var = static_cast<T*>(t.running_var);
    if (!o.training && (!running_mean || !running_var)) return LB_FAIL("batch_norm: eval mode needs the running statistics");
    if (o.training && m() == 0) return LB_FAIL("batch_norm: training needs at least one value per channel");
    const Arrays<T> a{s.n, s.c, s.hw, x, nullptr, nullptr, static_cast<T*>(t.y)};
    // Shifted by each channel's first value against cancellation.
    std::vector<double> shift(o.training ? static_cast<size_t>(s.c) : 0);
    for (size_t c = 0; c < shift.size(); ++c) shift[c] = x[c * s.hw];
    two_passes<T>(
        s,
        [&](const Block& b, Sums* out) {
          if (o.training) block_sums<T, false, false>(a, b, &shift[b.c0], out);
        },
        [&](int64_t c, const Sums& sums) {
          double mean, var;
          if (o.training) {
            const BnMoments mv = bn_moments(shift[c], sums.a, sums.b, static_cast<double>(m()));
            mean = mv.mean;
            var = mv.var;
            if (running_mean) running_mean[c] = static_cast<T>(bn_running(running_mean[c], mean, o.momentum));
            if (running_var) running_var[c] = static_cast<T>(bn_running(running_var[c], bn_unbiased(var, m()), o.momentum));
          } else {
            mean = running_mean[c];
            var = running_var[c];
          }
          const double invstd = 1.0 / std::sqrt(var + o.eps);
          save_mean[c] = static_cast<T>(mean);
          save_invstd[c] = static_cast<T>(invstd);
          return Coeffs<T>{static_cast<T>(mean), T(0), static_cast<T>(invstd * at(t.weight, c, 1.0)),
                           static_cast<T>(at(t.bias, c, 0.0))};
        },
        [&](const Block& b, const Coeffs<T>* f) {
          if (o.relu) block_write<T, false, true>(a, b, f);
          else block_write<T, false, false>(a, b, f);
        });
    return Status::Ok();
  }

  Status backward(const BatchNormBackward& t) const {
    const T* save_mean = static_cast<const T*>(t.save_mean);
    const T* save_invstd = static_cast<const T*>(t.save_invstd);
    T* dx = static_cast<T*>(t.dx);
    T* dweight = static_cast<T*>(t.dweight);
    T* dbias = static_cast<T*>(t.dbias);
    if (o.relu && !t.y) return LB_FAIL("batch_norm: the backward of a fused ReLU needs y");
    const Arrays<T> a{s.n, s.c, s.hw, static_cast<const T*>(t.x), static_cast<const T*>(t.dy), static_cast<const T*>(t.y), dx};
    // Eval's dx needs no sums.
    const bool sums = (dx && o.training) || dweight || dbias;
    const std::vector<double> mean(save_mean, save_mean + s.c);
    two_passes<T>(
        s,
        [&](const Block& b, Sums* out) {
          if (!sums) return;
          if (o.relu) block_sums<T, true, true>(a, b, &mean[b.c0], out);
          else block_sums<T, true, false>(a, b, &mean[b.c0], out);
        },
        [&](int64_t c, const Sums& total) {
          const double invstd = save_invstd[c];
          const double sum_dy = total.a, sum_dy_xhat = total.b * invstd;
          if (dbias) dbias[c] = static_cast<T>(sum_dy);
          if (dweight) dweight[c] = static_cast<T>(sum_dy_xhat);
          // dx = k (g - mean_dy - xhat mean_dy_xhat) = g k + (x - mean) u + v, folded per channel.
          const BnDx f = bn_dx(invstd, at(t.weight, c, 1.0), sum_dy, sum_dy_xhat, static_cast<double>(m()), o.training);
          return Coeffs<T>{static_cast<T>(mean[c]), static_cast<T>(f.k), static_cast<T>(f.u), static_cast<T>(f.v)};
        },
        [&](const Block& b, const Coeffs<T>* f) {
          if (!dx) return;
          if (o.relu) block_write<T, true, true>(a, b, f);
          else block_write<T, true, false>(a, b, f);
        });
    return Status::Ok();
  }
};

template <typename F>
Status dispatch_float(DType type, const BatchNormShape& s, const BatchNormOptions& o, const F& f) {
  if (s.n < 0 || s.c < 0 || s.hw < 0) return LB_FAIL("batch_norm: negative size");
  if (type == DType::F32) return f(Channels<float>{s, o});
  if (type == DType::F64) return f(Channels<double>{s, o});
  return LB_FAIL(std::string("batch_norm needs float32 or float64, got ") + dtype_name(type));
}

}  // namespace

Status batch_norm_forward_cpu(DType type, const BatchNormShape& s, const BatchNormOptions& o, const BatchNormForward& t) {
  return dispatch_float(type, s, o, [&](const auto& ch) { return ch.forward(t); });
}

Status batch_norm_backward_cpu(DType type, const BatchNormShape& s, const BatchNormOptions& o, const BatchNormBackward& t) {
  return dispatch_float(type, s, o, [&](const auto& ch) { return ch.backward(t); });
}

}  // namespace lb
