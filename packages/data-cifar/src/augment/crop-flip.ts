import { CHANNELS, HEIGHT, IMAGE_BYTES, WIDTH } from '../format/dataset';
import { Stream, philox, scaleToRange } from '../random/philox';

/** Zero pixels added on each side before the random 32×32 crop, as `RandomCrop(32, padding=4)`. */
export const PADDING = 4;
/** Crop positions per axis in the padded 40×40 image: 0..8. */
export const CROP_POSITIONS = 2 * PADDING + 1;

/** Where the crop starts in the padded image (0..8 each) and whether it is then mirrored left-right. */
export interface CropFlip {
  top: number;
  left: number;
  flip: boolean;
}

/** The un-augmented view: the centre crop (the image itself), not mirrored. */
export const IDENTITY: CropFlip = { top: PADDING, left: PADDING, flip: false };

const block = new Uint32Array(4);

/**
 * The crop and flip of image `index` in `epoch`: one Philox block (words 0, 1 → top, left by
 * multiply-shift, bias below 9 / 2^32; word 2's top bit → flip), so it depends on nothing
 * but (seed, epoch, index): not on the batch size, the shuffle or the thread.
 */
export function drawCropFlip(key: readonly [number, number], epoch: number, index: number): CropFlip {
  philox(key, index, epoch, Stream.Augment, 0, block);
  return { top: scaleToRange(block[0]!, CROP_POSITIONS), left: scaleToRange(block[1]!, CROP_POSITIONS), flip: block[2]! >>> 31 === 1 };
}

/**
 * Writes image `src` (bytes at `images[srcOffset…]`) cropped, maybe mirrored and mapped
 * through `table` (see `pixelTable`) into `out[outOffset…]` as 3×32×32 float32.
 * Equals torchvision's `RandomCrop(32, padding=4)` (zero fill) then `RandomHorizontalFlip`
 * then `ToTensor` / `Normalize`: out[c][y][x] = table[c][src[c][y + top − 4][x' + left − 4]]
 * with x' = 31 − x when mirrored, else x, and table[c][0] where that falls in the padding.
 */
export function writeCropFlip(
  out: Float32Array,
  outOffset: number,
  images: Uint8Array,
  srcOffset: number,
  { top, left, flip }: CropFlip,
  table: Float32Array,
): void {
  const dy = top - PADDING;
  const dx = left - PADDING;
  // Output columns whose source column lies inside the image; the rest are padding.
  const xFrom = flip ? Math.max(0, dx) : Math.max(0, -dx);
  const xTo = flip ? Math.min(WIDTH, WIDTH + dx) : Math.min(WIDTH, WIDTH - dx);
  for (let c = 0; c < CHANNELS; c++) {
    const tableBase = c * 256;
    const pad = table[tableBase]!;
    const plane = srcOffset + c * (IMAGE_BYTES / CHANNELS);
    for (let y = 0; y < HEIGHT; y++) {
      const o = outOffset + (c * HEIGHT + y) * WIDTH;
      const sy = y + dy;
      if (sy < 0 || sy >= HEIGHT) {
        out.fill(pad, o, o + WIDTH);
        continue;
      }
      const row = plane + sy * WIDTH;
      out.fill(pad, o, o + xFrom);
      if (flip) {
        // Source column of output x is 31 − x + dx.
        const s = row + WIDTH - 1 + dx;
        for (let x = xFrom; x < xTo; x++) out[o + x] = table[tableBase + images[s - x]!]!;
      } else {
        const s = row + dx;
        for (let x = xFrom; x < xTo; x++) out[o + x] = table[tableBase + images[s + x]!]!;
      }
      out.fill(pad, o + xTo, o + WIDTH);
    }
  }
}
