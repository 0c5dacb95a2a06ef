/**
 * torch.matmul: dot, matrix-vector, matrix-matrix and batched products with broadcast
 * batch dims. Each operand reaches the GEMM as row-major or transposed without a copy
 * when its strides allow (so x.transpose(-1, -2) costs nothing); otherwise it is copied.
 */
import { record } from '../../autograd/record';
import { type DType, isFloating, promote } from '../../dtype';
import { DTypeError, ShapeError, expected } from '../../errors';
import { type MatrixOperand, runFill, runMatmul } from '../../kernels';
import { tidy } from '../../memory';
import { broadcastShapes, coalesce, numel } from '../../shape';
import { Tensor } from '../../tensor';
import { castTo, contiguous } from '../cast';
import { checkSameDevice, checkTensor } from '../operands';
import { sumToShape } from '../reduce/sum-to-shape';

/** How the GEMM reads `t` ([...batch, rows, cols], batch dims already broadcast). */
function asMatrixOperand(t: Tensor, batchShape: readonly number[]): MatrixOperand {
  const r = t.ndim;
  const rows = t.shape[r - 2]!;
  const cols = t.shape[r - 1]!;
  const rs = t.strides[r - 2]!;
  const cs = t.strides[r - 1]!;
  const batch = coalesce(batchShape, [t.strides.slice(0, r - 2)]);
  if (batch.shape.length <= 1) {
    const batchStride = batch.strides[0]![0] ?? 0;
    if (cs === 1 || cols === 1) return { tensor: t, trans: false, ld: Math.max(rs, cols, 1), batchStride };
    if (rs === 1 || rows === 1) return { tensor: t, trans: true, ld: Math.max(cs, rows, 1), batchStride };
  }
  const c = contiguous(t); // a copy here: a contiguous t was handled above
  return { tensor: c, trans: false, ld: Math.max(cols, 1), batchStride: numel(batchShape) > 1 ? rows * cols : 0 };
}

function matmulBatched(a: Tensor, b: Tensor, dtype: DType): Tensor {
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  if (b.shape[b.ndim - 2] !== k) {
    throw new ShapeError(`matmul: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] cannot be multiplied (${k} vs ${b.shape[b.ndim - 2]})`);
  }
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = Tensor.empty([...batchShape, m, n], dtype, a.device);
  if (out.numel === 0) return out;
  tidy(() => {
    const ea = a.expand([...batchShape, m, k]);
    const eb = b.expand([...batchShape, k, n]);
    if (k === 0) {
      runFill(out, 0); // a product over an empty k is all zeros
      return;
    }
    runMatmul(dtype, numel(batchShape), m, n, k, asMatrixOperand(ea, batchShape), asMatrixOperand(eb, batchShape), out);
  });
  const [shapeA, shapeB] = [a.shape.slice(), b.shape.slice()];
  // d(AB)/dA = G B^T, d(AB)/dB = A^T G, summed over broadcast batch dims.
  return record('matmul', out, [a, b], [a, b], (g, [sa, sb]) => [
    sumToShape(matmul(g, sb!.transpose(-1, -2)), shapeA),
    sumToShape(matmul(sa!.transpose(-1, -2), g), shapeB),
  ]);
}

/**
 * Matrix product with torch.matmul's rules for 1-d operands and batch broadcasting.
 *
 * @example
 * ```ts
 * import { matmul, randn } from '@largebatch/tensor';
 * const y = matmul(randn([8, 3, 4]), randn([4, 5])); // [8, 3, 5]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', 'a', a);
  checkTensor('matmul', 'b', b);
  checkSameDevice('matmul', [['a', a], ['b', b]]);
  if (a.ndim === 0 || b.ndim === 0) throw new ShapeError(expected('matmul', 'a and b', 'at least 1-d', `${a.ndim}-d and ${b.ndim}-d`));
  const dtype = promote(a.dtype, b.dtype);
  if (!isFloating(dtype)) throw new DTypeError(expected('matmul', 'dtype', "'float32' or 'float64'", dtype));
  return tidy(() => {
    const a2 = a.ndim === 1 ? castTo(a, dtype).unsqueeze(0) : castTo(a, dtype);
    const b2 = b.ndim === 1 ? castTo(b, dtype).unsqueeze(1) : castTo(b, dtype);
    let out = matmulBatched(a2, b2, dtype);
    if (b.ndim === 1) out = out.squeeze(-1);
    if (a.ndim === 1) out = out.squeeze(a.ndim === 1 && b.ndim === 1 ? 0 : -2);
    return out;
  });
}
