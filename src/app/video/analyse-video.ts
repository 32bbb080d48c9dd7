/**
 * Whole-video analysis at a chosen rate: seek to each sample time, copy that frame's pixels, analyse them like a
 * photo (every enabled task on every sampled frame, so the numbers are what the CLI gives for the same frame),
 * then give faces track ids (tracker association). Sequential, cancellable between frames; results so far stay.
 */
import * as Comlink from 'comlink';
import type { EngineClient } from '../engine/client.ts';
import { FaceTracker } from '../../core/track/tracker.ts';
import { assignTracks, compactFrame, sampleTimes, type VideoFrameResult } from '../../state/video-results.ts';
import { useSettings } from '../../state/settings.ts';
import { currentFaceptorOptions } from '../../state/analysis-options.ts';

const SEEK_TIMEOUT_MS = 15_000;

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number }) => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/** After 'seeked', how long to wait for the new frame's presentation callback before reading anyway. */
const PRESENT_GRACE_MS = 500;

/**
 * Seeks and resolves once the frame at `seconds` can be read. 'seeked' alone is not enough: Chromium may still
 * draw the previous frame for a moment after it (seen as a face one or two frames behind, e2e/media.spec.ts), so
 * the frame's presentation (requestVideoFrameCallback) is awaited too; a seek to the frame already shown presents
 * nothing, hence the short grace period.
 */
export function seekFrame(video: FrameCallbackVideo, seconds: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seeked = false,
      presented = !video.requestVideoFrameCallback,
      grace: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(grace);
      video.removeEventListener('seeked', onSeeked);
      resolve();
    };
    const onSeeked = () => {
      seeked = true;
      if (presented) finish();
      else
        grace = setTimeout(() => {
          if (handle !== undefined) video.cancelVideoFrameCallback?.(handle);
          finish();
        }, PRESENT_GRACE_MS);
    };
    const handle = video.requestVideoFrameCallback?.(() => {
      presented = true;
      if (seeked) finish();
    });
    const timer = setTimeout(() => {
      video.removeEventListener('seeked', onSeeked);
      clearTimeout(grace);
      reject(new Error(`the video did not seek to ${seconds.toFixed(2)} s`));
    }, SEEK_TIMEOUT_MS);
    video.addEventListener('seeked', onSeeked);
    video.currentTime = seconds;
  });
}

export interface WholeVideoHooks {
  readonly signal: AbortSignal;
  readonly onStart: (total: number) => void;
  readonly onFrame: (frame: VideoFrameResult, done: number) => void;
}

export async function analyseWholeVideo(
  video: HTMLVideoElement,
  client: EngineClient,
  rate: number,
  hooks: WholeVideoHooks,
): Promise<void> {
  video.pause();
  const times = sampleTimes(video.duration, rate);
  hooks.onStart(times.length);
  const tracker = new FaceTracker();
  const canvas = document.createElement('canvas');
  for (let i = 0; i < times.length; i++) {
    if (hooks.signal.aborted) return;
    await seekFrame(video, times[i] / 1000);
    const { videoWidth: width, videoHeight: height } = video;
    if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser cannot read video pixels (no 2D canvas)');
    ctx.drawImage(video, 0, 0, width, height);
    const { data } = ctx.getImageData(0, 0, width, height);
    const { minScore } = useSettings.getState();
    // the 128 detector, as for the camera (README: video always uses the 128 model)
    const analysis = await client.api.analyzePixels(Comlink.transfer({ width, height, data }, [data.buffer]), {
      detector: 'front',
      minScore,
      ...currentFaceptorOptions(),
    });
    if (hooks.signal.aborted) return;
    hooks.onFrame(compactFrame(times[i], assignTracks(tracker, analysis, times[i])), i + 1);
  }
}
