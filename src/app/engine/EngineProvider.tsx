/**
 * Owns the worker for the page's lifetime and (re)initialises it when the provider setting changes.
 * The client is a page-level singleton (not per mount): React StrictMode mounts, unmounts and remounts effects, and
 * a worker terminated in a cleanup would be gone for the remount. Init is idempotent in the worker.
 */
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { useEngine } from '../../state/engine.ts';
import { useSettings } from '../../state/settings.ts';
import { createEngineClient, type EngineClient } from './client.ts';
import { errorInfo } from '../../core/errors.ts';
import { threadsFromUrl } from '../../state/url-params.ts';

let singleton: EngineClient | null = null;
function engineClient(): EngineClient {
  singleton ??= createEngineClient();
  return singleton;
}

const EngineContext = createContext<EngineClient | null>(null);

export function useEngineClient(): EngineClient {
  const client = useContext(EngineContext);
  if (!client) throw new Error('useEngineClient must be used inside <EngineProvider>');
  return client;
}

export function EngineProvider({ children }: { children: ReactNode }) {
  const client = engineClient();
  const provider = useSettings((s) => s.provider);

  useEffect(() => {
    let current = true;
    useEngine.getState().loading();
    client
      .init(
        {
          preference: provider,
          baseUrl: new URL(import.meta.env.BASE_URL, location.href).href,
          wasmThreads: threadsFromUrl(location.search),
        },
        (status, notice) => useEngine.getState().changed(status, notice),
      )
      .then((status) => {
        if (current) useEngine.getState().ready(status);
      })
      .catch((err: unknown) => {
        if (current) {
          const { message, code } = errorInfo(err);
          useEngine.getState().failed(message, code);
        }
      });
    return () => {
      current = false;
    };
  }, [client, provider]);

  return <EngineContext.Provider value={client}>{children}</EngineContext.Provider>;
}
