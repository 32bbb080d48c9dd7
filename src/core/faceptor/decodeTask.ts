/**
 * One entry point from a task's raw graph outputs (for ONE face) to its typed, JSON-friendly result, dispatched on
 * the task registry. Output names follow the exported graphs: `embedding` (recog), `logits` (age, attributes,
 * expression), `logits_128` (parsing, [Q, H, H]), `landmark` ([Q, 2] normalised) and/or `heatmap` ([Q, H, H]) for
 * landmarks. Sizes are checked against the registry; a mismatch is a clear error, never a silent mis-decode.
 */
import type { DecodedOutputName } from './graph-io.ts';
import type { Point } from '../types.ts';
import type { CropSpec } from '../align/crops.ts';
import { type AttributeName, type ExpressionLabel, type TaskName, TASKS } from './tasks.ts';
import {
  type Floats,
  decodeAge,
  decodeAttributes,
  decodeExpression,
  l2Normalize,
  landmarksFromHeatmaps,
  landmarksFromNormalised,
  parsingLabels,
  presentAttributes,
} from './decode.ts';

/** Raw outputs of one task for one face (slice batch tensors with `batchItem`). */
/** A task's decodable outputs for one face, by their graph I/O names (graph-io.ts). */
export type RawTaskOutput = { readonly [K in DecodedOutputName]?: Floats };

export type TaskResult =
  | { readonly type: 'recog'; readonly task: TaskName; readonly embedding: number[] }
  | { readonly type: 'age'; readonly task: TaskName; readonly years: number; readonly distribution: number[] }
  | {
      readonly type: 'biattr';
      readonly task: TaskName;
      readonly probs: Record<AttributeName, number>;
      readonly present: AttributeName[];
    }
  | {
      readonly type: 'affect';
      readonly task: TaskName;
      readonly top: ExpressionLabel;
      readonly topIndex: number;
      readonly probs: Record<ExpressionLabel, number>;
    }
  | {
      readonly type: 'align';
      readonly task: TaskName;
      readonly set: string;
      /** Source-image pixels. */
      readonly points: Point[];
      /** Crop pixels and the network's normalised values, kept for debugging and parity checks. */
      readonly cropPoints: Point[];
      readonly normalised: Point[];
    }
  | {
      readonly type: 'parsing';
      readonly task: TaskName;
      readonly labels: readonly string[];
      readonly colours: readonly (readonly [number, number, number])[];
      /**
       * Per-pixel class of the crop (crop.size²), docs/model.md §6.4 upsample + arg-max; map to the image with
       * `labelsToImage`.
       */
      readonly mask: Uint8Array;
      readonly crop: CropSpec;
    };

/** Item `n` of a batch tensor [N, ...] stored flat (no copy). */
export function batchItem(data: Float32Array, dims: readonly number[], n: number): Float32Array {
  if (dims.length === 0 || !(n >= 0 && n < dims[0]))
    throw new Error(`batchItem: item ${n} outside a batch of ${dims[0]}`);
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  if (data.length !== per * dims[0])
    throw new Error(`batchItem: ${data.length} values do not match dims [${dims.join(', ')}]`);
  return data.subarray(n * per, (n + 1) * per);
}

function need<T>(value: T | undefined, task: TaskName, name: string): T {
  if (value === undefined) throw new Error(`${task}: the graph output "${name}" is missing`);
  return value;
}

function squareSide(values: Floats, maps: number, task: TaskName, name: string): number {
  const side = Math.round(Math.sqrt(values.length / maps));
  if (side < 1 || side * side * maps !== values.length)
    throw new Error(`${task}: "${name}" holds ${values.length} values, not ${maps} square maps`);
  return side;
}

/**
 * Decodes one task for one face. `crop` is the spec the task's input was cut with (needed for landmarks and
 * parsing; ignored by the 112 tasks).
 */
export function decodeTaskOutput(task: TaskName, raw: RawTaskOutput, crop?: CropSpec): TaskResult {
  const spec = TASKS[task];
  if (!spec) throw new Error(`unknown task ${JSON.stringify(task)}`);
  const withCrop = (): CropSpec => need(crop, task, 'crop spec');
  switch (spec.type) {
    case 'recog': {
      const e = need(raw.embedding, task, 'embedding');
      if (e.length !== spec.outputs)
        throw new Error(`${task}: embedding has ${e.length} values, expected ${spec.outputs}`);
      return { type: 'recog', task, embedding: Array.from(l2Normalize(e)) };
    }
    case 'age': {
      const r = decodeAge(need(raw.logits, task, 'logits'));
      return { type: 'age', task, years: r.years, distribution: r.distribution };
    }
    case 'biattr': {
      const probs = decodeAttributes(need(raw.logits, task, 'logits'), spec.labels);
      return { type: 'biattr', task, probs, present: presentAttributes(probs) };
    }
    case 'affect':
      return { type: 'affect', task, ...decodeExpression(need(raw.logits, task, 'logits'), spec.labels) };
    case 'align': {
      const Q = spec.landmarks.points;
      const r =
        raw.landmark !== undefined
          ? landmarksFromNormalised(raw.landmark, Q, withCrop())
          : landmarksFromHeatmaps(
              need(raw.heatmap, task, 'landmark or heatmap'),
              Q,
              squareSide(raw.heatmap!, Q, task, 'heatmap'),
              withCrop(),
            );
      return {
        type: 'align',
        task,
        set: spec.landmarks.set,
        points: r.image,
        cropPoints: r.crop,
        normalised: r.normalised,
      };
    }
    case 'parsing': {
      const logits = need(raw.logits_128, task, 'logits_128');
      const Q = spec.outputs,
        side = squareSide(logits, Q, task, 'logits_128'),
        c = withCrop();
      return {
        type: 'parsing',
        task,
        labels: spec.labels,
        colours: spec.colours,
        mask: parsingLabels(logits, Q, side, side, c.size, c.size),
        crop: c,
      };
    }
  }
}
