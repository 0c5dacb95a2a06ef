import { describe, expect, it } from 'vitest';

import { DisposedError, keep, memory, ones, randn, tidy, zeros } from '../src/index';

describe('memory', () => {
  it('tidy disposes what it does not return and leaves numTensors unchanged', () => {
    const before = memory();
    const result = tidy(() => {
      const a = randn([10]);
      const b = a.exp();
      return { total: b.sum(), parts: [a.mul(2)] };
    });
    expect(memory().numTensors).toBe(before.numTensors + 2);
    result.total.dispose();
    result.parts[0]!.dispose();
    expect(memory()).toEqual(before);
  });

  it('nested tidy moves returned tensors to the outer scope', () => {
    const before = memory().numTensors;
    tidy(() => {
      const inner = tidy(() => ones([2]).add(1));
      expect(inner.isDisposed).toBe(false);
      return undefined;
    });
    expect(memory().numTensors).toBe(before);
  });

  it('keep takes a tensor out of tidy; dispose is idempotent', () => {
    let kept = zeros([1]);
    kept.dispose();
    tidy(() => {
      kept = keep(ones([3]));
    });
    expect(kept.isDisposed).toBe(false);
    kept.dispose();
    kept.dispose();
  });

  it('views count as tensors but share bytes; storage goes with the last holder', () => {
    const before = memory();
    const x = randn([100]);
    const v = x.reshape([10, 10]);
    expect(memory().numTensors).toBe(before.numTensors + 2);
    expect(memory().numBytes).toBe(before.numBytes + 400);
    x.dispose();
    expect(tidy(() => v.sum().item())).toBeTypeOf('number');
    expect(memory().numBytes).toBe(before.numBytes + 400);
    v.dispose();
    expect(memory()).toEqual(before);
  });

  it('a tensor used after dispose throws DisposedError', () => {
    const x = randn([2]);
    x.dispose();
    expect(() => x.add(1)).toThrow(DisposedError);
    expect(() => x.data()).toThrow(/used after dispose/);
  });

  it('tidy disposes everything when fn throws, and rejects async functions', () => {
    const before = memory();
    expect(() =>
      tidy(() => {
        randn([5]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() => tidy(() => Promise.resolve(randn([1])) as never)).toThrow(/synchronous/);
    expect(memory()).toEqual(before);
  });
});
