import { describe, expect, it } from 'vitest';

import { AutogradError, ShapeError, memory, noGrad, ones, randn, tensor, tidy, testing } from '../src/index';

const { expectClose, expectNoLeaks } = testing;

describe('autograd', () => {
  it('accumulates over several backward calls, and .grad can be reset', () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    tidy(() => w.mul(w).sum().backward());
    tidy(() => w.mul(3).sum().backward());
    expect(w.grad!.toArray()).toEqual([5, 7, 9]);
    w.grad = null;
    tidy(() => w.sum().backward());
    expect(w.grad!.toArray()).toEqual([1, 1, 1]);
    w.dispose();
  });

  it('gives each of two leaves its own gradient storage (add routes one tensor to both)', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    tidy(() => a.add(b).sum().backward());
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    tidy(() => a.mul(2).sum().backward());
    expect(a.grad!.toArray()).toEqual([3, 3]);
    expect(b.grad!.toArray()).toEqual([1, 1]);
    a.dispose();
    b.dispose();
  });

  it('uses a tensor twice and sums both paths', () => {
    const x = tensor([2], { requiresGrad: true });
    tidy(() => {
      const y = x.mul(x).mul(x).add(x.exp()); // 3x^2 + e^x
      y.sum().backward();
    });
    expectClose(x.grad!, [12 + Math.exp(2)]);
    x.dispose();
  });

  it('needs an explicit gradient for a non-scalar output and checks its shape', () => {
    const x = randn([3], { requiresGrad: true });
    tidy(() => {
      const y = x.mul(2);
      expect(() => y.backward()).toThrow(AutogradError);
      expect(() => y.backward(ones([2]))).toThrow(ShapeError);
      const g = tensor([1, 10, 100]);
      y.backward(g);
      expect(x.grad!.toArray()).toEqual([2, 20, 200]);
      g.dispose();
      expect(x.grad!.toArray()).toEqual([2, 20, 200]); // .grad does not share the user's gradient
    });
    x.dispose();
  });

  it('frees saved tensors after backward: a second backward says so; retainGraph allows it', () => {
    const x = randn([3], { requiresGrad: true });
    tidy(() => {
      const y = x.exp().sum();
      y.backward();
      expect(() => y.backward()).toThrow(/second time/);
      const z = x.exp().sum();
      z.backward(undefined, { retainGraph: true });
      z.backward();
    });
    x.dispose();
  });

  it('noGrad and detach stop recording', () => {
    const x = randn([2], { requiresGrad: true });
    tidy(() => {
      expect(noGrad(() => x.mul(2)).requiresGrad).toBe(false);
      expect(x.detach().requiresGrad).toBe(false);
      expect(x.mul(2).requiresGrad).toBe(true);
      expect(() => x.detach().sum().backward()).toThrow(/does not require grad/);
    });
    x.dispose();
  });

  it('refuses in-place updates of a tensor that requires grad unless in noGrad', () => {
    const w = randn([2], { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/noGrad/);
    const before = w.data();
    noGrad(() => w.add_(1));
    expectClose(w, Array.from(before, (v) => v + 1));
    w.dispose();
  });

  it('the .grad setter validates shape and dtype', () => {
    const w = randn([2], { requiresGrad: true });
    const wrong = randn([3]);
    expect(() => (w.grad = wrong)).toThrow(/grad must be a tensor of shape \[2\], got \[3\]/);
    wrong.dispose();
    w.dispose();
  });

  it('a graph built in tidy survives until backward, and nothing leaks after', () => {
    const w = randn([4, 4], { requiresGrad: true });
    const x = randn([8, 4]);
    expectNoLeaks(() => {
      const loss = tidy(() => x.matmul(w).exp().mean());
      const bytesHeld = memory().numBytes;
      loss.backward();
      expect(memory().numBytes).toBeLessThan(bytesHeld + 4 * 16 + 1); // saved tensors freed, w.grad added
      loss.dispose();
      w.grad = null;
    });
    w.dispose();
    x.dispose();
  });

  it('dropping the output of an unused graph frees its saved tensors', () => {
    const w = randn([64], { requiresGrad: true });
    expectNoLeaks(() => {
      const y = tidy(() => w.exp().mul(w).sum());
      y.dispose();
    });
    w.dispose();
  });
});
