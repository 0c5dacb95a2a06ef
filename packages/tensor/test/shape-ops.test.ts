import { describe, expect, it } from 'vitest';

import {
  ArgumentError, ShapeError, arange, cat, expand, flatten, flip, indexSelect, logSoftmax, pad, permute, randn, reshape,
  slice, softmax, squeeze, stack, tensor, testing, tidy, transpose, unsqueeze,
} from '../src/index';
import { leaf64, unravel } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

describeEachDevice(describe, 'views', (device) => {
  it('reshape, permute, transpose, expand, squeeze, unsqueeze, flatten and slice give the right elements', () => {
    tidy(() => {
      const x = arange(0, 24, 1, { device }).reshape([2, 3, 4]);
      expect(x.reshape([4, -1]).shape).toEqual([4, 6]);
      const p = permute(x, [2, 0, 1]);
      expect(p.shape).toEqual([4, 2, 3]);
      // p[i, j, k] = x[j, k, i] = 12 j + 4 k + i
      Array.from(p.data()).forEach((v, flatIndex) => {
        const [i, j, k] = unravel(flatIndex, [4, 2, 3]) as [number, number, number];
        expect(v).toBe(12 * j + 4 * k + i);
      });
      expect(transpose(x, 0, 2).shape).toEqual([4, 3, 2]);
      expect(expand(tensor([[1], [2]], { device }), [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
      expect(unsqueeze(x, -1).shape).toEqual([2, 3, 4, 1]);
      expect(squeeze(randn([1, 3, 1], { device })).shape).toEqual([3]);
      expect(flatten(x, 1).shape).toEqual([2, 12]);
      expect(slice(arange(0, 10, 1, { device }), 0, -3).toArray()).toEqual([7, 8, 9]);
      expect(slice(x, 2, 1, 3).toArray()).toEqual([[[1, 2], [5, 6], [9, 10]], [[13, 14], [17, 18], [21, 22]]]);
      // reshape of a non-contiguous view copies, in row-major order of the view
      expect(transpose(arange(0, 6, 1, { device }).reshape([2, 3]), 0, 1).reshape([6]).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    });
  });

  it('views share storage and create no new bytes', () => {
    tidy(() => {
      const x = randn([4, 5], { device });
      const v = x.transpose(0, 1).slice(0, 1, 3);
      expect(v.storage).toBe(x.storage);
    });
  });

  it('gradients of every view match finite differences', () => {
    const x = leaf64([2, 3, 4], false, device);
    gradCheck((t) => t.reshape([6, 4]), [x]);
    gradCheck((t) => t.permute([1, 2, 0]).mul(t.permute([1, 2, 0])), [x]);
    gradCheck((t) => t.transpose(0, 2).reshape([-1]), [x]);
    gradCheck((t) => t.slice(1, 0, 3, 2).slice(2, 1), [x]);
    gradCheck((t) => t.unsqueeze(1).expand([2, 5, 3, 4]), [x]);
    gradCheck((t) => t.flatten(0, 1).squeeze(), [x]);
    gradCheck((t) => t.transpose(0, 1).contiguous().clone().mul(t.transpose(0, 1)), [x]);
    x.dispose();
    // A cast passes the gradient through, back in the input's dtype (rounding defeats finite differences).
    const y = leaf64([3], false, device);
    tidy(() => y.toDType('float32').mul(tensor([1, 2, 3], { device })).sum().backward());
    expect(y.grad!.dtype).toBe('float64');
    expect(y.grad!.toArray()).toEqual([1, 2, 3]);
    y.dispose();
  });

  it('bad shapes and dims are named', () => {
    tidy(() => {
      expect(() => reshape(randn([2, 3], { device }), [4, 2])).toThrow(ShapeError);
      expect(() => reshape(randn([2, 3], { device }), [-1, -1])).toThrow(/at most one -1/);
      expect(() => permute(randn([2, 3], { device }), [0, 0])).toThrow(ArgumentError);
      expect(() => expand(randn([2, 3], { device }), [4, 3])).toThrow(/cannot expand dim 0 of size 2 to 4/);
      expect(() => slice(randn([2], { device }), 0, 0, 1, 0)).toThrow(/step must be a positive integer, got 0/);
      expect(() => randn([2, 2], { device }).view([4]).transpose(0, 0).view([4])).not.toThrow();
      expect(() => randn([2, 3], { device }).transpose(0, 1).view([6])).toThrow(/not contiguous/);
    });
  });
});

describeEachDevice(describe, 'cat, stack, pad, flip, indexSelect', (device) => {
  it('produce the expected values, without leaks', () => {
    tidy(() => {
      const a = tensor([[1, 2]], { device });
      const b = tensor([[3, 4], [5, 6]], { device });
      expectNoLeaks(() => cat([a, b], 0).dispose());
      expect(cat([a, b], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
      expect(cat([b, b], 1).toArray()).toEqual([[3, 4, 3, 4], [5, 6, 5, 6]]);
      expect(stack([a, a], 0).shape).toEqual([2, 1, 2]);
      expect(stack([tensor([1, 2], { device }), tensor([3, 4], { device })], 1).toArray()).toEqual([[1, 3], [2, 4]]);
      expect(pad(tensor([[1]], { device }), [1, 2, 0, 1], 9).toArray()).toEqual([[9, 1, 9, 9], [9, 9, 9, 9]]);
      expect(flip(b, [0, 1]).toArray()).toEqual([[6, 5], [4, 3]]);
      expect(flip(b.transpose(0, 1), 1).toArray()).toEqual([[5, 3], [6, 4]]);
      const idx = tensor([2, 0, 2], { device, dtype: 'int32' });
      expect(indexSelect(arange(0, 6, 1, { device }).reshape([2, 3]), 1, idx).toArray()).toEqual([[2, 0, 2], [5, 3, 5]]);
    });
  });

  it('gradients match finite differences', () => {
    const x = leaf64([2, 3], false, device);
    const y = leaf64([4, 3], false, device);
    gradCheck((s, t) => cat([s, t, s], 0), [x, y]);
    gradCheck((s) => stack([s, s.mul(2)], 2), [x]);
    gradCheck((s) => pad(s, [1, 2, 3, 0]), [x]);
    gradCheck((s) => flip(s, [1]), [x]);
    const idx = tensor([1, 1, 0, 2], { device, dtype: 'int32' });
    gradCheck((s) => indexSelect(s, 1, idx), [x]);
    [x, y, idx].forEach((t) => t.dispose());
  });

  it('report bad input: mismatched cat shapes, odd pads, out-of-range indices', () => {
    tidy(() => {
      expect(() => cat([randn([2, 3], { device }), randn([2, 4], { device })], 0)).toThrow(/tensors\[1\] has shape \[2, 4\]/);
      expect(() => pad(randn([2], { device }), [1])).toThrow(/pads must be an even-length array/);
      expect(() => indexSelect(randn([3], { device }), 0, tensor([3], { device, dtype: 'int32' }))).toThrow(/index 3 at position 0 is out of range/);
      expect(() => indexSelect(randn([3], { device }), 0, tensor([1], { device }))).toThrow(/index.dtype must be 'int32'/);
    });
  });
});

describeEachDevice(describe, 'softmax and logSoftmax', (device) => {
  it('match a float64 reference (including large logits) and sum to one', () => {
    tidy(() => {
      const x = randn([4, 7], { device }).mul(30);
      const rows = x.toArray() as number[][];
      const expected = rows.flatMap((r) => {
        const m = Math.max(...r);
        const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
        return r.map((v) => v - lse);
      });
      expectClose(logSoftmax(x, 1), expected, { rtol: 1e-5, atol: 2e-5 });
      expectClose(softmax(x, 1).sum(1), [1, 1, 1, 1], { rtol: 1e-6 });
      expectNoLeaks(() => softmax(x, 0).dispose());
    });
  });

  it('gradients match finite differences', () => {
    const x = leaf64([3, 5], false, device);
    gradCheck((t) => logSoftmax(t, 1), [x]);
    gradCheck((t) => softmax(t, 0), [x]);
    x.dispose();
  });
});
