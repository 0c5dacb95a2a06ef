// The tiled CUDA matmul (src/kernels/matmul/matmul_cuda.cu), emulated, against matmul_cpu:
// float32 and float64, every transpose combination, shapes that are no multiple of the
// 64 x 64 x 16 tiles (and 1 x 1 x 1), batches with strides, a broadcast B (batch stride
// 0), offsets and padded leading dimensions; the output's padding must stay untouched.
// Under every schedule. Error allowed: 2e-5 (float32) or 1e-13 (float64) of
// sum_p |a_ip| |b_pj|, the scale of rounding in a dot product. Run: lb_emu_tests matmul.
#include <cmath>

#include "../../src/kernels/matmul/matmul.h"
#include "harness.h"

namespace {

using lb::DType;
using lb::MatmulArgs;

struct Case {
  int64_t batch, m, n, k;
  bool trans_a, trans_b, broadcast_b;
};

const Case kCases[] = {{1, 1, 1, 1, false, false, false},  {1, 37, 45, 29, false, false, false},
                       {2, 70, 33, 17, true, false, false},  {3, 65, 64, 40, false, true, true},
                       {1, 16, 130, 71, true, true, false}, {2, 5, 3, 100, false, false, false}};

template <typename T>
void check(DType type, const Case& c, const std::string& schedule) {
  const int64_t pad = 3;
  const int64_t a_rows = c.trans_a ? c.k : c.m, a_cols = c.trans_a ? c.m : c.k;
  const int64_t b_rows = c.trans_b ? c.n : c.k, b_cols = c.trans_b ? c.k : c.n;
  MatmulArgs g{c.batch, c.m, c.n, c.k, c.trans_a, c.trans_b, a_cols + pad, b_cols + pad, c.n + pad, 0, 0, 0, 5, 7, 3};
  g.a_batch_stride = a_rows * g.lda + 1;
  g.b_batch_stride = c.broadcast_b ? 0 : b_rows * g.ldb + 2;
  g.c_batch_stride = c.m * g.ldc + 1;
  const std::vector<float> ra = lbt::random_floats(static_cast<size_t>(g.a_offset + c.batch * g.a_batch_stride), 1);
  const std::vector<float> rb = lbt::random_floats(static_cast<size_t>(g.b_offset + (c.broadcast_b ? 1 : c.batch) * (b_rows * g.ldb + 2)), 2);
  const std::vector<float> rc = lbt::random_floats(static_cast<size_t>(g.c_offset + c.batch * g.c_batch_stride), 3);
  const std::vector<T> a(ra.begin(), ra.end()), b(rb.begin(), rb.end()), c0(rc.begin(), rc.end());
  std::vector<T> want = c0;
  const lb::Status sc = lb::matmul_cpu(type, g, a.data(), b.data(), want.data());
  LBT_CHECK(sc.ok, "matmul_cpu: " + sc.message);
  T* da = lbt::to_device(a);
  T* db = lbt::to_device(b);
  T* dc = lbt::to_device(c0);
  const lb::Status sg = lb::matmul_cuda(type, g, da, db, dc, nullptr);
  LBT_CHECK(sg.ok, "matmul_cuda: " + sg.message);
  const std::vector<T> got = lbt::to_host(dc, c0.size());
  cudaFree(da);
  cudaFree(db);
  cudaFree(dc);

  // Each output against the CPU's, scaled by sum |a||b|; everything else unchanged.
  std::vector<bool> is_out(c0.size(), false);
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-13;
  double worst = 0;
  for (int64_t t = 0; t < c.batch; ++t) {
    const T* at = a.data() + g.a_offset + t * g.a_batch_stride;
    const T* bt = b.data() + g.b_offset + t * g.b_batch_stride;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double scale = 1e-30;
        for (int64_t p = 0; p < c.k; ++p) {
          const T av = c.trans_a ? at[p * g.lda + i] : at[i * g.lda + p];
          const T bv = c.trans_b ? bt[j * g.ldb + p] : bt[p * g.ldb + j];
          scale += std::fabs(static_cast<double>(av) * bv);
        }
        const size_t o = static_cast<size_t>(g.c_offset + t * g.c_batch_stride + i * g.ldc + j);
        is_out[o] = true;
        worst = std::fmax(worst, std::fabs(static_cast<double>(got[o]) - want[o]) / scale);
        if (std::isnan(static_cast<double>(got[o]))) worst = INFINITY;
      }
    }
  }
  bool untouched = true;
  for (size_t o = 0; o < c0.size(); ++o) untouched &= is_out[o] || got[o] == c0[o];
  const std::string what = std::string(lb::dtype_name(type)) + " batch " + std::to_string(c.batch) + " " +
                           std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
                           (c.trans_a ? " A^T" : "") + (c.trans_b ? " B^T" : "") + (c.broadcast_b ? " broadcast B" : "") +
                           " " + schedule;
  LBT_CHECK(worst < tol, what + ": error " + std::to_string(worst) + " of sum |a||b|");
  LBT_CHECK(untouched, what + ": wrote outside the output matrices");
}

LBT_TEST(matmul, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    for (const Case& c : kCases) {
      check<float>(DType::F32, c, s);
      check<double>(DType::F64, c, s);
    }
  });
}

LBT_TEST(matmul, rejects_integer_types) {
  const MatmulArgs g{1, 1, 1, 1, false, false, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  const lb::Status s = lb::matmul_cuda(DType::I32, g, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!s.ok && s.message.find("float32 or float64") != std::string::npos, "an int32 matmul was accepted");
}

}  // namespace
