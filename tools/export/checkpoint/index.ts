export {
  openCheckpointFrom,
  type Checkpoint,
  type TensorRef,
  type TensorDtype,
  type OpenOptions,
} from './checkpoint.ts';
export { openCheckpoint } from './open-file.ts';
export { CheckpointError, type CheckpointErrorCode } from './errors.ts';
export { WHITELIST } from './pickle.ts';
