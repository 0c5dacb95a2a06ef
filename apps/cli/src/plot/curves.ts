// Training curves as SVG and PNG without a browser or a native canvas: vega-lite compiles a
// spec, vega renders it to SVG headlessly, resvg rasterises the SVG to PNG.
import { join } from 'node:path';

import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { writeFileAtomic } from '../util/atomic';
import type { EpochMetrics } from '../train/reporter';

export interface Series {
  /** The run's label in the legend. */
  name: string;
  metrics: readonly EpochMetrics[];
}

type Point = { run: string; curve: string; epoch: number; value: number };

const WIDTH = 520;

function panel(title: string, field: string, points: Point[]): object {
  return {
    title, width: WIDTH, height: 180,
    data: { values: points },
    mark: { type: 'line', point: points.length <= 200 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: field, scale: { zero: false }, axis: { format: '~g' } },
      color: { field: 'curve', type: 'nominal', title: null },
    },
  };
}

/** The vega-lite spec: accuracy and loss (train and test) and the learning rate, per epoch. */
export function curvesSpec(series: readonly Series[]): TopLevelSpec {
  const several = series.length > 1;
  const label = (run: string, split: string) => (several ? `${run} ${split}` : split);
  const acc: Point[] = [];
  const loss: Point[] = [];
  const lr: Point[] = [];
  for (const { name, metrics } of series) {
    for (const m of metrics) {
      const epoch = m.epoch + 1;
      acc.push({ run: name, curve: label(name, 'train'), epoch, value: 100 * m.trainAcc }, { run: name, curve: label(name, 'test'), epoch, value: 100 * m.testAcc });
      loss.push({ run: name, curve: label(name, 'train'), epoch, value: m.trainLoss }, { run: name, curve: label(name, 'test'), epoch, value: m.testLoss });
      lr.push({ run: name, curve: several ? name : 'lr', epoch, value: m.lr });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    vconcat: [panel('accuracy (%)', 'accuracy (%)', acc), panel('loss', 'loss', loss), panel('learning rate (last iteration of the epoch)', 'lr', lr)],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** Renders a vega-lite spec to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG bytes at twice its size. */
export function svgToPng(svg: string): Uint8Array {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}

/**
 * Writes `<dir>/<name>.svg` and `<dir>/<name>.png` (accuracy, loss and lr per epoch of each
 * series), atomically; returns their paths.
 *
 * @example
 * ```ts
 * import { writeCurves } from '@largebatch/cli';
 * await writeCurves('.', [{ name: 'run', metrics: [{ epoch: 0, lr: 0.1, trainLoss: 2, trainAcc: 0.3, testLoss: 2.1, testAcc: 0.28, trainTimeS: 9, imagesPerS: 500 }] }]);
 * ```
 */
export async function writeCurves(dir: string, series: readonly Series[], name = 'curves'): Promise<{ svg: string; png: string }> {
  const svg = await renderSvg(curvesSpec(series));
  const paths = { svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, svgToPng(svg));
  return paths;
}
