/** Why a checkpoint could not be read. Every message names the file and the problem. */
export type CheckpointErrorCode =
  | 'not_found'
  | 'not_zip'
  | 'legacy_format'
  | 'ambiguous_zip'
  | 'crc_mismatch'
  | 'old_protocol'
  | 'truncated'
  | 'compressed'
  | 'not_torch'
  | 'big_endian'
  | 'forbidden_global'
  | 'bad_pickle'
  | 'no_state_dict'
  | 'storage_missing'
  | 'unsupported_dtype'
  | 'non_contiguous'
  | 'closed';

export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  readonly file: string;
  constructor(code: CheckpointErrorCode, file: string, detail: string) {
    super(`${detail} (${file})`);
    this.name = 'CheckpointError';
    this.code = code;
    this.file = file;
  }
}
