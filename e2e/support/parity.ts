/**
 * How far two analyses of the same image disagree, task by task, in the JSON form both the app's export and the
 * CLI write (src/pipeline/analysis-json.ts). Faces are paired in order (both sides sort by score; the specs use
 * single-face photos). Used to hold the browser (WebGPU, WASM) to the Node CLI within the tolerances of
 * docs/testing.md §3.
 */
import { decodeRle } from '../../src/pipeline/faceptor/json.ts';
import { cosineSimilarity } from '../../src/core/identity/gallery.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TaskDisagreement {
  /** Largest landmark distance over all sets, as a fraction of the reference box width. */
  landmarks: number;
  /** Share of pixels (over both masks' regions) whose label differs, worst head. */
  parsing: number;
  /** Largest |Δ years| over age heads. */
  ageYears: number;
  /** Largest |Δ p| over expression heads and labels. */
  expression: number;
  /** Largest |Δ p| over the attributes. */
  attributes: number;
  /** 1 − cosine similarity of the identity embeddings. */
  identity: number;
  /** Result fields present on one side only (e.g. 'landmarks.300w'). */
  missing: string[];
}

function keysOf(a: Json | undefined, b: Json | undefined): string[] {
  return [...new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])];
}

function maskAt(p: Json): (x: number, y: number) => number {
  const data = decodeRle(p.rle, p.width * p.height);
  return (x, y) => {
    const i = x - p.region.x,
      j = y - p.region.y;
    return i >= 0 && j >= 0 && i < p.width && j < p.height ? data[j * p.width + i] : 0;
  };
}

/** Pixel disagreement of two image-aligned masks over the union of their regions. */
export function maskDisagreement(a: Json, b: Json): number {
  const x0 = Math.min(a.region.x, b.region.x),
    y0 = Math.min(a.region.y, b.region.y);
  const x1 = Math.max(a.region.x + a.width, b.region.x + b.width),
    y1 = Math.max(a.region.y + a.height, b.region.y + b.height);
  const la = maskAt(a),
    lb = maskAt(b);
  let differ = 0,
    labelled = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const va = la(x, y),
        vb = lb(x, y);
      if (va !== 0 || vb !== 0) labelled++;
      if (va !== vb) differ++;
    }
  }
  return labelled ? differ / labelled : 0;
}

export function compareFaces(actual: Json, reference: Json): TaskDisagreement {
  const d: TaskDisagreement = {
    landmarks: 0,
    parsing: 0,
    ageYears: 0,
    expression: 0,
    attributes: 0,
    identity: 0,
    missing: [],
  };
  const width = reference.box.width as number;
  for (const field of ['landmarks', 'parsing', 'age', 'expression'] as const) {
    for (const head of keysOf(actual[field], reference[field])) {
      const a = actual[field]?.[head],
        r = reference[field]?.[head];
      if (!a || !r) {
        d.missing.push(`${field}.${head}`);
        continue;
      }
      if (field === 'landmarks') {
        a.points.forEach(([x, y]: number[], i: number) => {
          const [rx, ry] = r.points[i];
          d.landmarks = Math.max(d.landmarks, Math.hypot(x - rx, y - ry) / width);
        });
      } else if (field === 'parsing') {
        d.parsing = Math.max(d.parsing, maskDisagreement(a, r));
      } else if (field === 'age') {
        d.ageYears = Math.max(d.ageYears, Math.abs(a.years - r.years));
      } else {
        for (const label of Object.keys(r.probs))
          d.expression = Math.max(d.expression, Math.abs(a.probs[label] - r.probs[label]));
      }
    }
  }
  if (!!actual.attributes !== !!reference.attributes) d.missing.push('attributes');
  else if (reference.attributes) {
    for (const name of Object.keys(reference.attributes))
      d.attributes = Math.max(d.attributes, Math.abs(actual.attributes[name] - reference.attributes[name]));
  }
  if (!!actual.identity !== !!reference.identity) d.missing.push('identity');
  else if (reference.identity) {
    d.identity = 1 - cosineSimilarity(actual.identity.embedding, reference.identity.embedding);
  }
  return d;
}
