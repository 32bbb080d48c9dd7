// Worker entry for the checkpoint fuzz test: worker threads do not inherit the test's TypeScript loader.
import { tsImport } from 'tsx/esm/api';

await tsImport('./fuzz-worker.ts', import.meta.url);
