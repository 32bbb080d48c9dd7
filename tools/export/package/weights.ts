/**
 * The weights file in Node: the store of weight-store.ts writing `weights.bin` at a path (tests and tools that make
 * a weights file without a whole package). Everything else is re-exported from the Node-free module.
 */
import { nodeFile } from './node-sink.ts';
import { SinkWeightStore, type Precision } from './weight-store.ts';

export { QUANT, WEIGHTS_FILE, SinkWeightStore, type Precision } from './weight-store.ts';

export class WeightStore extends SinkWeightStore {
  /** `path` null = dry run (see SinkWeightStore). */
  constructor(path: string | null, precision: Precision, keepFloat32?: (id: string) => boolean) {
    super(path === null ? null : nodeFile(path), precision, keepFloat32);
  }
}
