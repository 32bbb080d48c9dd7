/** Which execution provider runs, why a fallback happened, engine errors, and the settings that steer it. */
import { useEngine } from '../../state/engine.ts';
import { useSettings } from '../../state/settings.ts';
import type { ProviderPreference } from '../../../workers/perception-api.ts';

export function EngineBar() {
  const { phase, status, error, errorCode, notice } = useEngine();
  const settings = useSettings();
  return (
    <div className="engine-bar">
      <span className={`badge ${phase}`} role="status" aria-live="polite" data-testid="engine-state" data-phase={phase}>
        {phase === 'loading' && 'loading detector…'}
        {phase === 'error' && 'engine failed'}
        {phase === 'ready' && status && (
          <>
            running on <b data-testid="engine-provider">{status.provider}</b>{' '}
            <small
              data-testid="engine-threads"
              data-threads={status.wasmThreads}
              title={`${status.wasmThreads} WASM thread${status.wasmThreads === 1 ? '' : 's'} (more than one needs a cross-origin isolated page); every model computes in float32${status.shaderF16 ? ' (this GPU has shader-f16, unused)' : ''}`}
            >
              · {status.wasmThreads} thread{status.wasmThreads === 1 ? '' : 's'} · fp32
              {status.shaderF16 ? ' (f16 unused)' : ''}
            </small>
          </>
        )}
      </span>
      {phase === 'ready' && status?.fallbackReason && (
        <span className="note" data-testid="engine-fallback">
          WASM because {status.fallbackReason}
        </span>
      )}
      {notice && (
        <span className="note warn" data-testid="engine-notice">
          {notice}
        </span>
      )}
      {status?.warnings.map((w) => (
        <span key={w} className="note warn" data-testid="engine-warning">
          {w}
        </span>
      ))}
      {phase === 'error' && (
        <p className="error" role="alert" data-testid="engine-error" data-code={errorCode ?? undefined}>
          {error}
        </p>
      )}
      <label>
        Execution provider{' '}
        <select
          data-testid="setting-provider"
          value={settings.provider}
          onChange={(e) => settings.set({ provider: e.target.value as ProviderPreference })}
        >
          <option value="auto">auto (WebGPU on a real GPU, else WASM)</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">WASM</option>
        </select>
        {settings.providerFromUrl && <small> (from ?ep=)</small>}
      </label>
    </div>
  );
}
