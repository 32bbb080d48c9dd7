// Entry of an analyze worker thread (analyze-pool.ts). Worker threads do not take the parent's TypeScript loader
// (Node 20 applies `--import tsx` hooks to the main thread only), so the thread registers tsx itself, then loads the
// worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./analyze-worker.ts');
