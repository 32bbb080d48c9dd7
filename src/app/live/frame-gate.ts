/**
 * Frames are never queued: a frame is grabbed only while the worker is idle, and a frame that arrives while it is
 * busy is skipped (the next one after it finishes is the newest). This gate holds that rule and the rates. Pure.
 */
export class FrameGate {
  private busy = false;
  private doneTimes: number[] = [];
  analysed = 0;
  skipped = 0;

  /**
   * `history`: how many recent frames the rate is measured over. A count, not a time window: with a time window
   * a device that needs more than the window per frame reads "0 fps" although it analyses a frame per second.
   */
  constructor(private readonly history = 8) {}

  /** Call for every camera frame; true means "grab and analyse this one". */
  offer(): boolean {
    if (this.busy) {
      this.skipped++;
      return false;
    }
    this.busy = true;
    return true;
  }

  /** Call when the analysis of the admitted frame ended (success or failure). */
  done(at: number): void {
    this.busy = false;
    this.analysed++;
    this.doneTimes.push(at);
    if (this.doneTimes.length > this.history + 1) this.doneTimes.shift();
  }

  /** Release without counting (e.g. the grab itself failed). */
  abort(): void {
    this.busy = false;
  }

  /** Analysed frames per second over the last `history` frames (0 until two frames are done). */
  fps(): number {
    const n = this.doneTimes.length;
    if (n < 2) return 0;
    const span = this.doneTimes[n - 1] - this.doneTimes[0];
    return span > 0 ? ((n - 1) * 1000) / span : 0;
  }
}
