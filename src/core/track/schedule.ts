/**
 * Scheduling of the expensive 512 (group B) pass in video. The 112 tasks run on every frame the worker takes;
 * the 512 pass (~25× the cost) is refreshed per track at a lower rate, round-robin, and its last results are
 * carried by the track in between. Pure decisions over plain numbers.
 */

export interface DenseScheduleOptions {
  /** At most this many tracks get a 512 pass in one frame. */
  readonly maxPerFrame: number;
  /** A track is not refreshed again before this many ms have passed since its last 512 pass. */
  readonly minIntervalMs: number;
}

/**
 * Which tracks need a dense refresh this frame: tracks that never had one come first (oldest id first, so a new
 * face gets its landmarks/mask promptly), then the longest-waiting ones. Taking the longest-waiting track each
 * time is what makes it round-robin when several faces compete for `maxPerFrame` slots.
 */
export function pickDenseRefresh(
  trackIds: readonly number[],
  lastDenseMs: ReadonlyMap<number, number>,
  nowMs: number,
  options: DenseScheduleOptions,
): number[] {
  const due = trackIds.filter((id) => {
    const last = lastDenseMs.get(id);
    return last === undefined || nowMs - last >= options.minIntervalMs;
  });
  due.sort((a, b) => {
    const la = lastDenseMs.get(a),
      lb = lastDenseMs.get(b);
    if (la === undefined || lb === undefined) return la === lb ? a - b : la === undefined ? -1 : 1;
    return la - lb || a - b;
  });
  return due.slice(0, Math.max(0, Math.floor(options.maxPerFrame)));
}

/**
 * Per-track refresh interval that keeps the 512 pass under `maxShare` of the worker's time:
 * with a 512 pass costing `denseCostMs` per face and `faces` tracks, refreshing each every
 * faces·denseCostMs/maxShare ms spends at most maxShare of the time on it. A fast device gets 0 (every frame).
 */
export function denseRefreshIntervalMs(
  denseCostMs: number,
  faces: number,
  frameIntervalMs: number,
  maxShare = 0.5,
): number {
  if (!(denseCostMs >= 0) || !(faces >= 0) || !(maxShare > 0 && maxShare <= 1))
    throw new Error('denseRefreshIntervalMs: invalid arguments');
  const interval = (faces * denseCostMs) / maxShare;
  return interval <= frameIntervalMs ? 0 : interval;
}
