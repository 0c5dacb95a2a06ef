import { afterAll, describe, expect, it } from 'vitest';

import { DTypeCode, DeviceCode, getNumThreads, native, setNumThreads, type BufferHandle } from '../src/index';

// The addon's matmul (lb::sgemm for float32, lb::dgemm for float64) against a float64
// reference in JS: random shapes that are no multiple of any micro-kernel tile, every trans
// combination, batches with strides, offsets and padded leading dimensions, and big enough
// cases to cross the cache blocks and split over threads.

/** Seeded uniform [-1, 1) (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  broadcastB: boolean;
}

type Float = Float32Array | Float64Array;

function upload(data: Float): BufferHandle {
  const buf = native.alloc(DeviceCode.cpu, data.byteLength);
  native.write(buf, 0, data);
  return buf;
}

/** Runs one case; returns the worst error in units of the error allowed (sum |a||b| based). */
function runCase(c: Case, dtype: 'float32' | 'float64', rand: () => number): number {
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  const eps = dtype === 'float32' ? 2 ** -23 : 2 ** -52;
  const pad = 3;
  const [aRows, aCols] = c.transA ? [c.k, c.m] : [c.m, c.k];
  const [bRows, bCols] = c.transB ? [c.n, c.k] : [c.k, c.n];
  const lda = aCols + pad, ldb = bCols + pad, ldc = c.n + pad;
  const aStride = aRows * lda + 1, bStride = c.broadcastB ? 0 : bRows * ldb + 2, cStride = c.m * ldc + 1;
  const aOffset = 5, bOffset = 7, cOffset = 3;
  const a = new Arr(aOffset + c.batch * aStride).map(() => rand());
  const b = new Arr(bOffset + (c.broadcastB ? 1 : c.batch) * (bRows * ldb + 2)).map(() => rand());
  const sentinel = 1234.5;
  const out = new Arr(cOffset + c.batch * cStride).fill(sentinel);
  const [ha, hb, hc] = [upload(a), upload(b), upload(out)];
  const params = [c.batch, c.m, c.n, c.k, +c.transA, +c.transB, lda, ldb, ldc, aStride, bStride, cStride, aOffset, bOffset, cOffset];
  native.matmul(DTypeCode[dtype], params, ha, hb, hc);
  native.read(hc, 0, out);
  [ha, hb, hc].forEach((h) => native.free(h));

  const inC = new Set<number>();
  let worst = 0;
  for (let t = 0; t < c.batch; t++) {
    const a0 = aOffset + t * aStride, b0 = bOffset + t * bStride, c0 = cOffset + t * cStride;
    for (let i = 0; i < c.m; i++) {
      for (let j = 0; j < c.n; j++) {
        let sum = 0, mag = 0;
        for (let p = 0; p < c.k; p++) {
          const x = a[a0 + (c.transA ? p * lda + i : i * lda + p)]! * b[b0 + (c.transB ? j * ldb + p : p * ldb + j)]!;
          sum += x;
          mag += Math.abs(x);
        }
        const at = c0 + i * ldc + j;
        inC.add(at);
        // Rounding errors add up like a random walk: ~7 standard deviations of it.
        const allowed = 2 * Math.sqrt(c.k + 1) * eps * mag + 1e-300;
        worst = Math.max(worst, Math.abs(out[at]! - sum) / allowed);
      }
    }
  }
  // Everything outside the m x n matrices (offset, padding, gaps) is untouched.
  out.forEach((v, at) => {
    if (!inC.has(at) && v !== sentinel) worst = Infinity;
  });
  return worst;
}

const threadsBefore = getNumThreads();
afterAll(() => setNumThreads(threadsBefore));

describe('matmul (CPU sgemm / dgemm)', () => {
  const rand = random(20261125);
  const dims = [1, 2, 3, 5, 7, 13, 15, 17, 29, 33, 47, 65];
  const pick = () => dims[Math.floor(((rand() + 1) / 2) * dims.length)]!;

  for (const dtype of ['float32', 'float64'] as const) {
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      it(`${dtype}, transA=${transA}, transB=${transB}: random small shapes, batched`, () => {
        for (let r = 0; r < 12; r++) {
          const c: Case = { batch: 1 + (r % 3), m: pick(), n: pick(), k: pick(), transA, transB, broadcastB: r % 4 === 1 };
          expect(runCase(c, dtype, rand), JSON.stringify(c)).toBeLessThanOrEqual(1);
        }
      });
    }
  }

  for (const threads of [1, 2]) {
    it(`float32 across cache blocks and thread splits, ${threads} thread(s)`, () => {
      setNumThreads(threads);
      const shapes: Array<[number, number, number]> = [[301, 531, 263], [37, 1100, 300], [700, 45, 290]];
      shapes.forEach(([m, n, k], s) => {
        const c: Case = { batch: s === 0 ? 1 : 2, m, n, k, transA: s === 1, transB: s !== 0, broadcastB: s === 2 };
        expect(runCase(c, 'float32', rand), JSON.stringify(c)).toBeLessThanOrEqual(1);
      });
    });
  }

  it('float32 with k = 0 writes zeros', () => {
    const out = new Float32Array(6).fill(Number.NaN);
    const [ha, hb, hc] = [upload(new Float32Array(1)), upload(new Float32Array(1)), upload(out)];
    native.matmul(DTypeCode.float32, [1, 2, 3, 0, 0, 0, 1, 3, 3, 0, 0, 0, 0, 0, 0], ha, hb, hc);
    native.read(hc, 0, out);
    [ha, hb, hc].forEach((h) => native.free(h));
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('reports which sgemm micro-kernel runs', () => {
    expect(['avx512', 'avx2', 'portable']).toContain(native.cpuInfo().sgemmKernel);
  });
});
