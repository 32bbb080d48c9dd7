/**
 * Webcam demo: start/stop, camera choice, the video with its overlay, face count, rate and per-stage timings, the
 * parsing legend and one panel per tracked face.
 */
import { useRef } from 'react';
import { useEngine } from '../../state/engine.ts';
import { useLive } from '../../state/live.ts';
import { OverlayCanvas } from '../overlay/OverlayCanvas.tsx';
import { ParsingLegend } from '../overlay/ParsingLegend.tsx';
import { FaceList } from '../faces/FaceList.tsx';
import { Timings } from '../layout/Timings.tsx';
import { useCamera } from './useCamera.ts';

export function LivePanel() {
  const videoRef = useRef<HTMLVideoElement>(null);
  const { start, stop } = useCamera(videoRef);
  const { camera, error, devices, deviceId, latest, fps, framesSkipped } = useLive();
  const enginePhase = useEngine((e) => e.phase);
  const on = camera === 'on' || camera === 'starting';
  const waiting = enginePhase === 'error' ? 'the detector is not available (see the message above)'
    : enginePhase === 'loading' ? 'loading the detector…' : 'waiting for the first frame…';

  return (
    <section className="panel live" aria-labelledby="live-title">
      <h2 id="live-title">Live camera</h2>
      <div className="controls">
        {on
          ? <button type="button" data-testid="camera-stop" onClick={stop}>Stop camera</button>
          : <button type="button" data-testid="camera-start" onClick={() => void start(deviceId ?? undefined)}>Start camera</button>}
        {devices.length > 1 && (
          <label>
            Camera{' '}
            <select data-testid="camera-select" value={deviceId ?? ''} onChange={(e) => void start(e.target.value)}>
              {devices.map((d) => <option key={d.deviceId} value={d.deviceId}>{d.label}</option>)}
            </select>
          </label>
        )}
        <span data-testid="camera-state" data-state={camera}>{camera}</span>
      </div>
      {error && <p className="error" role="alert" data-testid="camera-error">{error}</p>}
      <div className="stage" hidden={camera !== 'on'}>
        <video ref={videoRef} muted playsInline data-testid="camera-video" />
        {latest && <OverlayCanvas width={latest.width} height={latest.height} faces={latest.faces} testId="live-overlay" />}
      </div>
      {camera === 'on' && (
        <div className="stats">
          <span data-testid="live-face-count" data-count={latest?.faces.length ?? -1}>
            {latest ? `${latest.faces.length} face${latest.faces.length === 1 ? '' : 's'}` : waiting}
          </span>
          <span data-testid="live-fps">{fps.toFixed(1)} fps analysed</span>
          <span title="camera frames skipped while the worker was busy (frames are never queued)">{framesSkipped} skipped</span>
          {latest && <Timings timings={latest.timings} testId="live-timings" />}
        </div>
      )}
      {camera === 'on' && latest && <ParsingLegend faces={latest.faces} />}
      {camera === 'on' && latest?.model && <FaceList analysis={latest} testId="live-faces" />}
    </section>
  );
}
