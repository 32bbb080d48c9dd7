/**
 * The app's URL parameters for tests and bug reports: `?ep=webgpu|wasm|auto` (execution provider) and `?threads=N`
 * (cap on WASM threads). Parsed on the UI thread and handed to the worker in EngineInit; anything malformed is
 * ignored so the stored setting or the default applies.
 */
import type { ProviderPreference } from '../../workers/perception-api.ts';

/** Reads `?ep=webgpu|wasm` (anything else → null, so the stored setting applies). */
export function providerFromUrl(search: string): ProviderPreference | null {
  const ep = new URLSearchParams(search).get('ep');
  return ep === 'webgpu' || ep === 'wasm' || ep === 'auto' ? ep : null;
}

/** Reads `?threads=N` (a positive integer; anything else → null, so the default applies). */
export function threadsFromUrl(search: string): number | null {
  const raw = new URLSearchParams(search).get('threads');
  if (raw === null || !/^[1-9][0-9]{0,2}$/.test(raw)) return null;
  return Number(raw);
}
