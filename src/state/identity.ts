/**
 * The identity gallery of this browser: who has been enrolled, the match threshold, and persistence.
 * The gallery model itself (enrol, match, JSON format) is the pure core (src/core/identity); this store adds
 * names-as-keys enrolment, saving after every change and loading on start. Storage is a KeyValueStore
 * (IndexedDB in the page, a Map in tests). When storage fails (private mode, blocked, quota) the gallery keeps
 * working for this page and `status` says 'error' with a plain message.
 */
import { create, type StateCreator } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  DEFAULT_MATCH_THRESHOLD,
  EMPTY_GALLERY,
  GalleryImportError,
  MAX_GALLERY_FILE_BYTES,
  deletePerson,
  enrol as enrolSample,
  matchFace,
  mergeGalleries,
  type EmbeddingModel,
  parseGallery,
  renamePerson,
  serializeGallery,
  type Gallery,
  type GalleryMatch,
  type Person,
} from '../core/identity/index.ts';
import type { Floats } from '../core/faceptor/decode.ts';
import { indexedDbKeyValueStore, type KeyValueStore } from './identity-db.ts';

/** Storage keys: the gallery as the core's versioned JSON text, and the threshold (cheap to write while sliding). */
export const GALLERY_KEY = 'gallery';
export const THRESHOLD_KEY = 'threshold';

export type IdentityStatus = 'loading' | 'ready' | 'error';

export interface EnrolResult {
  readonly personId: string;
  readonly name: string;
  /** Samples the person holds after this one. */
  readonly samples: number;
  /** True when the name was new and a person was created. */
  readonly created: boolean;
}

export interface IdentityState {
  readonly gallery: Gallery;
  /** Cosine similarity at or above which a face is taken to be the person (0..1). */
  readonly threshold: number;
  /** 'loading' until storage answered; 'error' when the gallery cannot be saved in this browser. */
  readonly status: IdentityStatus;
  /** Why the gallery is not kept in this browser (status 'error'); it still works on this page. */
  readonly storageError: string | null;
  /** The last refused action (import, enrol, rename…), in plain words; cleared by the next successful change. */
  readonly error: string | null;
  /** Resolves once the saved gallery was loaded (or loading failed). */
  readonly ready: Promise<void>;
  /**
   * Adds a sample. An existing name (trimmed, case-insensitive) gets another sample; a new name creates a person.
   * Throws (and sets `error`) on an empty name or an embedding of another size than the gallery's.
   */
  enrol(name: string, embedding: Floats, model?: EmbeddingModel | null): EnrolResult;
  rename(personId: string, name: string): void;
  remove(personId: string): void;
  removeAll(): void;
  /**
   * Replaces the gallery with an exported one (its text, or the picked file: its size is checked before it is
   * read). Strict: on any problem it throws, sets `error`, changes nothing. `confirmReplace` is asked only once the
   * file has been read successfully (a bad file is refused without a question); returning false keeps the gallery.
   * Resolves true when the gallery was replaced AND stored: when this browser's storage refuses the write (quota,
   * an aborted transaction), the previous gallery comes back, `error` says so and it throws — the panel never shows
   * as saved what a reload would not bring back. (Where storage is off altogether, `storageError` already says
   * the gallery lives on this page only; the import then applies to the page.)
   */
  importJson(
    file: string | GalleryFile,
    confirmReplace?: (incoming: Gallery) => boolean | Promise<boolean>,
    mode?: ImportMode,
  ): Promise<boolean>;
  /** The gallery as the core's versioned JSON text (what importJson reads back). */
  exportJson(): string;
  setThreshold(threshold: number): void;
  /** Best person for an embedding (of `model`, when given) at the current threshold; null when none to compare. */
  matchFor(embedding: Floats, model?: string): GalleryMatch | null;
  clearError(): void;
  /** Resolves when every change so far has been written (or failed to). */
  flush(): Promise<void>;
}

/** The parts of a picked File that importJson reads. */
export interface GalleryFile {
  readonly name?: string;
  readonly size: number;
  text(): Promise<string>;
}
/** 'replace': the file becomes the gallery; 'merge': its people are added (same name → more samples). */
export type ImportMode = 'replace' | 'merge';

export interface IdentityDeps {
  readonly db: KeyValueStore;
  readonly now?: () => number;
  readonly newId?: () => string;
}

/** Person whose name equals `name` ignoring case and surrounding spaces. */
export function findPersonByName(gallery: Gallery, name: string): Person | undefined {
  const key = name.trim().toLocaleLowerCase();
  return key ? gallery.people.find((p) => p.name.trim().toLocaleLowerCase() === key) : undefined;
}

/**
 * Why an embedding of `size` values cannot be compared with this gallery (it was built with another model), or
 * null when it can. The core would throw; the UI says this instead of matching.
 */
export function embeddingMismatch(gallery: Gallery, size: number): string | null {
  if (gallery.embeddingSize === null || gallery.embeddingSize === size) return null;
  return `the gallery holds ${gallery.embeddingSize}-value embeddings but this model gives ${size}: it was made with another model`;
}

/** matchFace that answers null instead of throwing when the sizes differ (see embeddingMismatch). */
export function matchEmbedding(
  gallery: Gallery,
  threshold: number,
  embedding: Floats | undefined,
  model?: string,
): GalleryMatch | null {
  if (!embedding || embedding.length === 0 || embeddingMismatch(gallery, embedding.length)) return null;
  try {
    return matchFace(gallery, embedding, threshold, model);
  } catch {
    return null; // zero / non-finite embedding: nothing to compare
  }
}

export function isValidThreshold(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function defaultId(): string {
  // randomUUID needs a secure context (https or localhost); elsewhere a random string is unique enough here.
  return globalThis.crypto?.randomUUID?.() ?? `p-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function identityState(deps: IdentityDeps): StateCreator<IdentityState> {
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? defaultId;
  return (set, get) => {
    // Changes made before storage answered are replayed on top of what was loaded, so an early enrolment
    // neither loses the saved gallery nor gets lost itself.
    let pending: ((g: Gallery) => Gallery)[] | null = [];
    let thresholdChangedWhileLoading = false;
    // Storage that could not even be read is not written either: we might overwrite a gallery we never saw.
    let persist = true;
    let writes: Promise<void> = Promise.resolve();

    /** Queues a write; resolves with the failure (or null once stored; undefined when nothing was written). */
    const write = (key: string, value: () => unknown): Promise<unknown> => {
      if (pending || !persist) return Promise.resolve(undefined);
      let outcome!: (e: unknown) => void;
      const done = new Promise<unknown>((resolve) => {
        outcome = resolve;
      });
      writes = writes.then(
        // value() may throw too (e.g. serialising): a failed write either way
        () =>
          Promise.resolve()
            .then(() => deps.db.put(key, value()))
            .then(
              () => {
                outcome(null);
                if (get().status === 'error') set({ status: 'ready', storageError: null });
              },
              (e) => {
                outcome(e ?? new Error('unknown storage error'));
                set({
                  status: 'error',
                  storageError: `Could not save the gallery in this browser (${message(e)}). It works on this page but will be gone after a reload.`,
                });
              },
            ),
      );
      return done;
    };
    const saveGallery = () => write(GALLERY_KEY, () => serializeGallery(get().gallery));
    let lastGalleryWrite: Promise<unknown> = Promise.resolve(undefined);
    const saveThreshold = () => write(THRESHOLD_KEY, () => get().threshold);

    /** Applies a pure gallery operation; a throwing operation changes nothing and is reported. */
    const change = (what: string, op: (g: Gallery) => Gallery): Gallery => {
      let next: Gallery;
      try {
        next = op(get().gallery);
      } catch (e) {
        set({ error: `${what}: ${message(e)}` });
        throw e;
      }
      pending?.push(op);
      set({ gallery: next, error: null });
      lastGalleryWrite = saveGallery();
      return next;
    };

    const load = async (): Promise<void> => {
      let gallery: Gallery = EMPTY_GALLERY;
      let threshold = DEFAULT_MATCH_THRESHOLD;
      let error: string | null = null;
      let storageError: string | null = null;
      try {
        const [storedGallery, storedThreshold] = await Promise.all([
          deps.db.get(GALLERY_KEY),
          deps.db.get(THRESHOLD_KEY),
        ]);
        if (storedGallery !== undefined) {
          try {
            gallery = parseGallery(storedGallery);
          } catch (e) {
            error = `The saved gallery could not be read (${message(e)}); starting with an empty one.`;
          }
        }
        if (isValidThreshold(storedThreshold)) threshold = storedThreshold;
      } catch (e) {
        persist = false;
        storageError = `This browser does not let this page keep data (e.g. a private window): the gallery works here but is gone after a reload. (IndexedDB: ${message(e)})`;
      }
      const ops = pending ?? [];
      pending = null;
      for (const op of ops) {
        try {
          gallery = op(gallery);
        } catch {
          /* e.g. renaming someone the loaded gallery replaced: skip */
        }
      }
      set({
        gallery,
        threshold: thresholdChangedWhileLoading ? get().threshold : threshold,
        status: storageError ? 'error' : 'ready',
        storageError,
        error: error ?? get().error,
      });
      if (ops.length) saveGallery();
      if (thresholdChangedWhileLoading) saveThreshold();
    };

    return {
      gallery: EMPTY_GALLERY,
      threshold: DEFAULT_MATCH_THRESHOLD,
      status: 'loading',
      storageError: null,
      error: null,
      ready: load(),

      enrol(name, embedding, model) {
        // The id of a new person is drawn once, so replaying this change after loading gives the same person.
        const freshId = newId();
        const createdAt = now();
        const op = (g: Gallery) =>
          enrolSample(g, { id: findPersonByName(g, name)?.id ?? freshId, name, embedding, createdAt, model });
        const before = findPersonByName(get().gallery, name);
        const next = change('Could not enrol', op);
        const person = next.people.find((p) => p.id === (before?.id ?? freshId))!;
        return { personId: person.id, name: person.name, samples: person.samples.length, created: !before };
      },
      rename(personId, name) {
        change('Could not rename', (g) => {
          const clash = findPersonByName(g, name);
          if (clash && clash.id !== personId) throw new Error(`${clash.name} is already in the gallery`);
          return renamePerson(g, personId, name);
        });
      },
      remove(personId) {
        change('Could not delete', (g) => deletePerson(g, personId));
      },
      removeAll() {
        change('Could not delete', () => EMPTY_GALLERY);
      },
      async importJson(file, confirmReplace, mode = 'replace') {
        let imported: Gallery;
        try {
          if (typeof file !== 'string' && file.size > MAX_GALLERY_FILE_BYTES) {
            const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
            throw new GalleryImportError(
              `the file is ${mb(file.size)}; a gallery file is at most ${mb(MAX_GALLERY_FILE_BYTES)}`,
            );
          }
          imported = parseGallery(typeof file === 'string' ? file : await file.text());
        } catch (e) {
          const why = e instanceof GalleryImportError ? e.message : `unexpected problem: ${message(e)}`;
          set({ error: `Import refused: ${why}. The gallery was not changed.` });
          throw e;
        }
        if (mode === 'replace' && confirmReplace && !(await confirmReplace(imported))) return false;
        await get().ready; // (an import during loading is stored after it; wait so its write can be checked)
        const previous = get().gallery;
        // Merge and replace take the same checked write path: a refused write brings the previous gallery back.
        const next = change(
          'Could not import',
          mode === 'merge' ? (g) => mergeGalleries(g, imported, newId) : () => imported,
        );
        const failure = await lastGalleryWrite;
        if (failure) {
          // Storage kept the previous gallery: show that one, not what a reload would not bring back.
          if (get().gallery === next) set({ gallery: previous });
          set({
            error: `Import not saved: this browser refused to store it (${message(failure)}). The gallery was not changed.`,
          });
          throw failure instanceof Error ? failure : new Error(message(failure));
        }
        return true;
      },
      exportJson: () => serializeGallery(get().gallery),
      setThreshold(threshold) {
        if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new Error('threshold must be a number');
        if (pending) thresholdChangedWhileLoading = true;
        set({ threshold: Math.min(1, Math.max(0, threshold)) });
        saveThreshold();
      },
      matchFor: (embedding, model) => matchEmbedding(get().gallery, get().threshold, embedding, model),
      clearError: () => set({ error: null }),
      flush: async () => {
        await get().ready; // changes made while loading are written after it
        // Writes queued while awaiting are chained onto `writes`; loop until it stops moving.
        for (let seen: Promise<void> | null = null; seen !== writes;) {
          seen = writes;
          await seen;
        }
      },
    };
  };
}

/** A store instance over any KeyValueStore (tests use the in-memory one). */
export function createIdentityStore(deps: IdentityDeps): StoreApi<IdentityState> {
  return createStore<IdentityState>()(identityState(deps));
}

/** The page's gallery, kept in IndexedDB. Use with a selector: `useIdentity((s) => s.gallery)`. */
export const useIdentity = create<IdentityState>()(identityState({ db: indexedDbKeyValueStore() }));
