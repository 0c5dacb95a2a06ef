// The index kernels' CUDA versions (src/kernels/index/index_cuda.cu), emulated, against
// index_select_cpu / index_add_cpu: float32, float64, int32 and uint8; inner 1 and inner
// not a multiple of 32, repeated indices (index_add adds them up), a dimension of size 1,
// no indices; and a bad index (negative, or past the end): reported at its lowest
// position through the device int32, with nothing written. Under every schedule; results
// must be identical (index_add adds in index order, as the CPU does). Run: lb_emu_tests index.
#include <cstring>

#include "../../src/kernels/index/index.h"
#include "harness.h"

namespace {

using lb::DType;

struct Case {
  int64_t outer, dim, inner;
  std::vector<int32_t> idx;
};

const Case kCases[] = {{1, 5, 1, {4, 0, 2}}, {3, 7, 5, {6, 1, 1, 0, 6, 3, 1, 2, 5, 4}}, {2, 1, 33, {0, 0, 0, 0}},
                       {4, 10, 1, {}}, {2, 300, 3, {299, 0, 150, 150}}};

std::vector<char> bytes(DType type, size_t n, uint64_t seed) {
  const std::vector<float> r = lbt::random_floats(n, seed, 0, 100);
  std::vector<char> b(n * lb::dtype_size(type));
  for (size_t i = 0; i < n; ++i) {
    lb::dispatch_dtype(type, [&](auto t) {
      const auto v = static_cast<decltype(t)>(r[i]);
      std::memcpy(b.data() + i * sizeof(v), &v, sizeof(v));
      return 0;
    });
  }
  return b;
}

// Runs one kernel on the CPU and, emulated, on the device; checks the results and the report.
void run(bool add, DType type, const Case& c, const std::vector<int32_t>& idx, int32_t want_bad, const std::string& what) {
  const int64_t n_idx = static_cast<int64_t>(idx.size());
  const size_t in_n = static_cast<size_t>(c.outer * (add ? n_idx : c.dim) * c.inner);
  const size_t out_n = static_cast<size_t>(c.outer * (add ? c.dim : n_idx) * c.inner);
  const std::vector<char> in = bytes(type, in_n, 3), out0 = bytes(type, out_n, 4);
  std::vector<char> want = out0;
  const lb::Status sc = add ? lb::index_add_cpu(type, c.outer, c.dim, c.inner, in.data(), idx.data(), n_idx, want.data())
                            : lb::index_select_cpu(type, c.outer, c.dim, c.inner, in.data(), idx.data(), n_idx, want.data());
  LBT_CHECK(sc.ok == (want_bad < 0), what + ": the CPU kernel's status");
  if (!sc.ok) want = out0;  // nothing written
  char* din = lbt::to_device(in);
  char* dout = lbt::to_device(out0);
  int32_t* didx = lbt::to_device(idx);
  int32_t* dbad = lbt::to_device(std::vector<int32_t>{12345});
  const lb::Status sg = add ? lb::index_add_cuda(type, c.outer, c.dim, c.inner, din, didx, n_idx, dout, dbad, nullptr)
                            : lb::index_select_cuda(type, c.outer, c.dim, c.inner, din, didx, n_idx, dout, dbad, nullptr);
  LBT_CHECK(sg.ok, what + ": " + sg.message);
  LBT_CHECK(lbt::to_host(dout, out_n * lb::dtype_size(type)) == want, what + ": differs from the CPU");
  const int32_t bad = lbt::to_host(dbad, 1)[0];
  LBT_CHECK(bad == want_bad, what + ": bad position " + std::to_string(bad) + ", expected " + std::to_string(want_bad));
  cudaFree(din);
  cudaFree(dout);
  cudaFree(didx);
  cudaFree(dbad);
}

LBT_TEST(index, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    for (DType type : {DType::F32, DType::F64, DType::I32, DType::U8}) {
      for (const Case& c : kCases) {
        for (bool add : {false, true}) {
          const std::string what = std::string(add ? "index_add " : "index_select ") + lb::dtype_name(type) + " [" +
                                   std::to_string(c.outer) + "," + std::to_string(c.dim) + "," + std::to_string(c.inner) +
                                   "] " + std::to_string(c.idx.size()) + " indices " + s;
          run(add, type, c, c.idx, -1, what);
        }
      }
    }
  });
}

LBT_TEST(index, bad_index_reported_nothing_written) {
  lbt::for_each_schedule([](const std::string& s) {
    const Case& c = kCases[1];
    for (bool add : {false, true}) {
      std::vector<int32_t> idx = c.idx;
      idx[7] = 7;   // past the end of a dimension of 7
      idx[4] = -1;  // the lowest bad position
      run(add, DType::F32, c, idx, 4, std::string(add ? "index_add" : "index_select") + " with bad indices " + s);
    }
  });
}

}  // namespace
