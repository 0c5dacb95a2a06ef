import { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/index';

/** The float64 conv net of fixtures/make_fixtures.py (small_net), layer for layer. */
export function smallNet(): Sequential {
  const f = { dtype: 'float64' as const };
  return new Sequential(
    new Conv2d(3, 8, 3, { padding: 1, ...f }),
    new BatchNorm2d(8, f),
    new ReLU(),
    new MaxPool2d(3, { stride: 2, padding: 1 }),
    new AdaptiveAvgPool2d([3, 3]),
    new Flatten(),
    new Linear(72, 10, f),
  );
}
