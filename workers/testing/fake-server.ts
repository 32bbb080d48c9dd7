/**
 * A fetch for Node tests that serves folders on disk under URL prefixes, like a static web server: streamed bodies
 * (64 KB chunks, Content-Length), 404 for missing files or — like Vite and SPA hosts — index.html with HTTP 200.
 * `offline` makes every request fail the way browsers do (TypeError: Failed to fetch). Requests are recorded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FetchLike } from '../model-package-source.ts';

export interface FakeServer {
  readonly fetch: FetchLike;
  /** URL of every request that reached the "network" (not the failed offline ones). */
  readonly requests: string[];
  offline: boolean;
  /** Answer missing files with an HTML page and HTTP 200 (SPA fallback) instead of 404. */
  spaFallback: boolean;
  /** URL prefix (ending in '/') → folder. */
  readonly mounts: Map<string, string>;
}

const CHUNK = 64 * 1024;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + CHUNK));
      at += CHUNK;
    },
  });
}

export function fakeServer(mounts: Record<string, string> = {}): FakeServer {
  const server: FakeServer = {
    requests: [],
    offline: false,
    spaFallback: false,
    mounts: new Map(Object.entries(mounts)),
    async fetch(input) {
      if (server.offline) throw new TypeError('Failed to fetch');
      server.requests.push(input);
      const url = new URL(input);
      url.search = '';
      const mount = [...server.mounts.keys()].find((prefix) => url.href.startsWith(prefix));
      let bytes: Uint8Array | null = null;
      if (mount) {
        const rel = decodeURIComponent(url.href.slice(mount.length));
        bytes = await readFile(join(server.mounts.get(mount)!, ...rel.split('/'))).then(
          (b) => new Uint8Array(b),
          () => null,
        );
      }
      if (!bytes) {
        if (!server.spaFallback) return new Response('not found', { status: 404 });
        return new Response('<!doctype html><html><body>app</body></html>', {
          status: 200,
          headers: { 'content-type': 'text/html' },
        });
      }
      const type = url.pathname.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      return new Response(streamOf(bytes), {
        status: 200,
        headers: { 'content-type': type, 'content-length': String(bytes.byteLength) },
      });
    },
  };
  return server;
}
