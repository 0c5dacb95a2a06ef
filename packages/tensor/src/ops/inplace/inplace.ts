/**
 * In-place updates (trailing underscore, as PyTorch): for optimizers, running statistics
 * and initialisation. They are not recorded by autograd, so they refuse a tensor that
 * requires grad while gradients are being recorded; run them inside noGrad.
 */
import { isGradEnabled } from '../../autograd/grad-mode';
import { isFloating } from '../../dtype';
import { AutogradError, DTypeError, ShapeError, expected } from '../../errors';
import { copyStrided, runBinary, runFill } from '../../kernels';
import { tidy } from '../../memory';
import { broadcastShapes, shapesEqual } from '../../shape';
import type { Tensor } from '../../tensor';
import { type TensorLike, binaryOperands, checkSameDevice, checkTensor } from '../operands';

function checkWritable(op: string, t: Tensor): void {
  checkTensor(op, 'this', t);
  if (isGradEnabled() && t.requiresGrad) {
    throw new AutogradError(`${op}: in-place update of a tensor that requires grad; wrap it in noGrad(() => ...)`);
  }
}

/** Copies `src` (broadcast, cast) into `t`. @example `noGrad(() => w.copy_(pretrained))` */
export function copy_(t: Tensor, src: Tensor): Tensor {
  checkWritable('copy_', t);
  checkTensor('copy_', 'src', src);
  checkSameDevice('copy_', [['this', t], ['src', src]]);
  if (!shapesEqual(broadcastShapes('copy_', src.shape, t.shape), t.shape)) {
    throw new ShapeError(`copy_: src of shape [${src.shape.join(', ')}] cannot be broadcast to [${t.shape.join(', ')}]`);
  }
  copyStrided(t, src);
  return t;
}

/** Sets every element to `value`. @example `noGrad(() => bias.fill_(0))` */
export function fill_(t: Tensor, value: number): Tensor {
  checkWritable('fill_', t);
  runFill(t, value);
  return t;
}

/** Sets every element to 0. */
export function zero_(t: Tensor): Tensor {
  return fill_(t, 0);
}

function binaryInPlace(op: 'add' | 'sub' | 'mul' | 'div', t: Tensor, other: TensorLike): Tensor {
  checkWritable(`${op}_`, t);
  if (op === 'div' && !isFloating(t.dtype)) throw new DTypeError(expected('div_', 'this.dtype', "'float32' or 'float64'", t.dtype));
  tidy(() => {
    const [, b] = binaryOperands(`${op}_`, t, other);
    if (!shapesEqual(broadcastShapes(`${op}_`, t.shape, b.shape), t.shape)) {
      throw new ShapeError(`${op}_: other of shape [${b.shape.join(', ')}] cannot be broadcast to [${t.shape.join(', ')}]`);
    }
    runBinary(op, t, t, b.dtype === t.dtype ? b : b.toDType(t.dtype));
  });
  return t;
}

/** t += other. @example `noGrad(() => runningMean.mul_(0.9).add_(batchMean.mul(0.1)))` */
export const add_ = (t: Tensor, other: TensorLike): Tensor => binaryInPlace('add', t, other);
/** t -= other. */
export const sub_ = (t: Tensor, other: TensorLike): Tensor => binaryInPlace('sub', t, other);
/** t *= other. */
export const mul_ = (t: Tensor, other: TensorLike): Tensor => binaryInPlace('mul', t, other);
/** t /= other. */
export const div_ = (t: Tensor, other: TensorLike): Tensor => binaryInPlace('div', t, other);
