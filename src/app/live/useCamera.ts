/**
 * Webcam lifecycle + the live detection loop (frame-loop.ts, shared with video files). One frame at a time: a
 * frame is grabbed only while the worker is idle; frames arriving while it is busy are skipped, so the overlay
 * always shows the newest analysed frame and latency never builds up.
 */
import { useCallback, useEffect, useRef, type RefObject } from 'react';
import { TIMING_HISTORY, useLive } from '../../state/live.ts';
import { useEngineClient } from '../engine/EngineProvider.tsx';
import { errorMessage } from '../engine/client.ts';
import { cameraErrorMessage } from './camera-errors.ts';
import { startFrameLoop } from './frame-loop.ts';

export function useCamera(videoRef: RefObject<HTMLVideoElement | null>) {
  const client = useEngineClient();
  const streamRef = useRef<MediaStream | null>(null);
  const runRef = useRef(0); // generation counter: a stopped loop must not touch state of a newer start

  const stop = useCallback(() => {
    runRef.current++;
    streamRef.current?.getTracks().forEach((t) => t.stop());
    streamRef.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
    // Tracks belong to one stream: a new start (or another camera) must not inherit ids or carried results.
    void client.api.resetVideo().catch(() => undefined);
    useLive.getState().set({ camera: 'off', latest: null, fps: 0, error: null }); // a stopped camera has no error to show
  }, [videoRef, client]);

  const start = useCallback(
    async (deviceId?: string) => {
      stop();
      const run = runRef.current;
      const live = useLive.getState();
      live.set({ camera: 'starting', error: null, framesAnalysed: 0, fps: 0, recentTimings: [] });
      try {
        if (!navigator.mediaDevices?.getUserMedia)
          throw Object.assign(new Error('no mediaDevices'), { name: 'NoMediaDevices' });
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: deviceId ? { deviceId: { exact: deviceId } } : { width: { ideal: 640 }, height: { ideal: 480 } },
        });
        if (run !== runRef.current) {
          stream.getTracks().forEach((t) => t.stop());
          return;
        }
        streamRef.current = stream;
        const video = videoRef.current;
        if (!video) throw new Error('the video element is missing');
        video.srcObject = stream;
        await video.play();
        const devices = (await navigator.mediaDevices.enumerateDevices())
          .filter((d) => d.kind === 'videoinput')
          .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }));
        const activeId = stream.getVideoTracks()[0]?.getSettings().deviceId ?? deviceId ?? null;
        useLive.getState().set({ camera: 'on', devices, deviceId: activeId });
        loop(video, run);
      } catch (err) {
        if (run !== runRef.current) return;
        streamRef.current?.getTracks().forEach((t) => t.stop());
        streamRef.current = null;
        useLive.getState().set({ camera: 'error', error: cameraErrorMessage(err) });
      }
    },
    [stop, videoRef],
  );

  function loop(video: HTMLVideoElement, run: number) {
    startFrameLoop(video, client, {
      isCurrent: () => run === runRef.current,
      onResult: ({ result, grabbedAt, grabMs, roundTripMs, gate }) => {
        const live = useLive.getState();
        const recentTimings = [
          ...live.recentTimings.slice(-(TIMING_HISTORY - 1)),
          { ...result.timings, grabMs, roundTripMs },
        ];
        live.set({
          latest: result,
          latestAt: grabbedAt,
          fps: gate.fps(),
          framesAnalysed: gate.analysed,
          error: null,
          recentTimings,
        });
      },
      onError: (err) => useLive.getState().set({ error: `A frame could not be analysed: ${errorMessage(err)}` }),
    });
  }

  useEffect(() => stop, [stop]);
  return { start, stop };
}
