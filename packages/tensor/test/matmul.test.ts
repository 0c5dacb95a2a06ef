import { describe, expect, it } from 'vitest';

import { DTypeError, ShapeError, manualSeed, matmul, randn, tensor, testing, tidy, type Tensor } from '../src/index';
import { leaf64, matmulRef, ref } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

/** Reference for batched operands: loops over the broadcast batch. */
function batchedRef(a: Tensor, b: Tensor): number[] {
  const out: number[] = [];
  const ab = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const batch = Math.max(ab.reduce((p, s) => p * s, 1), bb.reduce((p, s) => p * s, 1));
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.ndim - 1]!;
  const ad = ref(a).data;
  const bd = ref(b).data;
  for (let i = 0; i < batch; i++) {
    const ai = ab.length && ab[0]! > 1 ? i : 0;
    const bi = bb.length && bb[0]! > 1 ? i : 0;
    const r = matmulRef({ data: ad.slice(ai * m * k, (ai + 1) * m * k), shape: [m, k] }, { data: bd.slice(bi * k * n, (bi + 1) * k * n), shape: [k, n] });
    out.push(...r.data);
  }
  return out;
}

describeEachDevice(describe, 'matmul', (device) => {
  const cases: [number[], number[]][] = [
    [[1, 1], [1, 1]],
    [[5, 7], [7, 3]],
    [[17, 33], [33, 9]],
    [[4, 3, 5], [4, 5, 2]],
    [[4, 3, 5], [5, 6]],
    [[1, 3, 5], [6, 5, 2]],
    [[64, 65], [65, 63]],
  ];
  for (const [sa, sb] of cases) {
    it(`[${sa}] @ [${sb}] matches a float64 reference, without leaks`, () => {
      manualSeed(sa[0]!);
      tidy(() => {
        const a = randn(sa, { device });
        const b = randn(sb, { device });
        expectNoLeaks(() => matmul(a, b).dispose());
        expectClose(matmul(a, b), batchedRef(a, b), { rtol: 1e-4, atol: 1e-5 });
      });
    });
  }

  it('reads transposed views without copies and gets the same result', () => {
    tidy(() => {
      const a = randn([6, 4], { device });
      const b = randn([5, 6], { device });
      const viaViews = matmul(a.transpose(0, 1), b.transpose(0, 1));
      const viaCopies = matmul(a.transpose(0, 1).contiguous(), b.transpose(0, 1).contiguous());
      expectClose(viaViews, viaCopies);
    });
  });

  it('handles 1-d operands as torch.matmul', () => {
    tidy(() => {
      const v = tensor([1, 2, 3], { device });
      const m = tensor([[1, 0], [0, 1], [1, 1]], { device });
      expect(matmul(v, v).shape).toEqual([]);
      expect(matmul(v, v).item()).toBe(14);
      expect(matmul(v, m).toArray()).toEqual([4, 5]);
      expect(matmul(m.transpose(0, 1), v).toArray()).toEqual([4, 5]);
      expect(matmul(randn([2, 4, 3], { device }), v).shape).toEqual([2, 4]);
    });
  });

  it('gradients match finite differences, with batch broadcasting', () => {
    const a = leaf64([2, 3, 4], false, device);
    const b = leaf64([4, 5], false, device);
    gradCheck(matmul, [a, b]);
    const v = leaf64([4], false, device);
    gradCheck(matmul, [a, v]);
    [a, b, v].forEach((t) => t.dispose());
  });

  it('rejects mismatched inner dims and integer operands', () => {
    tidy(() => {
      expect(() => matmul(randn([2, 3], { device }), randn([4, 2], { device }))).toThrow(ShapeError);
      expect(() => matmul(randn([2, 3], { device }), randn([4, 2], { device }))).toThrow(/\[2, 3\] and \[4, 2\]/);
      expect(() => matmul(tensor([1], { device, dtype: 'int32' }), tensor([1], { device, dtype: 'int32' }))).toThrow(DTypeError);
    });
  });
});
