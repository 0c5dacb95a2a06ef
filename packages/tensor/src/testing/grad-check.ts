import { noGrad } from '../autograd/grad-mode';
import { randn } from '../creation';
import { readContiguous, writeContiguous } from '../kernels';
import { tidy } from '../memory';
import type { Tensor } from '../tensor';
import { expectClose } from './expect-close';

/**
 * Checks the gradients of `fn` at `inputs` (float64, contiguous, requiresGrad) against
 * central finite differences of a random projection of fn's output.
 */
export function gradCheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: { eps?: number; rtol?: number; atol?: number } = {},
): void {
  const eps = opts.eps ?? 1e-6;
  for (const x of inputs) {
    if (x.dtype !== 'float64' || !x.isContiguous() || !x.requiresGrad) {
      throw new Error('gradCheck: inputs must be contiguous float64 tensors with requiresGrad');
    }
    x.grad = null;
  }
  tidy(() => {
    const out0 = fn(...inputs);
    const weights = noGrad(() => randn(out0.shape, { dtype: 'float64', device: out0.device }));
    const objective = (): number => noGrad(() => tidy(() => fn(...inputs).mul(weights).sum().item()));
    out0.mul(weights).sum().backward();
    inputs.forEach((x, k) => {
      const analytic = x.grad ? x.grad.data() : new Float64Array(x.numel);
      const values = new Float64Array(x.numel);
      readContiguous(x, values);
      const numeric = new Float64Array(x.numel);
      for (let i = 0; i < x.numel; i++) {
        const orig = values[i]!;
        values[i] = orig + eps;
        writeContiguous(x, values);
        const up = objective();
        values[i] = orig - eps;
        writeContiguous(x, values);
        const down = objective();
        values[i] = orig;
        writeContiguous(x, values);
        numeric[i] = (up - down) / (2 * eps);
      }
      expectClose(analytic, numeric, { rtol: opts.rtol ?? 1e-5, atol: opts.atol ?? 1e-7, what: `gradient of input ${k}` });
    });
  });
  for (const x of inputs) x.grad = null;
}
