/**
 * Output and gradient parity of the ResNets with PyTorch (fixtures/resnet/, written by
 * make_fixtures.py: resnet_parity and resnet_roundtrip). Parameters come from the hash
 * formula both sides compute (hash-fill.ts); BN running statistics, the input and the kept
 * gradient elements come from files PyTorch wrote.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Tensor, memory, noGrad, setNumThreads, tidy } from '@largebatch/tensor';
import { type ResNet, cifarResNet18, crossEntropy, loadSafetensors, readSafetensorsMetadata, resnet18, resnet20, resnet50 } from '../src/index';
import { type Entry, readFixture } from './fixtures';
import { hashParameters, hashUniform } from './hash-fill';
import { ROUNDTRIP_METADATA, oursResNet20 } from './fixtures/resnet/ours';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'resnet');

interface GradSummary { numel: number; norm: number; dot: number; indices: number[] | null }
interface TorchError { trainLogits: number; loss: number; gradNorm: number; gradDot: number; buffers: number }
interface ModelFixture {
  evalLogits32: Entry; evalLogits: Entry; trainLogits: Entry; loss: number;
  grads: Record<string, GradSummary>; torch32Error: TorchError;
}
const parity = readFixture<{ batch: number; models: Record<string, ModelFixture> }>('resnet/parity.json');

/**
 * Tolerances. Errors are scaled: |ours - torch| over the largest |torch| of the tensor (a
 * logit or gradient element near 0 has no meaningful relative error of its own).
 * - float32 eval logits against torchvision's float32: 1e-4.
 * - float64 (resnet18, resnet50, resnet20; cifarResNet18's float64 run takes ~10 s here and
 *   adds no code path): everything against PyTorch float64 within 1e-9, every kept gradient
 *   element included (whole tensors up to 512 elements, 16 samples of larger ones), their
 *   norms and their projection onto a direction covering every element.
 * - float32 training step against PyTorch's float64: as accurate as PyTorch's own float32,
 *   within 4x its error (with floors). At a random point a float32 gradient is sensitive to
 *   ReLU kinks and to BN over few values (resnet50's last stage normalises 4 values per
 *   channel at 32x32, batch 4): PyTorch float32's gradient norms differ from float64 by up to
 *   5.5e-3 there and single elements by more than the tensor's rms, so float32 elements are
 *   not compared; norms and projections are.
 */
const EVAL32_TOL = 1e-4;
const FLOAT64_TOL = 1e-9;
const FLOAT64_MODELS = new Set(['resnet18', 'resnet50', 'resnet20']);
const torch32Tolerance = (e: TorchError): TorchError => ({
  trainLogits: Math.max(1e-4, 4 * e.trainLogits),
  loss: Math.max(1e-5, 4 * e.loss),
  gradNorm: Math.max(1e-4, 4 * e.gradNorm),
  gradDot: Math.max(1e-4, 4 * e.gradDot),
  buffers: Math.max(1e-4, 4 * e.buffers),
});

/** The worst |a - e| over `scale` (default max |e|). */
function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>, scale?: number): number {
  expect(actual.length).toBe(expected.length);
  let s = scale ?? 0;
  if (scale === undefined) for (let i = 0; i < expected.length; i++) s = Math.max(s, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / s);
  return worst;
}

function dotAndNorm(a: ArrayLike<number>, b: ArrayLike<number>): { dot: number; aNorm: number; bNorm: number } {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return { dot, aNorm: Math.sqrt(aa), bNorm: Math.sqrt(bb) };
}

const makers: Record<string, (dtype: 'float32' | 'float64') => ResNet> = {
  resnet18: (dtype) => resnet18({ numClasses: 10, dtype }),
  resnet50: (dtype) => resnet50({ numClasses: 10, dtype }),
  resnet20: (dtype) => resnet20({ numClasses: 10, dtype }),
  cifarResNet18: (dtype) => cifarResNet18({ numClasses: 10, dtype }),
};

/** A net of `dtype` with the formula's parameters and PyTorch's buffers (int64 num_batches_tracked included). */
function parityNet(name: string, dtype: 'float32' | 'float64', file: Record<string, Tensor>): ResNet {
  const net = makers[name]!(dtype);
  const params = hashParameters(net);
  const buffers = Object.fromEntries(net.namedBuffers().map(([n]) => [n, file[n]!]));
  net.loadStateDict({ ...params, ...buffers }, { strict: true });
  for (const t of Object.values(params)) t.dispose();
  return net;
}

/**
 * One training-mode forward on the fixture's input, cross-entropy, backward; checks logits,
 * loss, gradients (norms, projections and, when `elementTol` is given, the kept elements)
 * and the running statistics after it against PyTorch's float64 reference.
 */
function checkTrainingStep(net: ResNet, fixture: ModelFixture, file: Record<string, Tensor>, tol: TorchError, elementTol?: number): void {
  const dtype = net.fc.weight.dtype;
  const loss = tidy(() => {
    const logits = net.train().forward(file.input!.toDType(dtype));
    expect(scaledError(logits.data(), fixture.trainLogits.values), 'training logits').toBeLessThan(tol.trainLogits);
    return crossEntropy(logits, file.labels!);
  });
  expect(Math.abs(loss.item() - fixture.loss) / fixture.loss, 'loss').toBeLessThan(tol.loss);
  loss.backward();
  loss.dispose();

  const params = net.namedParameters();
  expect(params.map(([n]) => n)).toEqual(Object.keys(fixture.grads));
  params.forEach(([pname, p], k) => {
    const expected = fixture.grads[pname]!;
    const g = p.grad!.data();
    expect(g.length).toBe(expected.numel);
    const { dot, aNorm: norm, bNorm: dNorm } = dotAndNorm(g, hashUniform(1000 + k, g.length));
    expect(Math.abs(norm - expected.norm) / expected.norm, `${pname} gradient norm`).toBeLessThan(tol.gradNorm);
    expect(Math.abs(dot - expected.dot) / (expected.norm * dNorm), `${pname} gradient projection`).toBeLessThan(tol.gradDot);
    if (elementTol !== undefined) {
      const kept = expected.indices ? expected.indices.map((i) => g[i]!) : g;
      const reference = file[`grad.${pname}`]!.data();
      expect(scaledError(kept, reference, expected.norm / Math.sqrt(expected.numel)), `${pname} gradient elements`).toBeLessThan(elementTol);
    }
  });
  for (const p of net.parameters()) p.grad = null;

  for (const [bname, b] of net.namedBuffers()) {
    const after = file[`after.${bname}`]!;
    if (b.dtype === 'int32') expect(Array.from(b.data()), bname).toEqual(Array.from(after.data()));
    else expect(scaledError(b.data(), after.data()), bname).toBeLessThan(tol.buffers);
  }
}

beforeAll(() => setNumThreads(2));

describe('ResNet parity with PyTorch (fixtures/resnet/parity.json)', () => {
  for (const [name, fixture] of Object.entries(parity.models)) {
    describe(name, () => {
      let file: Record<string, Tensor>;
      beforeAll(() => {
        file = loadSafetensors(join(DIR, `parity_${name}.safetensors`));
      });
      afterAll(() => {
        for (const t of Object.values(file)) t.dispose();
      });

      it(`float32: eval logits equal torchvision's within ${EVAL32_TOL}; a training step is as accurate as PyTorch float32's`, () => {
        const before = memory().numTensors;
        const net = parityNet(name, 'float32', file);
        const logits = tidy(() => net.eval().forward(file.input!));
        expect(scaledError(logits.data(), fixture.evalLogits32.values)).toBeLessThan(EVAL32_TOL);
        logits.dispose();
        checkTrainingStep(net, fixture, file, torch32Tolerance(fixture.torch32Error));
        net.dispose();
        expect(memory().numTensors).toBe(before);
      });

      if (FLOAT64_MODELS.has(name)) {
        it(`float64: eval and training logits, loss, every gradient and the running statistics equal PyTorch's within ${FLOAT64_TOL}`, () => {
          const before = memory().numTensors;
          const net = parityNet(name, 'float64', file);
          const logits = tidy(() => net.eval().forward(file.input!.toDType('float64')));
          expect(scaledError(logits.data(), fixture.evalLogits.values)).toBeLessThan(FLOAT64_TOL);
          logits.dispose();
          const tol = { trainLogits: FLOAT64_TOL, loss: FLOAT64_TOL, gradNorm: FLOAT64_TOL, gradDot: FLOAT64_TOL, buffers: FLOAT64_TOL };
          checkTrainingStep(net, fixture, file, tol, FLOAT64_TOL);
          net.dispose();
          expect(memory().numTensors).toBe(before);
        });
      }
    });
  }
});

describe('round trip ours -> PyTorch -> ours (resnet20, fixtures/resnet/roundtrip_resnet20*)', () => {
  it('PyTorch loaded our file strictly and computed our logits; its re-saved state dict is ours bit for bit and loads back', () => {
    const roundtrip = readFixture<{ metadata: Record<string, string>; evalLogits: Entry; dtypes: Record<string, string> }>('resnet/roundtrip_resnet20.json');
    const path = join(DIR, 'roundtrip_resnet20_torch.safetensors');
    expect(roundtrip.metadata).toEqual(ROUNDTRIP_METADATA);
    expect(JSON.parse(readSafetensorsMetadata(path).read!)).toEqual(ROUNDTRIP_METADATA);

    const before = memory().numTensors;
    const ours = oursResNet20();
    const parityFile = loadSafetensors(join(DIR, 'parity_resnet20.safetensors'));
    const input = parityFile.input!;
    const fromTorch = loadSafetensors(path);
    const state = ours.stateDict();
    expect(Object.keys(fromTorch).sort()).toEqual(Object.keys(state).sort());
    expect(roundtrip.dtypes['bn1.num_batches_tracked']).toBe('torch.int64');
    for (const [n, t] of Object.entries(state)) {
      expect(fromTorch[n]!.dtype, n).toBe(t.dtype);
      expect(Array.from(fromTorch[n]!.data()), n).toEqual(Array.from(t.data()));
    }

    // A differently seeded net takes PyTorch's state dict and then computes what PyTorch did.
    const other = resnet20({ numClasses: 10 });
    noGrad(() => other.loadStateDict(fromTorch, { strict: true }));
    const [mine, back] = tidy(() => [ours.eval().forward(input), other.eval().forward(input)]);
    expect(Array.from(back!.data())).toEqual(Array.from(mine!.data()));
    expect(scaledError(back!.data(), roundtrip.evalLogits.values)).toBeLessThan(EVAL32_TOL);

    for (const t of [mine!, back!, ...Object.values(parityFile), ...Object.values(fromTorch)]) t.dispose();
    ours.dispose();
    other.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
