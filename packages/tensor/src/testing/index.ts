/**
 * The `testing` namespace of @largebatch/tensor: the checks our tests use, for anyone writing ops on top:
 * `expectClose` (worst index reported), `gradCheck` (float64 central differences) and
 * `expectNoLeaks`, and `describeEachDevice` (one test body per device, 'cuda' included where
 * it is available). They throw plain Errors, so they work under any test runner.
 *
 * @example
 * ```ts
 * import { randn, testing } from '@largebatch/tensor';
 * testing.gradCheck((x) => x.exp().sum(), [randn([3], { dtype: 'float64', requiresGrad: true })]);
 * ```
 */
export { expectClose, tolerances } from './expect-close';
export { gradCheck } from './grad-check';
export { expectNoLeaks } from './no-leaks';
export { type DescribeFn, describeEachDevice, testDevices } from './each-device';
