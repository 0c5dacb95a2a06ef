// The fused optimizer step's CUDA kernel (src/kernels/optim/optim_cuda.cu), emulated,
// against optim_step_cpu: SGD (with and without nesterov, dampening), LARS paper (with
// and without clipping, an excluded tensor) and LARS study, over groups holding sizes
// 1, odd sizes, sizes across the chunk size, a tensor without a gradient, an empty one,
// a zero-norm weight tensor and a zero gradient; three steps each (the first step's
// momentum buffer differs), a gradient holding NaN/Inf, under every schedule.
// Compared: params, momentum buffers, flags, trust ratios and the first non-finite index.
// Run: lb_emu_tests optim.
#include <cmath>
#include <limits>

#include "../../src/kernels/optim/optim.h"
#include "harness.h"

namespace {

using lb::OptimHyper;
using lb::OptimTensor;
using lb::OptimVariant;

struct Tensor {
  std::vector<float> param, grad, momentum;
  bool has_grad = true;
};

// The group every case runs on; `nan_at` puts a NaN (or Inf) in one gradient.
std::vector<Tensor> make_group(uint64_t seed, int nan_at) {
  const int64_t sizes[] = {1, 7, 33, 4095, 4096, 4097, 9000, 3, 0, 12289, 5};
  std::vector<Tensor> group;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    Tensor t;
    const size_t n = static_cast<size_t>(sizes[i]);
    t.param = lbt::random_floats(n, seed + 3 * i, -1, 1);
    t.grad = lbt::random_floats(n, seed + 3 * i + 1, -0.1f, 0.1f);
    t.momentum = lbt::random_floats(n, seed + 3 * i + 2, -0.01f, 0.01f);
    group.push_back(std::move(t));
  }
  group[2].param.assign(group[2].param.size(), 0.0f);  // ‖w‖ = 0: LARS leaves it (study) or uses ratio 1 (paper)
  group[7].has_grad = false;
  group[10].grad.assign(group[10].grad.size(), 0.0f);  // ‖g‖ = 0
  if (nan_at >= 0) group[static_cast<size_t>(nan_at)].grad[group[static_cast<size_t>(nan_at)].grad.size() / 2] = nan_at % 2 ? INFINITY : NAN;
  return group;
}

struct Result {
  std::vector<Tensor> group;
  std::vector<uint8_t> flags;
  std::vector<float> ratios;
  int64_t first_non_finite;
};

Result step_cpu(OptimVariant v, const OptimHyper& h, Result r) {
  std::vector<OptimTensor> ts;
  for (Tensor& t : r.group)
    ts.push_back(OptimTensor{t.param.data(), t.has_grad ? t.grad.data() : nullptr, t.momentum.data(), static_cast<int64_t>(t.param.size())});
  const lb::Status s = lb::optim_step_cpu(v, h, ts.data(), r.flags.data(), static_cast<int64_t>(ts.size()), r.ratios.data(), &r.first_non_finite);
  LBT_CHECK(s.ok, "optim_step_cpu: " + s.message);
  return r;
}

Result step_cuda(OptimVariant v, const OptimHyper& h, Result r) {
  const int64_t count = static_cast<int64_t>(r.group.size());
  std::vector<OptimTensor> ts;
  std::vector<float*> dev;
  for (Tensor& t : r.group) {
    float* p = lbt::to_device(t.param);
    float* g = t.has_grad ? lbt::to_device(t.grad) : nullptr;
    float* m = lbt::to_device(t.momentum);
    dev.insert(dev.end(), {p, g, m});
    ts.push_back(OptimTensor{p, g, m, static_cast<int64_t>(t.param.size())});
  }
  std::vector<lb::OptimCudaEntry> table(static_cast<size_t>(count));
  int64_t chunks = 0;
  lb::Status s = lb::optim_cuda_table(ts.data(), count, h.momentum, table.data(), &chunks);
  LBT_CHECK(s.ok, "optim_cuda_table: " + s.message);
  lb::OptimCudaEntry* dtable = lbt::to_device(table);
  uint8_t* dflags = lbt::to_device(r.flags);
  float* dratios = lbt::to_device(r.ratios);
  int32_t* dfirst = lbt::to_device(std::vector<int32_t>{7});
  void* work = nullptr;
  cudaMalloc(&work, lb::optim_cuda_workspace_bytes(count, chunks));
  s = lb::optim_step_cuda(v, h, dtable, count, chunks, dflags, dratios, dfirst, work, nullptr);
  LBT_CHECK(s.ok, "optim_step_cuda: " + s.message);
  if (!s.ok) lbt::reset_device();
  for (size_t i = 0; i < r.group.size(); ++i) {
    r.group[i].param = lbt::to_host(dev[3 * i], r.group[i].param.size());
    r.group[i].momentum = lbt::to_host(dev[3 * i + 2], r.group[i].momentum.size());
  }
  r.flags = lbt::to_host(dflags, r.flags.size());
  r.ratios = lbt::to_host(dratios, r.ratios.size());
  r.first_non_finite = lbt::to_host(dfirst, 1)[0];
  for (float* p : dev) cudaFree(p);
  cudaFree(dtable);
  cudaFree(dflags);
  cudaFree(dratios);
  cudaFree(dfirst);
  cudaFree(work);
  return r;
}

void compare(const Result& gpu, const Result& cpu, const std::string& what) {
  LBT_CHECK(gpu.first_non_finite == cpu.first_non_finite,
            what + ": first non-finite " + std::to_string(gpu.first_non_finite) + " vs " + std::to_string(cpu.first_non_finite));
  for (size_t i = 0; i < cpu.group.size(); ++i) {
    const std::string t = what + ", tensor " + std::to_string(i);
    LBT_CHECK(gpu.flags[i] == cpu.flags[i], t + ": flags " + std::to_string(gpu.flags[i]) + " vs " + std::to_string(cpu.flags[i]));
    const double ep = lbt::max_rel_error(gpu.group[i].param, cpu.group[i].param);
    const double em = lbt::max_rel_error(gpu.group[i].momentum, cpu.group[i].momentum);
    LBT_CHECK(ep < 1e-5, t + ": param relative error " + std::to_string(ep));
    LBT_CHECK(em < 1e-5, t + ": momentum relative error " + std::to_string(em));
    const bool ratio_written = !(cpu.flags[i] & lb::kOptimNonFinite) && cpu.group[i].has_grad && !cpu.group[i].param.empty();
    if (ratio_written) {
      const double er = std::fabs(gpu.ratios[i] - cpu.ratios[i]) / std::fmax(std::fabs(cpu.ratios[i]), 1e-6);
      LBT_CHECK(er < 1e-5, t + ": trust ratio " + std::to_string(gpu.ratios[i]) + " vs " + std::to_string(cpu.ratios[i]));
    }
  }
}

struct Case {
  const char* name;
  OptimVariant variant;
  OptimHyper hyper;
};

std::vector<Case> cases() {
  OptimHyper sgd{0.1, 0.9, 0.1, 5e-4, 0, 0, false, false};
  OptimHyper nesterov{0.1, 0.9, 0, 5e-4, 0, 0, false, true};
  OptimHyper plain{0.05, 0, 0, 1e-4, 0, 0, false, false};
  OptimHyper paper{0.1, 0.9, 0, 5e-4, 0.001, 1e-9, false, false};
  OptimHyper clip{0.1, 0.9, 0, 5e-4, 0.02, 1e-9, true, false};
  OptimHyper study{0.2, 0.9, 0, 5e-4, 0.1, 0, false, false};
  return {{"sgd", OptimVariant::Sgd, sgd},          {"sgd-nesterov", OptimVariant::Sgd, nesterov},
          {"sgd-no-momentum", OptimVariant::Sgd, plain}, {"lars-paper", OptimVariant::LarsPaper, paper},
          {"lars-paper-clip", OptimVariant::LarsPaper, clip}, {"lars-study", OptimVariant::LarsStudy, study}};
}

Result initial(int nan_at) {
  Result r;
  r.group = make_group(42, nan_at);
  r.flags.assign(r.group.size(), 0);
  r.flags[4] = lb::kOptimExcluded;
  r.ratios.assign(r.group.size(), -1.0f);
  r.first_non_finite = 7;
  return r;
}

LBT_TEST(optim, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    for (const Case& c : cases()) {
      // Three steps from the same start, each compared, each continued from the CPU's state.
      Result state = initial(-1);
      for (int step = 0; step < 3; ++step) {
        const Result cpu = step_cpu(c.variant, c.hyper, state);
        const Result gpu = step_cuda(c.variant, c.hyper, state);
        compare(gpu, cpu, std::string(c.name) + " step " + std::to_string(step) + " " + s);
        state = cpu;
      }
    }
  });
}

LBT_TEST(optim, non_finite_gradients) {
  lbt::for_each_schedule([](const std::string& s) {
    for (const Case& c : cases()) {
      for (int nan_at : {5, 9}) {  // NaN in tensor 5, Inf in tensor 9
        const Result start = initial(nan_at);
        const Result cpu = step_cpu(c.variant, c.hyper, start);
        const Result gpu = step_cuda(c.variant, c.hyper, start);
        LBT_CHECK(cpu.first_non_finite == nan_at, "the CPU reference reports " + std::to_string(cpu.first_non_finite));
        compare(gpu, cpu, std::string(c.name) + " non-finite at " + std::to_string(nan_at) + " " + s);
      }
    }
  });
}

LBT_TEST(optim, missing_momentum_buffer) {
  OptimTensor t{nullptr, nullptr, nullptr, 4};
  float dummy = 0;
  t.grad = &dummy;
  lb::OptimCudaEntry e;
  int64_t chunks = 0;
  const lb::Status s = lb::optim_cuda_table(&t, 1, 0.9, &e, &chunks);
  LBT_CHECK(!s.ok && s.message.find("no momentum buffer") != std::string::npos, "optim_cuda_table accepted a missing buffer");
}

}  // namespace
