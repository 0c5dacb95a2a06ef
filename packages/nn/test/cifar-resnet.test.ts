import { describe, expect, it } from 'vitest';

import { ArgumentError, type Tensor, manualSeed, memory, randn, testing, tidy } from '@largebatch/tensor';
import { BasicBlock, type Conv2d, ResNet, cifarResNet18, resnet18, resnet20, resnet56 } from '../src/index';
import { readFixture } from './fixtures';
import { stats } from './stats';

const { expectNoLeaks } = testing;

type Names = [string, number[]][];
const reference = readFixture<Record<string, { parameters: Names; stateDict: Names; numParameters: number }>>('resnet_names.json');

const numel = (net: ResNet): number => net.parameters().reduce((s, p) => s + p.numel, 0);

describe('CIFAR ResNets: structure against PyTorch definitions (resnet_names.json)', () => {
  // The references are torchvision resnet18 with conv1 = Conv2d(3, 64, 3, 1, 1) and
  // maxpool = Identity, and He et al.'s CIFAR nets built from torchvision's BasicBlock with
  // 1x1 projection shortcuts (make_fixtures.py: cifar_resnet).
  for (const [name, make, count, tensors] of [
    ['cifarResNet18', cifarResNet18, 11_173_962, 62],
    ['resnet20', resnet20, 272_474, 65],
    ['resnet56', resnet56, 855_770, 173],
  ] as const) {
    it(`${name}: ${count.toLocaleString('en')} parameters in ${tensors} tensors; names and shapes equal the PyTorch model's`, () => {
      const net = make({ numClasses: 10 });
      const expected = reference[name]!;
      expect(net.namedParameters().map(([n, t]) => [n, t.shape])).toEqual(expected.parameters);
      expect(Object.entries(net.stateDict()).map(([n, t]) => [n, t.shape])).toEqual(expected.stateDict);
      expect(expected.numParameters).toBe(count);
      expect(numel(net)).toBe(count);
      expect(net.parameters().length).toBe(tensors);
      net.dispose();
    });
  }

  it('cifarResNet18 has resnet18\'s names and shapes except the 3x3 stem conv', () => {
    const cifar = cifarResNet18();
    const imagenet = resnet18({ numClasses: 10 });
    const shapes = (net: ResNet): Names => Object.entries(net.stateDict()).map(([n, t]) => [n, t.shape.slice()]);
    expect(shapes(cifar)).toEqual(shapes(imagenet).map(([n, s]) => [n, n === 'conv1.weight' ? [64, 3, 3, 3] : s]));
    expect(cifar.maxpool).toBeNull();
    cifar.dispose();
    imagenet.dispose();
  });

  it('resnet20 shortcuts: 1x1 stride-2 projections at stages 2 and 3 only (option B)', () => {
    const net = resnet20();
    const projections = net.namedModules().filter(([n]) => n.endsWith('downsample.0')).map(([n, m]) => {
      const conv = m as Conv2d;
      return [n, conv.weight.shape, conv.stride];
    });
    expect(projections).toEqual([['layer2.0.downsample.0', [32, 16, 1, 1], 2], ['layer3.0.downsample.0', [64, 32, 1, 1], 2]]);
    net.dispose();
  });

  it('defaults to 10 classes; numClasses sets the fc', () => {
    for (const make of [cifarResNet18, resnet20, resnet56]) {
      const net = make();
      expect(net.fc.weight.shape[0]).toBe(10);
      net.dispose();
      const hundred = make({ numClasses: 100 });
      expect(hundred.fc.weight.shape[0]).toBe(100);
      hundred.dispose();
    }
  });
});

describe('CIFAR ResNets: forward, backward and init', () => {
  it('resnet20 keeps 32x32 into stage 1, then 16x16 and 8x8; logits [N, classes]', () => {
    manualSeed(7);
    const net = resnet20({ numClasses: 7 }).eval();
    const x = randn([3, 3, 32, 32]);
    expectNoLeaks(() => tidy(() => {
      let h = net.relu.forward(net.bn1.forward(net.conv1.forward(x)));
      const shapes: number[][] = [];
      for (const layer of net.layers) {
        h = layer.forward(h);
        shapes.push(h.shape.slice());
      }
      expect(shapes).toEqual([[3, 16, 32, 32], [3, 32, 16, 16], [3, 64, 8, 8]]);
      // The whole forward equals the stages composed by hand, then pool and fc.
      const composed = net.fc.forward(h.mean([2, 3]));
      testing.expectClose(net.forward(x), composed, { rtol: 1e-6, atol: 1e-6 });
      expect(net.forward(x).shape).toEqual([3, 7]);
    }));
    x.dispose();
    net.dispose();
  });

  for (const [name, make] of [['resnet20', resnet20], ['cifarResNet18', cifarResNet18]] as const) {
    it(`${name}: training forward and backward give every parameter a gradient and leak nothing`, () => {
      manualSeed(8);
      const net = make();
      const x = randn([2, 3, 32, 32]);
      const projection = randn([2, 10]);
      expectNoLeaks(() => {
        tidy(() => net.train().forward(x).mul(projection).sum().backward());
        const grads = net.parameters().map((p) => p.grad);
        expect(grads.every((g, i) => g !== null && g.shape.join() === net.parameters()[i]!.shape.join())).toBe(true);
        // A non-zero input gives non-zero gradients everywhere (a dead branch would not).
        expect(tidy(() => grads.every((g) => (g as Tensor).abs().max().item() > 0))).toBe(true);
        for (const p of net.parameters()) p.grad = null;
      });
      x.dispose();
      projection.dispose();
      net.dispose();
    });
  }

  it("initialises as torchvision (kaiming_normal_ fan_out), or kaiming_uniform_ fan_in with init 'he'", () => {
    manualSeed(9);
    const net = resnet56();
    // All 3x3 64-channel convs of stage 3 together: fan_out = 64 * 9.
    const w = net.namedParameters().filter(([n, t]) => n.startsWith('layer3.') && n.includes('conv') && t.shape[1] === 64)
      .flatMap(([, t]) => Array.from(t.data()));
    expect(Math.abs(stats(w).variance / (2 / (64 * 9)) - 1)).toBeLessThan(0.03);
    net.dispose();
    const he = resnet20({ init: 'he' });
    const stem = stats(he.conv1.weight.data());
    expect(stem.max).toBeLessThanOrEqual(Math.sqrt(6 / 27));
    expect(stats(he.fc.weight.data()).max).toBeLessThanOrEqual(Math.sqrt(6 / 64));
    he.dispose();
  });

  it('rejects bad options with an ArgumentError naming the function, before allocating', () => {
    const before = memory().numTensors;
    for (const make of [cifarResNet18, resnet20, resnet56]) {
      expect(() => make({ numClasses: 0 })).toThrow(ArgumentError);
      expect(() => make({ numClasses: 2.5 })).toThrow(/numClasses must be a positive integer, got 2.5/);
      expect(() => make({ init: 'xavier' as 'he' })).toThrow(new RegExp(`${make.name}: init must be 'torchvision' or 'he', got xavier`));
    }
    expect(memory().numTensors).toBe(before);
  });

  it('new ResNet builds other depths from a spec and rejects a malformed one before allocating', () => {
    const spec = { block: BasicBlock, stages: [5, 5, 5], widths: [16, 32, 64], stem: 'cifar', stemWidth: 16 } as const;
    const resnet32 = new ResNet(spec, { numClasses: 10 });
    // 6n + 2 = 32 weighted layers: 31 convs on the main path and the fc.
    expect(resnet32.namedParameters().filter(([n, t]) => t.shape.length === 4 && !n.includes('downsample')).length).toBe(31);
    resnet32.dispose();
    const before = memory().numTensors;
    expect(() => new ResNet({ ...spec, stages: [5, 5] })).toThrow(/stages and widths must be non-empty and of equal length, got 2 and 3/);
    expect(() => new ResNet({ ...spec, stages: [5, 0, 5] })).toThrow(/stages must be positive integers, got \[5, 0, 5\]/);
    expect(() => new ResNet({ ...spec, widths: [16, 32.5, 64] })).toThrow(ArgumentError);
    expect(() => new ResNet({ ...spec, stemWidth: 0 })).toThrow(/stemWidth must be a positive integer, got 0/);
    expect(() => new ResNet({ ...spec, stem: 'tiny' as 'cifar' })).toThrow(/stem must be 'imagenet' or 'cifar', got tiny/);
    expect(memory().numTensors).toBe(before);
  });
});
