// Modules on device 'cuda', where it is available (a GPU, or the emulated addon under
// `pnpm test:cuda-emulated`): to() moves parameters and buffers, loadStateDict moves values
// across devices, a layer's forward and backward on 'cuda' equal those on 'cpu', and so
// does crossEntropy's.
import { ArgumentError, cuda, manualSeed, memory, randn, tensor, testing, tidy } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { BatchNorm2d, Flatten, Linear, ReLU, Sequential, crossEntropy } from '../src/index';

const { expectClose } = testing;

/** A small net with parameters and buffers (BatchNorm2d's running statistics and count). */
function net(): Sequential {
  return new Sequential(new BatchNorm2d(2), new Flatten(), new Linear(2 * 3 * 3, 4), new ReLU(), new Linear(4, 3));
}

describe.runIf(cuda.isAvailable())('modules on cuda', () => {
  it('to() moves every parameter and buffer, parameters staying leaves that require grad, and frees the old ones', () => {
    manualSeed(1);
    const before = memory();
    const m = net();
    const values = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data())]));
    const counted = memory();
    m.to('cuda');
    expect(memory()).toEqual(counted); // the CPU copies were freed
    for (const [name, t] of Object.entries(m.stateDict())) {
      expect(t.device, name).toBe('cuda');
      expect(Array.from(t.data()), name).toEqual(values[name]);
    }
    expect(m.parameters().every((p) => p.isLeaf && p.requiresGrad)).toBe(true);
    m.to('cpu');
    expect(m.parameters().every((p) => p.device === 'cpu' && p.isLeaf && p.requiresGrad)).toBe(true);
    m.dispose();
    expect(memory()).toEqual(before);
  });

  it('a CPU state dict loads into a module on cuda, and forward and backward equal the CPU module', () => {
    manualSeed(2);
    const onCpu = net();
    const onCuda = net().to('cuda');
    onCuda.loadStateDict(onCpu.stateDict());
    tidy(() => {
      const x = randn([5, 2, 3, 3]);
      const yCpu = onCpu.forward(x);
      const yCuda = onCuda.forward(x.to('cuda'));
      expect(yCuda.device).toBe('cuda');
      expectClose(yCuda, yCpu, { rtol: 1e-5, atol: 1e-6 });
      yCpu.sum().backward();
      yCuda.sum().backward();
    });
    const cudaParams = onCuda.namedParameters();
    onCpu.namedParameters().forEach(([name, p], i) => {
      expectClose(cudaParams[i]![1].grad!, p.grad!, { rtol: 1e-4, atol: 1e-6, what: `${name}.grad` });
    });
    for (const [name, t] of Object.entries(onCpu.stateDict())) {
      expectClose(onCuda.stateDict()[name]!, t, { rtol: 1e-5, atol: 1e-6, what: name }); // running statistics too
    }
    onCpu.dispose();
    onCuda.dispose();
  });

  it('crossEntropy on cuda equals it on cpu, losses and gradients, for each reduction; a bad label is an ArgumentError', () => {
    manualSeed(3);
    tidy(() => {
      const labels = tensor([4, 0, 2, 2, 1, 3, 0], { dtype: 'int32' });
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const onCpu = randn([7, 5], { std: 3, requiresGrad: true });
        const onCuda = onCpu.detach().to('cuda');
        onCuda.requiresGrad = true;
        const lossCpu = crossEntropy(onCpu, labels, { labelSmoothing: 0.1, reduction });
        const lossCuda = crossEntropy(onCuda, labels.to('cuda'), { labelSmoothing: 0.1, reduction });
        expect(lossCuda.device).toBe('cuda');
        expectClose(lossCuda, lossCpu, { rtol: 1e-5, atol: 1e-6, what: reduction });
        lossCpu.sum().backward();
        lossCuda.sum().backward();
        expectClose(onCuda.grad!, onCpu.grad!, { rtol: 1e-5, atol: 1e-6, what: `${reduction} grad` });
      }
      const bad = tensor([4, 0, 2, 5, 1, 3, 0], { dtype: 'int32', device: 'cuda' });
      expect(() => crossEntropy(randn([7, 5], { device: 'cuda' }), bad)).toThrow(ArgumentError);
      expect(() => crossEntropy(randn([7, 5], { device: 'cuda' }), bad)).toThrow(/labels\[3\] must be a class index in \[0, 5\), got 5/);
    });
  });
});
