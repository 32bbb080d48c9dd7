/**
 * The live analysis loop over any <video> element (camera stream or video file): one frame at a time, grabbed
 * only while the worker is idle (FrameGate), so the overlay shows the newest analysed frame and latency never
 * builds up. The worker tracks faces across these frames (VideoAnalyzer: smoothing, 512 tasks at a lower rate).
 */
import * as Comlink from 'comlink';
import type { ImageAnalysis } from '../../result.ts';
import type { EngineClient } from '../engine/client.ts';
import { useEngine } from '../../state/engine.ts';
import { useSettings } from '../../state/settings.ts';
import { currentFaceptorOptions } from '../../state/analysis-options.ts';
import { FrameGate } from './frame-gate.ts';

type VideoWithFrameCallback = HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };

export interface FrameResult {
  readonly result: ImageAnalysis;
  /** performance.now() when the frame was grabbed. */
  readonly grabbedAt: number;
  readonly grabMs: number;
  readonly roundTripMs: number;
  readonly gate: FrameGate;
}

export interface FrameLoopHooks {
  /** False once the loop's owner stopped it (camera stopped, another video): the loop ends. */
  readonly isCurrent: () => boolean;
  readonly onResult: (r: FrameResult) => void;
  readonly onError: (err: unknown) => void;
  /**
   * Video files: the frame's media time as its timestamp (µs), so the tracker measures motion in video time
   * whatever the playback speed. Camera frames keep their capture timestamps.
   */
  readonly mediaTimestamps?: boolean;
}

export function startFrameLoop(video: VideoWithFrameCallback, client: EngineClient, hooks: FrameLoopHooks): void {
  const gate = new FrameGate();
  const next = () => {
    if (!hooks.isCurrent()) return;
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);
    else requestAnimationFrame(onFrame);
  };
  const onFrame = () => {
    next();
    if (useEngine.getState().phase !== 'ready' || video.videoWidth === 0) return;
    if (!gate.offer()) return; // busy: this frame is dropped, the next one after the result is the newest
    void analyse();
  };
  const analyse = async () => {
    try {
      const t0 = performance.now();
      const init = hooks.mediaTimestamps ? { timestamp: Math.round(video.currentTime * 1e6) } : undefined;
      // A VideoFrame wraps the decoded frame without copying it; ImageBitmap is the fallback.
      const frame = typeof VideoFrame !== 'undefined' ? new VideoFrame(video, init) : await createImageBitmap(video);
      const grabMs = performance.now() - t0;
      const minScore = useSettings.getState().minScore;
      const result = await client.api.analyzeFrame(Comlink.transfer(frame, [frame]), {
        minScore,
        ...currentFaceptorOptions(),
      });
      const t1 = performance.now();
      gate.done(t1);
      if (!hooks.isCurrent()) return;
      hooks.onResult({ result, grabbedAt: t0, grabMs, roundTripMs: t1 - t0, gate });
    } catch (err) {
      gate.abort();
      if (hooks.isCurrent()) hooks.onError(err);
    }
  };
  next();
}
