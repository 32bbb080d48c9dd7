/**
 * Webcam demo: start/stop, camera choice, the video with its overlay, face count, rate and per-stage timings, the
 * parsing legend and one panel per tracked face.
 */
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react';
import type { ImageAnalysis } from '../../result.ts';
import { useEngine } from '../../state/engine.ts';
import { lastDenseRefreshMs, useLive } from '../../state/live.ts';
import { OverlayCanvas } from '../overlay/OverlayCanvas.tsx';
import { extrapolateFaces, isMoving } from '../overlay/overlay-geometry.ts';
import { ParsingLegend } from '../overlay/ParsingLegend.tsx';
import { FaceList } from '../faces/FaceList.tsx';
import { Timings } from '../layout/Timings.tsx';
import { useCamera } from './useCamera.ts';
import { useModels } from '../../state/models.ts';
import { useTasks } from '../../state/tasks.ts';
import { TASKS } from '../../core/faceptor/tasks.ts';
import { faceptorOptions } from '../../state/analysis-options.ts';
import { useImageAnalysis } from '../gallery/useImageAnalysis.ts';
import { errorMessage } from '../engine/client.ts';
import { grabSnapshot } from './snapshot.ts';

/** Whole seconds since `active` became true (0 while inactive), ticking once a second. */
function useElapsedSeconds(active: boolean): number {
  const [start, setStart] = useState<number | null>(null);
  const [, tick] = useState(0);
  useEffect(() => {
    if (!active) {
      setStart(null);
      return;
    }
    setStart(performance.now());
    const id = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(id);
  }, [active]);
  return start === null ? 0 : Math.floor((performance.now() - start) / 1000);
}

/** The task names the next frame will ask for (null without a model). */
function useCurrentTasks(): readonly string[] | null {
  const current = useModels((s) => s.current);
  const enabled = useTasks((s) => s.enabled);
  const heads = useTasks((s) => s.heads);
  const showLayerAttention = useTasks((s) => s.showLayerAttention);
  return current ? (faceptorOptions(current, { enabled, heads, showLayerAttention }).tasks ?? []) : null;
}

export function LivePanel() {
  const videoRef = useRef<HTMLVideoElement>(null);
  const { start, stop } = useCamera(videoRef);
  const { camera, error, devices, deviceId, latest, latestAt, fps, recentTimings } = useLive();
  const latencyMs = recentTimings.at(-1)?.roundTripMs;
  const [face, setFace] = useState<number | null>(null);
  const enginePhase = useEngine((e) => e.phase);
  const on = camera === 'on' || camera === 'starting';
  const modelLoaded = useModels((s) => s.current !== null);
  const elapsed = useElapsedSeconds(camera === 'on' && !latest);
  const waiting =
    enginePhase === 'error'
      ? 'the detector is not available (see the message above)'
      : enginePhase === 'loading'
        ? 'loading the detector…'
        : `analysing the first frame${modelLoaded ? ' (the first one also opens the model on this device, which can take a while)' : ''}… ${elapsed} s`;
  // tasks asked for vs those the shown frame ran: a new head or task opens its graph first (seconds on a slow device)
  const requested = useCurrentTasks();
  const pending =
    !!latest?.model && requested !== null && [...(latest.tasks ?? [])].sort().join() !== [...requested].sort().join();
  const oldest = Math.max(0, ...(latest?.faces.map((f) => f.denseAgeMs ?? 0) ?? [0]));
  // Faces still without landmarks and parsing although they were asked for: a face that has just appeared gets its
  // 512 pass on a later frame (src/pipeline/video.ts), ~10 s later at real size on a CPU.
  const denseAsked = latest?.tasks?.some((n) => TASKS[n].group === 512) ?? false;
  const awaitingDense = denseAsked ? (latest?.faces.filter((f) => f.denseAgeMs === undefined).length ?? 0) : 0;
  const refreshMs = lastDenseRefreshMs(recentTimings);
  const addPhotos = useImageAnalysis().add;
  const [snapshotError, setSnapshotError] = useState<string | null>(null);
  const snapshot = () => {
    const video = videoRef.current;
    if (!video) return;
    setSnapshotError(null);
    grabSnapshot(video).then(
      (file) => addPhotos([file]),
      (err: unknown) => setSnapshotError(`No snapshot: ${errorMessage(err)}`),
    );
  };

  return (
    <section className="panel live" aria-labelledby="live-title">
      {/* Foldable like every panel: the camera keeps running while folded (results still go to the face list). */}
      <details open className="panel-fold" data-testid="live-fold">
        <summary>
          <h2 id="live-title">Live camera</h2>
        </summary>
        <div className="controls">
          {on ? (
            <button type="button" data-testid="camera-stop" onClick={stop}>
              Stop camera
            </button>
          ) : (
            <button type="button" data-testid="camera-start" onClick={() => void start(deviceId ?? undefined)}>
              Start camera
            </button>
          )}
          {devices.length > 1 && (
            <label>
              Camera{' '}
              <select data-testid="camera-select" value={deviceId ?? ''} onChange={(e) => void start(e.target.value)}>
                {devices.map((d) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          {camera === 'on' && (
            <button
              type="button"
              data-testid="camera-snapshot"
              onClick={snapshot}
              title="Analyse this frame with every enabled task (landmarks and parsing too) as a photo card in Images"
            >
              Snapshot
            </button>
          )}
          <span data-testid="camera-state" data-state={camera}>
            {camera}
          </span>
        </div>
        {snapshotError && (
          <p className="error" role="alert" data-testid="snapshot-error">
            {snapshotError}
          </p>
        )}
        {error && (
          <p className="error" role="alert" data-testid="camera-error">
            {error}
          </p>
        )}
        <div className="stage" hidden={camera !== 'on'}>
          <video ref={videoRef} muted playsInline data-testid="camera-video" />
          {latest && (
            <LiveOverlay
              videoRef={videoRef}
              latest={latest}
              grabbedAt={latestAt}
              highlightedFace={face}
              onHoverFace={latest.model ? setFace : undefined}
            />
          )}
        </div>
        {camera === 'on' && (
          <div className="stats">
            <span data-testid="live-face-count" data-count={latest?.faces.length ?? -1}>
              {latest ? `${latest.faces.length} face${latest.faces.length === 1 ? '' : 's'}` : waiting}
            </span>
            <span
              data-testid="live-fps"
              data-fps={fps.toFixed(2)}
              title="Analysed frames per second, over the last frames. Frames are never queued: while one is analysed, the camera's newer frames replace it, so the overlay always shows the newest analysed frame."
            >
              {fps > 0 ? `${fps < 1 ? fps.toFixed(2) : fps.toFixed(1)} analysed frames/s` : 'measuring rate…'}
            </span>
            {latencyMs !== undefined && (
              <span
                data-testid="live-latency"
                data-ms={Math.round(latencyMs)}
                title="From grabbing a camera frame to its result on screen"
              >
                latency {formatMs(latencyMs)}
              </span>
            )}
            {pending && (
              <span className="note" role="status" data-testid="live-pending">
                applying the new task choice (opening its heads)…
              </span>
            )}
            {awaitingDense > 0 && (
              <span
                className="note"
                data-testid="live-dense-pending"
                data-faces={awaitingDense}
                title="Landmarks and parsing cost much more than the other tasks: a face that has just appeared, or one still waiting its turn for that pass, is shown with its other results first"
              >
                landmarks and parsing of {awaitingDense === 1 ? 'a face' : `${awaitingDense} faces`} come with a later
                frame…
              </span>
            )}
            {oldest >= 1000 && (
              <span
                className="note"
                data-testid="live-dense-age"
                title="Landmarks and parsing cost much more than the other tasks; on a slow device they are refreshed less often and moved with the face in between"
              >
                landmarks and parsing from {(oldest / 1000).toFixed(1)} s ago (refreshing
                {refreshMs !== undefined ? `, ≈${formatMs(refreshMs)} each` : ''}…)
              </span>
            )}
            {latest && <Timings timings={latest.timings} testId="live-timings" />}
          </div>
        )}
        {camera === 'on' && latest && <ParsingLegend faces={latest.faces} />}
        {camera === 'on' && latest?.model && (
          <FaceList analysis={latest} testId="live-faces" highlighted={face} onHover={setFace} />
        )}
      </details>
    </section>
  );
}

const formatMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

type VideoWithFrameCallback = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: () => void) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/**
 * The live overlay, redrawn at the video's frame rate: between two analyses each moving face is carried on by its
 * tracked velocity from the moment its frame was grabbed (extrapolateFaces), so boxes, points and masks stay on
 * the face instead of stepping at the (slower) analysis rate. While no face moves, no per-frame loop runs at all.
 */
export function LiveOverlay({
  videoRef,
  latest,
  grabbedAt,
  highlightedFace,
  onHoverFace,
  testId = 'live-overlay',
}: {
  videoRef: RefObject<HTMLVideoElement | null>;
  latest: ImageAnalysis;
  grabbedAt: number;
  highlightedFace: number | null;
  onHoverFace?: (index: number | null) => void;
  testId?: string;
}) {
  const [now, setNow] = useState(() => performance.now());
  const anyMoving = latest.faces.some(isMoving);
  useEffect(() => {
    const video = videoRef.current as VideoWithFrameCallback | null;
    if (!video || !anyMoving) return;
    let handle = 0;
    let stopped = false;
    const useFrameCallback = typeof video.requestVideoFrameCallback === 'function';
    const tick = () => {
      if (stopped) return;
      setNow(performance.now());
      schedule();
    };
    const schedule = () => {
      handle = useFrameCallback ? video.requestVideoFrameCallback!(tick) : requestAnimationFrame(tick);
    };
    schedule();
    return () => {
      stopped = true;
      if (useFrameCallback) video.cancelVideoFrameCallback?.(handle);
      else cancelAnimationFrame(handle);
    };
  }, [videoRef, anyMoving]);
  const faces = useMemo(() => extrapolateFaces(latest.faces, now - grabbedAt), [latest, now, grabbedAt]);
  return (
    <OverlayCanvas
      width={latest.width}
      height={latest.height}
      faces={faces}
      testId={testId}
      highlightedFace={highlightedFace}
      onHoverFace={onHoverFace}
    />
  );
}
