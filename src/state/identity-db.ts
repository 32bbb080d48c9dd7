/**
 * The smallest storage interface the identity store needs (get/put/delete by key), with two implementations:
 * IndexedDB for the browser and a Map for Node tests. Keeping the store behind this interface is what lets its
 * persistence be tested without a browser. IndexedDB (not localStorage) because a gallery of 512-d samples soon
 * outgrows localStorage's few megabytes, and writes do not block the page.
 */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export function memoryKeyValueStore(
  initial?: Iterable<[string, unknown]>,
): KeyValueStore & { readonly data: Map<string, unknown> } {
  // structuredClone mimics IndexedDB: callers never share objects with what is stored.
  const data = new Map<string, unknown>(initial);
  return {
    data,
    get: async (key) => structuredClone(data.get(key)),
    put: async (key, value) => {
      data.set(key, structuredClone(value));
    },
    delete: async (key) => {
      data.delete(key);
    },
  };
}

const DB_NAME = 'faceptor-web';
const DB_VERSION = 1;
export const IDENTITY_OBJECT_STORE = 'identity';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/**
 * One object store in the app's database. The database is opened on first use, so merely importing this in a
 * place without IndexedDB (Node, some private modes) costs nothing; there every call rejects with a plain message.
 */
export function indexedDbKeyValueStore(storeName = IDENTITY_OBJECT_STORE): KeyValueStore {
  let db: Promise<IDBDatabase> | null = null;
  const open = (): Promise<IDBDatabase> => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const idb = globalThis.indexedDB;
      if (!idb) {
        reject(new Error('this browser offers no IndexedDB here'));
        return;
      }
      let req: IDBOpenDBRequest;
      try {
        req = idb.open(DB_NAME, DB_VERSION);
      } catch (e) {
        reject(e);
        return;
      }
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(storeName)) req.result.createObjectStore(storeName);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB could not be opened'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this app'));
    });
    // A failed open is not cached: a later call may succeed (e.g. the other tab closed).
    db.catch(() => {
      db = null;
    });
    return db;
  };
  const run = async <T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const tx = (await open()).transaction(storeName, mode);
    // Writes resolve only once the transaction committed (durable), not when the request was queued.
    const committed = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction was aborted'));
    });
    // A failed request also aborts the transaction: `committed` must never reject unobserved (that abort went
    // uncaught, e.g. a quota error on a large gallery).
    committed.catch(() => {});
    const result = await request(op(tx.objectStore(storeName)));
    if (mode === 'readwrite') await committed;
    return result;
  };
  return {
    get: (key) => run('readonly', (s) => s.get(key)),
    put: async (key, value) => {
      await run('readwrite', (s) => s.put(value, key));
    },
    delete: async (key) => {
      await run('readwrite', (s) => s.delete(key));
    },
  };
}
