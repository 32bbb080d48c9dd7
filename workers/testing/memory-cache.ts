/**
 * In-memory CacheStorage for Node tests. Mirrors the browser behaviours our code depends on: entries are matched by
 * URL without the fragment, bodies are stored as bytes (a stored Response can be read any number of times), and
 * headers are kept.
 */
import type { CacheLike, CacheStorageLike } from '../model-cache.ts';

interface Stored {
  readonly body: Uint8Array;
  readonly status: number;
  readonly headers: [string, string][];
}

const withoutFragment = (url: string) => url.split('#')[0];

export class MemoryCache implements CacheLike {
  readonly entries = new Map<string, Stored>();

  async match(request: string): Promise<Response | undefined> {
    const s = this.entries.get(withoutFragment(request));
    return s && new Response(s.body.slice(), { status: s.status, headers: s.headers });
  }

  async put(request: string, response: Response): Promise<void> {
    const body = new Uint8Array(await response.arrayBuffer());
    this.entries.set(withoutFragment(request), { body, status: response.status, headers: [...response.headers] });
  }

  async delete(request: string): Promise<boolean> {
    return this.entries.delete(withoutFragment(request));
  }

  async keys(): Promise<{ url: string }[]> {
    return [...this.entries.keys()].map((url) => ({ url }));
  }

  /** Test helper: overwrite a stored body in place, keeping its headers (bit rot, a tampered cache). */
  corrupt(url: string, body: Uint8Array): void {
    const s = this.entries.get(withoutFragment(url));
    if (!s) throw new Error(`no cached entry ${url}`);
    this.entries.set(withoutFragment(url), { ...s, body });
  }
}

export class MemoryCacheStorage implements CacheStorageLike {
  readonly caches = new Map<string, MemoryCache>();

  async open(name: string): Promise<MemoryCache> {
    let c = this.caches.get(name);
    if (!c) {
      c = new MemoryCache();
      this.caches.set(name, c);
    }
    return c;
  }

  async delete(name: string): Promise<boolean> {
    return this.caches.delete(name);
  }

  async has(name: string): Promise<boolean> {
    return this.caches.has(name);
  }
}
