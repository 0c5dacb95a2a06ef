/**
 * Bytes of one tensor (little-endian, as the format and every host we run on) to the typed
 * array of our dtype: F16 and BF16 widen to float32, I64 narrows to int32 (range-checked),
 * BOOL becomes uint8 0/1.
 */
import type { AnyTypedArray } from '@largebatch/tensor';

import type { SafetensorsDType } from './format';

/** IEEE half-precision bits to a number (subnormals, infinities and NaN included). */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Decodes `bytes` (a copy this function may keep) of `dtype`. Returns the values, or a
 * problem description when an I64 value does not fit in int32.
 */
export function decodeValues(dtype: SafetensorsDType, bytes: Uint8Array): AnyTypedArray | string {
  // A fresh, aligned buffer: typed-array views need their element alignment.
  const buffer = bytes.slice().buffer;
  switch (dtype) {
    case 'F64': return new Float64Array(buffer);
    case 'F32': return new Float32Array(buffer);
    case 'I32': return new Int32Array(buffer);
    case 'U8': return new Uint8Array(buffer);
    case 'BOOL': return new Uint8Array(buffer).map((v) => (v === 0 ? 0 : 1));
    case 'F16': return Float32Array.from(new Uint16Array(buffer), halfToNumber);
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const widened = new Uint32Array(bytes.length / 2);
      new Uint16Array(buffer).forEach((v, i) => (widened[i] = v << 16));
      return new Float32Array(widened.buffer);
    }
    case 'I64': {
      const wide = new BigInt64Array(buffer);
      const out = new Int32Array(wide.length);
      for (let i = 0; i < wide.length; i++) {
        const v = wide[i]!;
        if (v < -2147483648n || v > 2147483647n) return `value ${v} at flat index ${i} is outside the int32 range that I64 tensors are read into`;
        out[i] = Number(v);
      }
      return out;
    }
  }
}
