import { describe, expect, it } from 'vitest';

import {
  ArgumentError, type Tensor, manualSeed, memory, noGrad, randn, testing, tidy, zeros,
} from '@largebatch/tensor';
import { BatchNorm2d, Conv2d, Dropout, Linear, Module, ReLU, Sequential, StateDictError } from '../src/index';
import { type Entry, fromEntry, readFixture } from './fixtures';
import { smallNet } from './small-net';
import { stats } from './stats';

const { expectClose, expectNoLeaks } = testing;

interface ModulesFixture {
  stateDict: Record<string, Entry & { dtype: string }>;
  parameterNames: string[];
  bufferNames: string[];
  x: Entry;
  evalOut: Entry;
  trainOut: Entry;
  projection: Entry;
  grads: Record<string, Entry>;
  buffersAfterTrain: Record<string, Entry>;
}

const fixture = readFixture<ModulesFixture>('modules.json');

/** PyTorch's state dict as tensors (num_batches_tracked, int64 there, arrives as float64 here). */
function torchState(): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(fixture.stateDict).map(([k, e]) => [k, fromEntry(e)]));
}

function disposeAll(dict: Record<string, Tensor>): void {
  for (const t of Object.values(dict)) t.dispose();
}

describe('Module registration and names', () => {
  it('names parameters, buffers and the state dict exactly as PyTorch', () => {
    const net = smallNet();
    expect(net.namedParameters().map(([n]) => n)).toEqual(fixture.parameterNames);
    expect(net.namedBuffers().map(([n]) => n)).toEqual(fixture.bufferNames);
    const state = net.stateDict();
    expect(Object.keys(state)).toEqual(Object.keys(fixture.stateDict));
    for (const [k, e] of Object.entries(fixture.stateDict)) expect(state[k]!.shape).toEqual(e.shape);
    expect(net.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
    expect(net.buffers().some((b) => b.requiresGrad)).toBe(false);
    net.dispose();
  });

  it('nests custom modules with dotted names and lists a shared tensor once', () => {
    class Block extends Module {
      readonly conv = this.registerModule('conv', new Conv2d(2, 2, 1, { bias: false }));
      readonly bn = this.registerModule('bn', new BatchNorm2d(2));
      forward(x: Tensor): Tensor {
        return this.bn.forward(this.conv.forward(x));
      }
    }
    class Net extends Module {
      readonly scale = this.registerParameter('scale', randn([1]));
      readonly blocks = this.registerModule('blocks', new Sequential(new Block(), new Block()));
      forward(x: Tensor): Tensor {
        return this.blocks.forward(x).mul(this.scale!);
      }
    }
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual([
      'scale', 'blocks.0.conv.weight', 'blocks.0.bn.weight', 'blocks.0.bn.bias', 'blocks.1.conv.weight', 'blocks.1.bn.weight', 'blocks.1.bn.bias',
    ]);
    expect(Object.keys(net.stateDict()).slice(0, 7)).toEqual([
      'scale', 'blocks.0.conv.weight', 'blocks.0.bn.weight', 'blocks.0.bn.bias',
      'blocks.0.bn.running_mean', 'blocks.0.bn.running_var', 'blocks.0.bn.num_batches_tracked',
    ]);
    expect(net.namedModules().map(([n]) => n)).toEqual(['', 'blocks', 'blocks.0', 'blocks.0.conv', 'blocks.0.bn', 'blocks.1', 'blocks.1.conv', 'blocks.1.bn']);
    const visited: string[] = [];
    net.apply((m) => visited.push(m.constructor.name));
    expect(visited).toEqual(['Conv2d', 'BatchNorm2d', 'Block', 'Conv2d', 'BatchNorm2d', 'Block', 'Sequential', 'Net']);
    net.dispose();
  });

  it('rejects bad and duplicate names', () => {
    const lin = new Linear(2, 2);
    expect(() => lin.registerParameter('weight', zeros([1]))).toThrow(/'weight' is already registered as a parameter/);
    expect(() => lin.registerBuffer('a.b', zeros([1]))).toThrow(ArgumentError);
    expect(() => lin.registerModule('', new ReLU())).toThrow(ArgumentError);
    lin.dispose();
  });

  it('owns its tensors: building inside tidy keeps them, dispose frees them all', () => {
    const before = memory();
    const net = tidy(() => smallNet());
    expect(net.parameters().every((p) => !p.isDisposed)).toBe(true);
    net.dispose();
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
  });
});

describe('Module against PyTorch (fixture from make_fixtures.py)', () => {
  it('loads the state dict and matches eval and training outputs, gradients and running statistics', () => {
    const net = smallNet();
    const state = torchState();
    const x = fromEntry(fixture.x);
    const projection = fromEntry(fixture.projection);
    expectNoLeaks(() => {
      net.loadStateDict(state);
      for (const [k, e] of Object.entries(fixture.stateDict)) expectClose(net.stateDict()[k]!, e.values, { what: k });
      tidy(() => {
        expectClose(net.eval().forward(x), fixture.evalOut.values, { rtol: 1e-10, atol: 1e-12 });
        const out = net.train().forward(x);
        expectClose(out, fixture.trainOut.values, { rtol: 1e-10, atol: 1e-12 });
        out.mul(projection).sum().backward();
      });
      for (const [name, p] of net.namedParameters()) {
        expectClose(p.grad!, fixture.grads[name]!.values, { rtol: 1e-9, atol: 1e-12, what: `grad of ${name}` });
        p.grad = null;
      }
      for (const [name, b] of net.namedBuffers()) expectClose(b, fixture.buffersAfterTrain[name]!.values, { what: name });
    });
    expect(net.stateDict()['1.num_batches_tracked']!.dtype).toBe('int32');
    for (const t of [x, projection]) t.dispose();
    disposeAll(state);
    net.dispose();
  });
});

describe('loadStateDict errors', () => {
  it('names missing and unexpected keys and shape mismatches, and copies nothing', () => {
    const net = smallNet();
    const state = torchState();
    const before = net.stateDict()['0.weight']!.data();
    const { ['6.bias']: dropped, ...missing } = state;
    const extra = { ...state, 'head.weight': dropped! };
    const wrongShape = { ...state, '1.running_mean': zeros([7], { dtype: 'float64' }) };
    expect(() => net.loadStateDict(missing)).toThrow(/missing keys: 6\.bias/);
    expect(() => net.loadStateDict(extra)).toThrow(/unexpected keys: head\.weight/);
    expect(() => net.loadStateDict(wrongShape)).toThrow(/1\.running_mean has shape \[7\] in the state dict, expected \[8\]/);
    expect(() => net.loadStateDict(wrongShape, { strict: false })).toThrow(StateDictError);
    try {
      net.loadStateDict(missing);
    } catch (err) {
      expect(err).toBeInstanceOf(StateDictError);
      expect((err as StateDictError).missingKeys).toEqual(['6.bias']);
    }
    expect(Array.from(net.stateDict()['0.weight']!.data())).toEqual(Array.from(before));
    expect(net.loadStateDict(extra, { strict: false })).toEqual({ missingKeys: [], unexpectedKeys: ['head.weight'] });
    expect(net.loadStateDict(missing, { strict: false })).toEqual({ missingKeys: ['6.bias'], unexpectedKeys: [] });
    expectClose(net.stateDict()['6.weight']!, fixture.stateDict['6.weight']!.values);
    wrongShape['1.running_mean']!.dispose();
    disposeAll(state);
    net.dispose();
  });
});

describe('modes, devices, layers', () => {
  it('train() and eval() reach every descendant; Dropout follows them', () => {
    manualSeed(3);
    const net = new Sequential(new Linear(5, 5), new Dropout(0.5));
    expect(net.modules().every((m) => m.training)).toBe(true);
    expectNoLeaks(() =>
      tidy(() => {
        const x = randn([4, 5]);
        const evalOut = net.eval().forward(x);
        expect(net.modules().some((m) => m.training)).toBe(false);
        expectClose(evalOut, net.at(0).forward(x));
        const trainOut = net.train().forward(x).data();
        const plain = evalOut.data();
        let zeroed = 0;
        trainOut.forEach((v, i) => {
          if (v === 0) zeroed += 1;
          else expect(v).toBeCloseTo(2 * plain[i]!, 5);
        });
        expect(zeroed).toBeGreaterThan(0);
        expect(zeroed).toBeLessThan(20);
      }),
    );
    net.dispose();
  });

  it('to() on the current device keeps the same tensors', () => {
    const lin = new Linear(3, 2);
    const w = lin.weight;
    expect(lin.to('cpu').weight).toBe(w);
    lin.dispose();
  });

  it('BatchNorm2d in eval uses and keeps its running statistics; training counts batches', () => {
    manualSeed(4);
    const bn = new BatchNorm2d(3);
    expectNoLeaks(() =>
      tidy(() => {
        noGrad(() => {
          bn.runningMean!.copy_(randn([3]));
          bn.runningVar!.copy_(randn([3]).abs().add(0.5));
        });
        const x = randn([2, 3, 4, 4]);
        const mean = bn.runningMean!.clone();
        const expected = x.sub(mean.reshape([1, 3, 1, 1])).div(bn.runningVar!.add(1e-5).sqrt().reshape([1, 3, 1, 1]));
        expectClose(bn.eval().forward(x), expected, { rtol: 1e-5, atol: 1e-5 });
        expectClose(bn.runningMean!, mean);
        bn.train().forward(x);
        bn.forward(x);
        expect(bn.stateDict().num_batches_tracked!.item()).toBe(2);
        expect(bn.runningMean!.sub(mean).abs().sum().item()).toBeGreaterThan(0);
      }),
    );
    bn.dispose();
  });

  it('rejects bad layer arguments with the argument named', () => {
    expect(() => new Linear(0, 3)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups 2/);
    expect(() => new Dropout(1.5)).toThrow(/Dropout: p must be a probability/);
    expect(() => new BatchNorm2d(4, { eps: -1 })).toThrow(/BatchNorm2d: eps must be/);
  });
});

describe('PyTorch default initialisation', () => {
  it('Linear and Conv2d draw weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))', () => {
    manualSeed(5);
    for (const layer of [new Linear(400, 300), new Conv2d(16, 512, 5)]) {
      const fanIn = layer instanceof Linear ? 400 : 16 * 25;
      const bound = 1 / Math.sqrt(fanIn);
      for (const t of [layer.weight, layer.bias!]) {
        const { min, max, mean, variance } = stats(t.data());
        expect(max).toBeLessThanOrEqual(bound);
        expect(min).toBeGreaterThanOrEqual(-bound);
        // U(-b, b): mean 0, variance b^2 / 3; tolerances of several standard errors.
        expect(Math.abs(mean)).toBeLessThan((6 * bound) / Math.sqrt(3 * t.numel));
        expect(Math.abs(variance / (bound * bound / 3) - 1)).toBeLessThan(t.numel > 10_000 ? 0.02 : 0.3);
      }
      layer.dispose();
    }
  });

  it('BatchNorm2d starts at weight 1, bias 0, running mean 0, running var 1, no batches', () => {
    const bn = new BatchNorm2d(4);
    const s = bn.stateDict();
    expect(Array.from(s.weight!.data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(s.bias!.data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(s.running_mean!.data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(s.running_var!.data())).toEqual([1, 1, 1, 1]);
    expect(s.num_batches_tracked!.item()).toBe(0);
    bn.dispose();
  });
});
