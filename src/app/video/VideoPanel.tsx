/**
 * Video files (any mp4/webm the browser decodes): play with the live overlay (the camera's loop and scheduling,
 * the <video> element is just another frame source), or analyse the whole video at a chosen rate with progress
 * and cancel; then per-track timelines under the video (a cursor that seeks) and JSON/CSV exports.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useEngineClient } from '../engine/EngineProvider.tsx';
import { errorMessage } from '../engine/client.ts';
import { useEngine } from '../../state/engine.ts';
import { useLive } from '../../state/live.ts';
import { isVideoFile, useVideo, VIDEO_RATES } from '../../state/video.ts';
import { expandFrame, nearestFrame, videoCsv, videoDocumentText } from '../../state/video-results.ts';
import { DropTarget } from '../common/DropTarget.tsx';
import { FilePickerButton } from '../common/FilePickerButton.tsx';
import { OverlayCanvas } from '../overlay/OverlayCanvas.tsx';
import { LiveOverlay } from '../live/LivePanel.tsx';
import { FaceList } from '../faces/FaceList.tsx';
import { startFrameLoop } from '../live/frame-loop.ts';
import { analyseWholeVideo } from './analyse-video.ts';
import { Timelines, useIdentityMatcher } from './Timelines.tsx';
import { downloadText } from '../gallery/export-json.ts';
import { fileStem } from '../gallery/card-files.ts';
import './video.css';
import './test-section.ts';

export function VideoPanel() {
  const client = useEngineClient();
  const videoRef = useRef<HTMLVideoElement>(null);
  const { file, error, liveOverlay, latest, latestAt, rate, state, done, total, frames } = useVideo();
  const camera = useLive((s) => s.camera);
  const engineReady = useEngine((s) => s.phase === 'ready');
  const [playing, setPlaying] = useState(false);
  const [currentMs, setCurrentMs] = useState(0);
  const [durationMs, setDurationMs] = useState(0);
  const abort = useRef<AbortController | null>(null);
  const match = useIdentityMatcher();
  const cameraOn = camera === 'on' || camera === 'starting';
  const running = state === 'running';

  // Live overlay while playing: one loop per play; the worker's tracks start afresh (a seek breaks their motion).
  useEffect(() => {
    const video = videoRef.current;
    if (!video || !playing || !liveOverlay || running || cameraOn) return;
    let current = true;
    void client.api.resetVideo().catch(() => undefined);
    startFrameLoop(video, client, {
      isCurrent: () => current,
      mediaTimestamps: true,
      onResult: ({ result, grabbedAt, gate }) =>
        useVideo.getState().set({ latest: result, latestAt: grabbedAt, fps: gate.fps(), error: null }),
      onError: (err) => useVideo.getState().set({ error: `A frame could not be analysed: ${errorMessage(err)}` }),
    });
    return () => {
      current = false;
    };
  }, [client, playing, liveOverlay, running, cameraOn, file]);
  useEffect(() => () => abort.current?.abort(), []);

  const analyse = () => {
    const video = videoRef.current;
    if (!video) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    const store = useVideo.getState();
    store.set({ state: 'running', done: 0, total: 0, frames: [], error: null, latest: null });
    analyseWholeVideo(video, client, store.rate, {
      signal: controller.signal,
      onStart: (n) => useVideo.getState().set({ total: n }),
      onFrame: (frame, n) => useVideo.getState().set({ frames: [...useVideo.getState().frames, frame], done: n }),
    }).then(
      () => useVideo.getState().set({ state: controller.signal.aborted ? 'cancelled' : 'done' }),
      (err: unknown) =>
        useVideo.getState().set({ state: 'error', error: `The video could not be analysed: ${errorMessage(err)}` }),
    );
  };
  const cancel = () => {
    abort.current?.abort();
    useVideo.getState().set({ state: 'cancelled' });
  };
  const seek = (ms: number) => {
    if (videoRef.current) videoRef.current.currentTime = ms / 1000;
  };

  // Paused (or overlay off): the analysed frame nearest to the shown time, when one is close enough.
  const interval = 1000 / rate;
  const shownIndex = useMemo(() => nearestFrame(frames, currentMs, interval / 2), [frames, currentMs, interval]);
  const shownFrame = (!playing || !liveOverlay) && shownIndex >= 0 ? frames[shownIndex] : null;
  const shown = useMemo(() => (shownFrame ? expandFrame(shownFrame) : null), [shownFrame]);
  const stem = file ? fileStem(file.name) : 'video';

  const onDrop = (data: DataTransfer) => {
    const f = [...data.files].find(isVideoFile);
    if (f) useVideo.getState().open(f);
    else if (data.files.length)
      useVideo.getState().set({ error: 'That is not a video file (mp4 or webm that this browser can play).' });
  };

  return (
    <section className="panel video-panel" aria-labelledby="video-title" data-testid="video-panel">
      <details open className="panel-fold">
        <summary>
          <h2 id="video-title">Video file</h2>
        </summary>
        <DropTarget testId="video-dropzone" className="video-drop" onDrop={onDrop}>
          <p>Drop a video here (mp4 or webm this browser can play), or</p>
          <FilePickerButton
            accept="video/*"
            testId="video-input"
            onFiles={(fs) => {
              if (fs[0]) useVideo.getState().open(fs[0]);
            }}
          >
            choose a video…
          </FilePickerButton>
        </DropTarget>
        {error && (
          <p className="error" role="alert" data-testid="video-error">
            {error}
          </p>
        )}
        {file && (
          <>
            <div className="stage">
              <video
                ref={videoRef}
                src={file.url}
                controls
                muted
                playsInline
                data-testid="video-player"
                onPlay={() => setPlaying(true)}
                onPause={() => setPlaying(false)}
                onEnded={() => setPlaying(false)}
                onTimeUpdate={(e) => setCurrentMs(e.currentTarget.currentTime * 1000)}
                onSeeked={(e) => setCurrentMs(e.currentTarget.currentTime * 1000)}
                onLoadedMetadata={(e) => setDurationMs(e.currentTarget.duration * 1000)}
                onError={() =>
                  useVideo
                    .getState()
                    .set({ error: `This browser cannot play ${file.name} (not a video, or a codec it lacks).` })
                }
              />
              {playing && liveOverlay && latest && (
                <LiveOverlay
                  videoRef={videoRef}
                  latest={latest}
                  grabbedAt={latestAt}
                  highlightedFace={null}
                  testId="video-live-overlay"
                />
              )}
              {shown && (
                <OverlayCanvas width={shown.width} height={shown.height} faces={shown.faces} testId="video-overlay" />
              )}
            </div>
            <div className="controls">
              <label
                title={
                  cameraOn
                    ? 'Stop the camera first: one live source at a time'
                    : 'Analyse frames while the video plays, like the camera'
                }
              >
                <input
                  type="checkbox"
                  checked={liveOverlay}
                  disabled={cameraOn}
                  onChange={(e) => useVideo.getState().set({ liveOverlay: e.target.checked })}
                />{' '}
                overlay while playing
              </label>
              <label>
                Analyse at{' '}
                <select
                  value={rate}
                  disabled={running}
                  data-testid="video-rate"
                  onChange={(e) => useVideo.getState().set({ rate: Number(e.target.value) })}
                >
                  {VIDEO_RATES.map((r) => (
                    <option key={r} value={r}>
                      {r} frame{r === 1 ? '' : 's'}/s
                    </option>
                  ))}
                </select>
              </label>
              {running ? (
                <button type="button" data-testid="video-cancel" onClick={cancel}>
                  Cancel
                </button>
              ) : (
                <button type="button" data-testid="video-analyse" disabled={!engineReady} onClick={analyse}>
                  Analyse whole video
                </button>
              )}
              <button type="button" className="link" disabled={running} onClick={() => useVideo.getState().close()}>
                Close video
              </button>
            </div>
            {(running || total > 0) && (
              <div
                className="video-progress"
                data-testid="video-progress"
                data-state={state}
                data-done={done}
                data-total={total}
              >
                <progress max={total || 1} value={done} />
                <span role="status">
                  {state === 'running'
                    ? `analysing frame ${Math.min(done + 1, total)} of ${total}…`
                    : state === 'cancelled'
                      ? `cancelled after ${done} of ${total} frames`
                      : state === 'done'
                        ? `${done} frames analysed`
                        : ''}
                </span>
              </div>
            )}
            {frames.length > 0 && !running && (
              <div className="controls">
                <button
                  type="button"
                  data-testid="video-export-json"
                  onClick={() => downloadText(`${stem}.frames.json`, videoDocumentText(file.name, frames))}
                >
                  Export JSON
                </button>
                <button
                  type="button"
                  data-testid="video-export-csv"
                  onClick={() => downloadText(`${stem}.frames.csv`, videoCsv(file.name, frames, match), 'text/csv')}
                >
                  Export CSV
                </button>
              </div>
            )}
            <Timelines currentMs={currentMs} durationMs={durationMs} onSeek={seek} />
            {playing && liveOverlay && latest?.model && <FaceList analysis={latest} testId="video-faces" />}
            {shown?.model && <FaceList analysis={shown} testId="video-faces" />}
          </>
        )}
      </details>
    </section>
  );
}
