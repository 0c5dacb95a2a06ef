// The base of SGD and LARS: param groups, momentum buffers owned as Tensors, one FusedGroup
// per group (built when first needed, rebuilt when the group's tensors change), state
// dicts. The rule (an OptimizerRule) says which options exist and which native step runs.
import { native } from '@largebatch/cuda-kernels';
import { DisposedError, keep, zeros, type Tensor } from '@largebatch/tensor';

import { NonFiniteGradientError, OptimizerArgumentError } from './errors';
import { FusedGroup, type BufferSpan } from './fused';
import type { SgdHyper } from './options';
import { checkParam, groupInputs, namedParams, type ParamGroup, type ParamGroupInput, type ParamsOrGroups } from './param-groups';
import { checkGroupState, type OptimizerStateDict, type ParamGroupState } from './state-dict';

/** What distinguishes one optimizer class from another. */
export interface OptimizerRule<Options, Hyper extends SgdHyper, SavedOptions> {
  readonly name: string;
  /** Validates options (OptimizerOptionError naming the bad one) and fills defaults. */
  hyper(where: string, options: Options): Hyper;
  /** The options a state dict keeps (plain data). */
  saved(h: Hyper): SavedOptions;
  /** Whether a tensor is taken out of adaptation and weight decay. */
  excluded(h: Hyper, name: string, param: Tensor): boolean;
  /** One native step over a group. */
  step(fused: FusedGroup, grads: readonly (BufferSpan | null)[], h: Hyper): void;
}

/**
 * Runs each group's part, then throws one NonFiniteGradientError for all the groups whose
 * part threw one, with indices counted through the groups in order.
 */
function reportNonFinite(where: string, groups: readonly { size: number; run: () => void }[]): void {
  const bad: number[] = [];
  let first: NonFiniteGradientError | null = null;
  let base = 0;
  for (const { size, run } of groups) {
    try {
      run();
    } catch (e) {
      if (!(e instanceof NonFiniteGradientError)) throw e;
      first ??= e;
      bad.push(...e.indices.map((i) => base + i));
    }
    base += size;
  }
  if (first !== null) throw new NonFiniteGradientError(where, bad, first.tensorName, first.fromPreviousStep);
}

/** A group's native layout, and what it was built from. */
interface GroupLayout {
  readonly fused: FusedGroup;
  readonly params: readonly Tensor[];
  readonly names: readonly string[];
  readonly buffers: readonly (Tensor | undefined)[];
  readonly excluded: readonly boolean[];
  /** Each parameter's Storage.version right after this optimizer's last step (-1: none). */
  readonly versions: number[];
}

function spanOf(t: Tensor): BufferSpan {
  return { buffer: t.storage.handle, offset: t.offset };
}

/**
 * Param groups, momentum state and the fused step shared by {@link SGD} and {@link LARS}.
 * Momentum buffers are float32 Tensors owned by the optimizer (so `memory()` counts them),
 * created for a group's tensors at its first step with momentum; `dispose()` frees them.
 */
export abstract class Optimizer<Options, Hyper extends SgdHyper, SavedOptions> {
  /** The param groups; their options may be changed between steps (`paramGroups[i].lr`). */
  readonly paramGroups: ParamGroup<Hyper>[] = [];
  private readonly layouts = new Map<ParamGroup<Hyper>, GroupLayout>();
  private readonly momenta = new Map<Tensor, Tensor>();
  private disposed = false;

  protected constructor(
    private readonly rule: OptimizerRule<Options, Hyper, SavedOptions>,
    params: ParamsOrGroups<Options>,
    private readonly defaults: Options,
  ) {
    for (const group of groupInputs(rule.name, params)) this.addParamGroup(group);
  }

  /**
   * Adds a param group: its parameters (not in any other group) and options overriding
   * the defaults given to the constructor.
   */
  addParamGroup(group: ParamGroupInput<Options>): void {
    const where = `${this.rule.name}.addParamGroup`;
    this.checkLive(where);
    const g = this.paramGroups.length;
    if (typeof group !== 'object' || group === null) throw new OptimizerArgumentError(where, `paramGroups[${g}]`, group, 'an object { params, ...options }');
    const { params: input, ...overrides } = group;
    const { params, names } = namedParams(where, input, g);
    const seen = new Set(this.paramGroups.flatMap((other) => other.params));
    params.forEach((p, i) => {
      if (seen.has(p)) throw new OptimizerArgumentError(where, `paramGroups[${g}].params[${i}]`, names[i], 'a tensor in no other param group (or twice in one)');
      seen.add(p);
    });
    const h = this.rule.hyper(`${where} (paramGroups[${g}])`, { ...this.defaults, ...overrides } as Options);
    this.paramGroups.push({ ...h, params, names });
  }

  /**
   * Updates every parameter that has a gradient (those with `grad === null` are skipped,
   * as in PyTorch), one native call per group. A gradient holding NaN or Inf: every other
   * tensor is updated, those are left unchanged, and NonFiniteGradientError names the
   * first (its `indices` count through all groups in order). On CUDA the step does not
   * wait for the device, and that error comes one call late: the next `step()` throws it
   * after running (`fromPreviousStep` set), or `synchronize()` does.
   */
  step(): void {
    const where = `${this.rule.name}.step`;
    this.checkLive(where);
    // Check every group before updating any, so that a bad option changes nothing.
    const prepared = this.paramGroups.map((group, g) => ({
      h: this.rule.hyper(`${where} (paramGroups[${g}])`, group as unknown as Options),
      layout: this.layout(group, g),
      grads: group.params.map((p, i) => this.gradSpan(where, group.names[i]!, p)),
    }));
    reportNonFinite(where, prepared.map(({ h, layout, grads }) => ({ size: layout.params.length, run: () => this.stepGroup(layout, grads, h) })));
  }

  /**
   * Waits for the device to finish this optimizer's last step and throws its
   * NonFiniteGradientError if it found NaN/Inf and no step has thrown it yet (call it at
   * the end of training on CUDA). On the CPU a step reports itself: nothing to do.
   */
  synchronize(): void {
    const where = `${this.rule.name}.synchronize`;
    this.checkLive(where);
    reportNonFinite(where, this.paramGroups.map((group) => ({ size: group.params.length, run: () => this.layouts.get(group)?.fused.synchronize() })));
  }

  /**
   * Drops every parameter's gradient (`grad = null`, PyTorch's default `set_to_none`), so
   * that the next backward allocates fresh ones and a parameter left out of it is
   * skipped by the next step rather than updated with a zero gradient.
   */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.grad = null;
  }

  /**
   * The state to resume from: each group's options and, per parameter, its name, shape
   * and a copy of its momentum buffer (null until it holds a step).
   */
  stateDict(): OptimizerStateDict<SavedOptions> {
    const where = `${this.rule.name}.stateDict`;
    this.checkLive(where);
    return {
      optimizer: this.rule.name,
      paramGroups: this.paramGroups.map((group, g): ParamGroupState<SavedOptions> => {
        const layout = this.layout(group, g);
        return {
          options: this.rule.saved(this.rule.hyper(`${where} (paramGroups[${g}])`, group as unknown as Options)),
          params: group.params.map((p, i) => {
            const buffer = layout.buffers[i];
            const ready = buffer !== undefined && layout.fused.momentumReady(i);
            return { name: group.names[i]!, shape: [...p.shape], momentumBuffer: ready ? (buffer.data() as Float32Array) : null };
          }),
        };
      }),
    };
  }

  /**
   * Restores a state dict from `stateDict()` of an optimizer of the same class over the
   * same parameters (same groups, names and shapes): options and momentum buffers, so the
   * next steps are those the saved optimizer would have taken. Everything is checked
   * before anything changes; a mismatch throws OptimizerArgumentError naming it, a bad
   * option OptimizerOptionError.
   */
  loadStateDict(stateDict: OptimizerStateDict<SavedOptions>): void {
    const where = `${this.rule.name}.loadStateDict`;
    this.checkLive(where);
    if (typeof stateDict !== 'object' || stateDict === null) throw new OptimizerArgumentError(where, 'stateDict', stateDict, 'an object from stateDict()');
    if (stateDict.optimizer !== this.rule.name) {
      throw new OptimizerArgumentError(where, 'stateDict.optimizer', stateDict.optimizer, `'${this.rule.name}' (a state dict of this optimizer class)`);
    }
    const groups: unknown = stateDict.paramGroups;
    if (!Array.isArray(groups) || groups.length !== this.paramGroups.length) {
      throw new OptimizerArgumentError(where, 'stateDict.paramGroups', groups, `an array of ${this.paramGroups.length} param groups`);
    }
    const hypers = this.paramGroups.map((group, g) => {
      const saved: unknown = groups[g];
      checkGroupState(where, g, saved, group.params, group.names);
      return this.rule.hyper(`${where} (stateDict.paramGroups[${g}].options)`, { ...group, ...(saved.options as object) } as unknown as Options);
    });
    this.paramGroups.forEach((group, g) => {
      Object.assign(group, hypers[g]);
      const states = (groups[g] as ParamGroupState<SavedOptions>).params;
      states.forEach((s, i) => {
        if (s.momentumBuffer !== null) this.momentumOf(group.params[i]!);
      });
      const layout = this.layout(group, g);
      states.forEach(({ momentumBuffer }, i) => {
        const buffer = layout.buffers[i];
        if (momentumBuffer !== null && buffer !== undefined) native.write(buffer.storage.handle, 4 * buffer.offset, momentumBuffer);
        layout.fused.setMomentumReady(i, momentumBuffer !== null);
      });
    });
  }

  /** Frees the momentum buffers; the optimizer cannot be used afterwards. Idempotent. */
  dispose(): void {
    this.disposed = true;
    for (const buffer of this.momenta.values()) buffer.dispose();
    this.momenta.clear();
    for (const layout of this.layouts.values()) layout.fused.dispose();
    this.layouts.clear();
  }

  private checkLive(where: string): void {
    if (this.disposed) throw new DisposedError(`${where}: the optimizer was disposed`);
  }

  /** The momentum buffer of a parameter, created (zeros, kept out of tidy scopes) if absent. */
  private momentumOf(p: Tensor): Tensor {
    let buffer = this.momenta.get(p);
    if (buffer === undefined) {
      buffer = keep(zeros(p.shape, { device: p.device }));
      this.momenta.set(p, buffer);
    }
    return buffer;
  }

  /**
   * One native step over a group. The fused step keeps each weight's ‖w‖² for the next
   * one; a parameter whose storage was written since (Storage.version) has its norm dropped
   * first, and the step's own writes are recorded after it.
   */
  private stepGroup(layout: GroupLayout, grads: readonly (BufferSpan | null)[], h: Hyper): void {
    layout.params.forEach((p, i) => {
      if (p.storage.version !== layout.versions[i]) layout.fused.forgetWeightNorm(i);
    });
    try {
      this.rule.step(layout.fused, grads, h);
    } finally {
      for (const p of layout.params) p.storage.markWritten();
      layout.params.forEach((p, i) => {
        layout.versions[i] = p.storage.version;
      });
    }
  }

  /** A parameter's gradient as a span for the native step; null when it has none. */
  private gradSpan(where: string, name: string, p: Tensor): BufferSpan | null {
    if (p.isDisposed) throw new OptimizerArgumentError(where, name, 'a disposed tensor', 'a live tensor');
    const g = p.grad;
    if (g === null) return null;
    if (!g.isContiguous()) throw new OptimizerArgumentError(where, `${name}.grad`, `strides [${g.strides.join(', ')}]`, 'a contiguous tensor');
    return spanOf(g);
  }

  /** Group g's layout: the one built before if its tensors are the same, else a new one. */
  private layout(group: ParamGroup<Hyper>, g: number): GroupLayout {
    const where = `${this.rule.name} (paramGroups[${g}])`;
    if (group.momentum !== 0) for (const p of group.params) this.momentumOf(p);
    const { params, names } = group;
    const buffers = params.map((p) => this.momenta.get(p));
    const excluded = params.map((p, i) => this.rule.excluded(group, names[i]!, p));
    const old = this.layouts.get(group);
    const same = old !== undefined && old.params.length === params.length &&
      params.every((p, i) => p === old.params[i] && names[i] === old.names[i] && buffers[i] === old.buffers[i] && excluded[i] === old.excluded[i]);
    if (same) return old;
    params.forEach((p, i) => checkParam(where, `paramGroups[${g}].params[${i}] ('${names[i]}')`, p));
    // A CUDA step's report not yet thrown is thrown now, before the old layout goes (rare:
    // the group's tensors changed right after a step with a NaN/Inf gradient).
    old?.fused.synchronize();
    const fused = new FusedGroup(params.map((p, i) => ({
      name: names[i]!,
      size: p.numel,
      param: spanOf(p),
      ...(buffers[i] ? { momentum: spanOf(buffers[i]) } : {}),
      excluded: excluded[i]!,
    })), { keepWeightNorms: true });
    // Carry over which buffers hold a step, for tensors kept with the same buffer.
    if (old) {
      const before = new Map(old.params.map((p, j) => [p, j]));
      params.forEach((p, i) => {
        const j = before.get(p);
        if (j !== undefined && old.buffers[j] === buffers[i]) fused.setMomentumReady(i, old.fused.momentumReady(j));
      });
    }
    old?.fused.dispose();
    const layout: GroupLayout = { fused, params: [...params], names: [...names], buffers, excluded, versions: params.map(() => -1) };
    this.layouts.set(group, layout);
    return layout;
  }
}
