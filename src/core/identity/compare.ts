/**
 * 1:1 comparison of two faces (or a face and an enrolled person): cosine similarity and the verdict at the
 * identity threshold. A side holds one embedding (a face) or several (a person's samples); the score is the best
 * pair, the same rule the gallery uses to match a face against a person (gallery.ts rankPeople). Embeddings of
 * different models live in different spaces, so only pairs made by the same model are compared.
 */
import { cosineSimilarity } from './gallery.ts';
import type { Floats } from '../faceptor/decode.ts';

export interface SideEmbedding {
  readonly vector: Floats;
  /** The model that made it (checkpoint sha256); null or "" (not recorded) = unknown, comparable with nothing. */
  readonly model: string | null;
}

export type Comparison =
  | { readonly ok: true; readonly similarity: number; readonly same: boolean; readonly pairs: number }
  | { readonly ok: false; readonly reason: string };

export function compareSides(a: readonly SideEmbedding[], b: readonly SideEmbedding[], threshold: number): Comparison {
  if (a.length === 0 || b.length === 0)
    return { ok: false, reason: 'one side has no identity embedding (run the identity task)' };
  let best = -Infinity;
  let pairs = 0;
  for (const x of a) {
    for (const y of b) {
      if (!x.model || x.model !== y.model) continue; // "": no identity key, like null
      if (x.vector.length !== y.vector.length)
        return { ok: false, reason: `the embeddings differ in size (${x.vector.length} vs ${y.vector.length})` };
      let s: number;
      try {
        s = cosineSimilarity(x.vector, y.vector);
      } catch {
        continue;
      } // a zero vector compares with nothing
      if (!Number.isFinite(s)) continue;
      best = Math.max(best, s);
      pairs++;
    }
  }
  if (pairs === 0)
    return { ok: false, reason: 'the two were made by different models: their embeddings cannot be compared' };
  return { ok: true, similarity: best, same: best >= threshold, pairs };
}
