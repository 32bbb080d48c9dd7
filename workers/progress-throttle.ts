/**
 * Model-load progress crosses the worker boundary through a comlink proxy (a postMessage per call): a 400 MB file
 * streamed in 64 KB chunks would post thousands of messages. Pass on at most one call per `minMs`, plus the first
 * call and the final one (loaded = total), so the bar still starts and ends exactly.
 */
import type { ModelLoadProgress } from './perception-api.ts';

export function throttleProgress(
  emit: (p: ModelLoadProgress) => void,
  minMs = 100,
  now: () => number = () => performance.now(),
): (p: ModelLoadProgress) => void {
  let last = -Infinity;
  let lastLoaded = -1;
  let lastPhase: ModelLoadProgress['phase'];
  return (p) => {
    const t = now();
    // a new phase (reading → verifying) is always passed on: it is what the user waits for next
    if (p.phase !== lastPhase) {
      last = t;
      lastLoaded = p.loaded;
      lastPhase = p.phase;
      emit(p);
      return;
    }
    const final = p.total > 0 && p.loaded >= p.total;
    if (p.loaded === lastLoaded && !final) return;
    if (!final && t - last < minMs) return;
    if (final && p.loaded === lastLoaded) return; // the end already reported
    last = t;
    lastLoaded = p.loaded;
    emit(p);
  };
}
