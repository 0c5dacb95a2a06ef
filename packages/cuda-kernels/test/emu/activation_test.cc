// The fused activations' CUDA kernel (src/kernels/activation/activation_cuda.cu), emulated,
// against activation_cpu: relu, add_relu, relu_backward, float32 and float64, sizes 1, odd,
// and more than one block's worth, inputs holding negatives, zeros and NaN, under every
// schedule; results must be identical. Run: lb_emu_tests activation.
#include <cmath>
#include <cstring>

#include "../../src/kernels/activation/activation.h"
#include "harness.h"

namespace {

using lb::ActivationOp;
using lb::DType;

template <typename T>
std::vector<T> inputs(size_t n, uint64_t seed) {
  const std::vector<float> r = lbt::random_floats(n, seed, -1, 1);
  std::vector<T> v(r.begin(), r.end());
  for (size_t i = 0; i < n; i += 7) v[i] = 0;
  if (n > 3) v[3] = NAN;
  return v;
}

template <typename T>
void check(DType type, const std::string& schedule) {
  for (ActivationOp op : {ActivationOp::Relu, ActivationOp::AddRelu, ActivationOp::ReluBackward}) {
    for (int64_t n : {1, 7, 1000, 70001}) {
      const std::vector<T> a = inputs<T>(static_cast<size_t>(n), 1), b = inputs<T>(static_cast<size_t>(n), 2);
      std::vector<T> want(a.size());
      const lb::Status sc = lb::activation_cpu(op, type, n, a.data(), b.data(), want.data());
      LBT_CHECK(sc.ok, "activation_cpu: " + sc.message);
      T* da = lbt::to_device(a);
      T* db = lbt::to_device(b);
      T* dout = lbt::to_device(std::vector<T>(a.size()));
      const lb::Status sg = lb::activation_cuda(op, type, n, da, db, dout, nullptr);
      LBT_CHECK(sg.ok, "activation_cuda: " + sg.message);
      const std::vector<T> got = lbt::to_host(dout, a.size());
      LBT_CHECK(std::memcmp(got.data(), want.data(), want.size() * sizeof(T)) == 0,
                "activation " + std::to_string(static_cast<int>(op)) + " " + lb::dtype_name(type) + " n=" + std::to_string(n) + " " + schedule);
      cudaFree(da);
      cudaFree(db);
      cudaFree(dout);
    }
  }
}

LBT_TEST(activation, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    check<float>(DType::F32, s);
    check<double>(DType::F64, s);
  });
}

LBT_TEST(activation, bad_arguments) {
  const lb::Status b = lb::activation_cuda(ActivationOp::AddRelu, DType::F32, 4, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!b.ok && b.message.find("second operand") != std::string::npos, "add_relu without b was accepted");
  const lb::Status t = lb::activation_cuda(ActivationOp::Relu, DType::I32, 4, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!t.ok && t.message.find("float32 or float64") != std::string::npos, "an int32 relu was accepted");
}

}  // namespace
