import { describe, expect, it } from 'vitest';

import { DTypeError, ShapeError, addRelu, manualSeed, randn, relu, tensor, testing, tidy } from '../src/index';
import { leaf64 } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

describeEachDevice(describe, 'relu', (device) => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: max(x, 0), NaN kept; gradient 1 where the output is positive, 0 elsewhere (0 at x = 0, as PyTorch)`, () => {
      tidy(() => {
        const x = tensor([-2, -0.5, 0, 0.25, 3, Number.NaN], { device, dtype, requiresGrad: true });
        const y = relu(x);
        expectClose(y, [0, 0, 0, 0.25, 3, Number.NaN]);
        y.mul(tensor([1, 2, 3, 4, 5, 6], { device, dtype })).sum().backward();
        expectClose(x.grad!, [0, 0, 0, 4, 5, 0]);
      });
    });
  }

  it('matches x.where(x > 0, 0) on a strided view, as a method too', () => {
    tidy(() => {
      const x = randn([5, 7, 3], { device }).permute([2, 0, 1]);
      const expected = x.where(x.gt(0), 0);
      expectClose(relu(x), expected);
      expectClose(x.relu(), expected);
    });
  });

  it('float64 gradient matches finite differences', () => {
    manualSeed(1);
    const x = leaf64([4, 5, 3], false, device);
    gradCheck((xi) => relu(xi!), [x]);
    x.dispose();
  });

  it('rejects integer tensors', () => {
    tidy(() => expect(() => relu(tensor([1, -1], { device, dtype: 'int32' }))).toThrow(/x.dtype must be 'float32' or 'float64', got 'int32'/));
  });
});

describeEachDevice(describe, 'addRelu (fused residual join)', (device) => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: matches the composite relu(a + b), values and both gradients`, () => {
      manualSeed(7);
      tidy(() => {
        const [a1, b1] = [randn([3, 5, 7, 9], { device, dtype, requiresGrad: true }), randn([3, 5, 7, 9], { device, dtype, requiresGrad: true })];
        const [a2, b2] = [a1.detach().clone(), b1.detach().clone()];
        a2.requiresGrad = true;
        b2.requiresGrad = true;
        const fused = addRelu(a1, b1);
        const composite = relu(a2.add(b2));
        expectClose(fused, composite);
        const wt = randn([3, 5, 7, 9], { device, dtype });
        fused.mul(wt).sum().backward();
        composite.mul(wt).sum().backward();
        expectClose(a1.grad!, a2.grad!);
        expectClose(b1.grad!, b2.grad!);
      });
    });
  }

  it('float64 gradients match finite differences', () => {
    manualSeed(2);
    const [a, b] = [leaf64([2, 3, 4, 5], false, device), leaf64([2, 3, 4, 5], false, device)];
    gradCheck((ai, bi) => addRelu(ai!, bi!), [a, b]);
    [a, b].forEach((t) => t.dispose());
  });

  it('leaks no tensors, forward or backward (relu and addRelu)', () => {
    const [a, b] = [randn([3, 4, 5], { device, requiresGrad: true }), randn([3, 4, 5], { device, requiresGrad: true })];
    expectNoLeaks(() => relu(a).dispose());
    expectNoLeaks(() => addRelu(a, b).dispose());
    expectNoLeaks(() => {
      tidy(() => addRelu(relu(a), b).sum().backward());
      a.grad = null;
      b.grad = null;
    });
    [a, b].forEach((t) => t.dispose());
  });

  it('rejects different shapes (no broadcasting) and dtypes', () => {
    tidy(() => {
      expect(() => addRelu(randn([2, 3], { device }), randn([3], { device }))).toThrow(ShapeError);
      expect(() => addRelu(randn([2, 3], { device }), randn([3], { device }))).toThrow(/one shape \(no broadcasting\), got \[2, 3\] and \[3\]/);
      expect(() => addRelu(randn([2], { device }), randn([2], { device, dtype: 'float64' }))).toThrow(DTypeError);
    });
  });
});
