import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { writeCropFlip } from '../src/augment/crop-flip';
import { CIFAR10_NORMALIZATION, pixelTable } from '../src/augment/normalize';

// Made by fixtures/torchvision_augment.py with Debian's torchvision.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/torchvision-augment.json', import.meta.url), 'utf8')) as {
  image: string;
  views: [number, number, boolean][];
  outputs: string[];
};
const bytes = (b64: string): Buffer => Buffer.from(b64, 'base64');

describe('parity with torchvision', () => {
  it('crop, flip and normalise give torchvision’s float32 values exactly', () => {
    const image = new Uint8Array(bytes(fixture.image));
    const table = pixelTable(CIFAR10_NORMALIZATION);
    fixture.views.forEach(([top, left, flip], k) => {
      const want = new Float32Array(new Uint8Array(bytes(fixture.outputs[k]!)).buffer);
      const got = new Float32Array(3072);
      writeCropFlip(got, 0, image, 0, { top, left, flip }, table);
      expect(got).toEqual(want);
    });
  });
});
