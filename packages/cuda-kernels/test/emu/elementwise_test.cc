// The elementwise CUDA kernels (src/kernels/elementwise/elementwise_cuda.cu), emulated,
// against the CPU kernels: every unary op, copies between all 16 type pairs, every binary
// op, where; float32, float64, int32, uint8; over strided views (a permuted input, a
// reversed one with a negative stride, a broadcast one, offsets, an output that is a
// slice of a bigger buffer) and over a scalar, one element and an odd-sized contiguous
// run, under every schedule. Whole output buffers are compared, so a stray write shows:
// integers exactly, floats to a relative 1e-6 (a GPU's exp/log/pow may differ from the
// CPU's by an ulp). Run: lb_emu_tests elementwise.
#include <cmath>
#include <cstring>
#include <functional>

#include "../../src/kernels/elementwise/elementwise.h"
#include "harness.h"

namespace {

using lb::BinaryOp;
using lb::DType;
using lb::Iteration;
using lb::Operand;
using lb::UnaryOp;

// A view of `count` elements of a buffer: offset and strides (elements) over the shape.
struct View {
  int64_t offset;
  std::vector<int64_t> strides;
  size_t count;  // elements in the buffer
};

struct Layout {
  const char* name;
  std::vector<int64_t> shape;
  View out, in;  // in is also used for the second and third inputs
};

// [3, 4, 5] views: contiguous; in permuted; in reversed on the last axis; in broadcast
// along the middle axis; out as every other element of a bigger buffer; plus a scalar,
// one element and 1001 contiguous elements.
std::vector<Layout> layouts() {
  return {
      {"contiguous", {3, 4, 5}, {0, {20, 5, 1}, 60}, {0, {20, 5, 1}, 60}},
      {"permuted", {3, 4, 5}, {0, {20, 5, 1}, 60}, {2, {1, 3, 12}, 62}},
      {"reversed", {3, 4, 5}, {0, {20, 5, 1}, 60}, {4, {20, 5, -1}, 60}},
      {"broadcast", {3, 4, 5}, {0, {20, 5, 1}, 60}, {1, {5, 0, 1}, 16}},
      {"strided-out", {3, 4, 5}, {3, {40, 10, 2}, 123}, {0, {20, 5, 1}, 60}},
      {"scalar", {}, {0, {}, 1}, {0, {}, 1}},
      {"one", {1}, {0, {1}, 1}, {0, {1}, 1}},
      {"long", {1001}, {0, {1}, 1001}, {0, {1}, 1001}},
  };
}

Iteration iteration(const Layout& l) {
  Iteration it{};
  it.ndim = static_cast<int>(l.shape.size());
  for (size_t d = 0; d < l.shape.size(); ++d) it.shape[d] = l.shape[d];
  return it;
}

Operand operand(void* data, const View& v) {
  Operand o{};
  o.data = data;
  o.offset = v.offset;
  for (size_t d = 0; d < v.strides.size(); ++d) o.strides[d] = v.strides[d];
  return o;
}

size_t type_size(DType t) { return lb::dtype_size(t); }

// Fills a buffer of `type` with values in [lo, hi) (integers: truncated).
std::vector<char> values(DType type, size_t n, uint64_t seed, float lo, float hi) {
  const std::vector<float> r = lbt::random_floats(n, seed, lo, hi);
  std::vector<char> b(n * type_size(type));
  for (size_t i = 0; i < n; ++i) {
    lb::dispatch_dtype(type, [&](auto t) {
      using T = decltype(t);
      const T v = static_cast<T>(r[i]);
      std::memcpy(b.data() + i * sizeof(T), &v, sizeof(T));
      return 0;
    });
  }
  return b;
}

bool same(DType type, const std::vector<char>& got, const std::vector<char>& want) {
  if (type != DType::F32 && type != DType::F64) return got == want;
  return lb::dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    for (size_t i = 0; i < want.size() / sizeof(T); ++i) {
      T g, w;
      std::memcpy(&g, got.data() + i * sizeof(T), sizeof(T));
      std::memcpy(&w, want.data() + i * sizeof(T), sizeof(T));
      if (std::isnan(g) && std::isnan(w)) continue;
      if (!(std::fabs(static_cast<double>(g) - w) <= 1e-6 * std::fmax(std::fabs(static_cast<double>(w)), 1e-30))) return false;
    }
    return true;
  });
}

// Runs a kernel on host copies (CPU) and device copies (CUDA) of the same inputs and an
// output buffer filled with the same random values; true when the outputs agree.
using Kernel = std::function<lb::Status(bool cuda, const Operand& out, const std::vector<Operand>& ins)>;
bool compare(const Layout& l, DType out_type, const std::vector<std::pair<DType, std::vector<char>>>& inputs,
             const Kernel& kernel, const std::string& what) {
  const std::vector<char> out0 = values(out_type, l.out.count, 99, -5, 5);
  std::vector<char> cpu_out = out0;
  std::vector<Operand> cpu_ins;
  std::vector<std::vector<char>> host = {};
  for (const auto& in : inputs) host.push_back(in.second);
  for (auto& h : host) cpu_ins.push_back(operand(h.data(), l.in));
  const lb::Status sc = kernel(false, operand(cpu_out.data(), l.out), cpu_ins);
  LBT_CHECK(sc.ok, what + ": CPU kernel: " + sc.message);

  char* dout = lbt::to_device(out0);
  std::vector<char*> dins;
  std::vector<Operand> gpu_ins;
  for (auto& h : host) {
    dins.push_back(lbt::to_device(h));
    gpu_ins.push_back(operand(dins.back(), l.in));
  }
  const lb::Status sg = kernel(true, operand(dout, l.out), gpu_ins);
  LBT_CHECK(sg.ok, what + ": CUDA kernel: " + sg.message);
  const std::vector<char> gpu_out = lbt::to_host(dout, out0.size());
  cudaFree(dout);
  for (char* d : dins) cudaFree(d);
  const bool ok = same(out_type, gpu_out, cpu_out);
  LBT_CHECK(ok, what + ": differs from the CPU");
  return ok;
}

const DType kTypes[] = {DType::F32, DType::F64, DType::I32, DType::U8};

void unary_cases(const std::string& schedule) {
  for (const Layout& l : layouts()) {
    const Iteration it = iteration(l);
    for (DType t : kTypes) {
      const bool fp = t == DType::F32 || t == DType::F64;
      for (UnaryOp op : {UnaryOp::Neg, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt, UnaryOp::Abs, UnaryOp::Pow,
                         UnaryOp::Clamp, UnaryOp::Sign, UnaryOp::Fill}) {
        if (!fp && (op == UnaryOp::Exp || op == UnaryOp::Log)) continue;  // not integer ops in TypeScript
        const float lo = op == UnaryOp::Log || op == UnaryOp::Sqrt ? 0.1f : (t == DType::U8 ? 0 : -4), hi = 4;
        const double p0 = op == UnaryOp::Pow ? (fp ? 1.5 : 3) : -1.5, p1 = 2.5;
        const std::string what = "unary " + std::to_string(static_cast<int>(op)) + " " + lb::dtype_name(t) + " " + l.name + " " + schedule;
        compare(l, t, {{t, values(t, l.in.count, 5, lo, hi)}}, [&](bool cuda, const Operand& out, const std::vector<Operand>& in) {
          return cuda ? lb::unary_cuda(op, t, t, it, out, in[0], p0, p1, nullptr) : lb::unary_cpu(op, t, t, it, out, in[0], p0, p1);
        }, what);
      }
      for (DType from : kTypes) {
        const std::string what = std::string("copy ") + lb::dtype_name(from) + " to " + lb::dtype_name(t) + " " + l.name + " " + schedule;
        compare(l, t, {{from, values(from, l.in.count, 6, 0, 100)}}, [&](bool cuda, const Operand& out, const std::vector<Operand>& in) {
          return cuda ? lb::unary_cuda(UnaryOp::Copy, from, t, it, out, in[0], 0, 0, nullptr) : lb::unary_cpu(UnaryOp::Copy, from, t, it, out, in[0], 0, 0);
        }, what);
      }
    }
  }
}

void binary_cases(const std::string& schedule) {
  for (const Layout& l : layouts()) {
    const Iteration it = iteration(l);
    for (DType t : kTypes) {
      const bool fp = t == DType::F32 || t == DType::F64;
      for (int code = 0; code <= static_cast<int>(BinaryOp::Ge); ++code) {
        const BinaryOp op = static_cast<BinaryOp>(code);
        if (!fp && op == BinaryOp::Div) continue;
        const bool pow = op == BinaryOp::Pow;
        const float lo = pow ? (fp ? 0.5f : (t == DType::U8 ? 0 : -3)) : (t == DType::U8 ? 0 : -4), hi = pow ? 3 : 4;
        const DType out_t = code >= static_cast<int>(BinaryOp::Eq) ? DType::U8 : t;
        const std::string what = "binary " + std::to_string(code) + " " + lb::dtype_name(t) + " " + l.name + " " + schedule;
        compare(l, out_t, {{t, values(t, l.in.count, 7, lo, hi)}, {t, values(t, l.in.count, 8, pow ? -2 : lo, hi)}},
                [&](bool cuda, const Operand& out, const std::vector<Operand>& in) {
                  return cuda ? lb::binary_cuda(op, t, it, out, in[0], in[1], nullptr) : lb::binary_cpu(op, t, it, out, in[0], in[1]);
                }, what);
      }
      const std::string what = std::string("where ") + lb::dtype_name(t) + " " + l.name + " " + schedule;
      compare(l, t, {{DType::U8, values(DType::U8, l.in.count, 9, 0, 2)}, {t, values(t, l.in.count, 10, 0, 9)}, {t, values(t, l.in.count, 11, 0, 9)}},
              [&](bool cuda, const Operand& out, const std::vector<Operand>& in) {
                return cuda ? lb::where_cuda(t, it, out, in[0], in[1], in[2], nullptr) : lb::where_cpu(t, it, out, in[0], in[1], in[2]);
              }, what);
    }
  }
}

LBT_TEST(elementwise, unary_and_copy_match_cpu_every_schedule) { lbt::for_each_schedule(unary_cases); }

LBT_TEST(elementwise, binary_and_where_match_cpu_every_schedule) { lbt::for_each_schedule(binary_cases); }

LBT_TEST(elementwise, bad_arguments) {
  const Iteration it{1, {4}};
  const Operand o{};
  const lb::Status d = lb::binary_cuda(BinaryOp::Div, DType::I32, it, o, o, o, nullptr);
  LBT_CHECK(!d.ok && d.message.find("integer division") != std::string::npos, "an integer division was accepted");
  const lb::Status u = lb::unary_cuda(UnaryOp::Exp, DType::F32, DType::F64, it, o, o, 0, 0, nullptr);
  LBT_CHECK(!u.ok && u.message.find("equal input and output") != std::string::npos, "a converting exp was accepted");
  const lb::Status b = lb::binary_cuda(static_cast<BinaryOp>(40), DType::F32, it, o, o, o, nullptr);
  LBT_CHECK(!b.ok && b.message.find("unknown binary op") != std::string::npos, "an unknown binary op was accepted");
}

}  // namespace
