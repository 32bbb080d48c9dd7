export type ExportPlanErrorCode =
  'unknown_variant' | 'missing_keys' | 'wrong_shapes' | 'wrong_dtypes' | 'unexpected_keys' | 'bad_dims';

export interface ShapeProblem {
  key: string;
  expected: number[];
  got: number[];
}

/** Why a state_dict cannot be exported; the lists hold every problem found, the message names the first ones. */
export class ExportPlanError extends Error {
  constructor(
    readonly code: ExportPlanErrorCode,
    message: string,
    readonly missing: string[] = [],
    readonly wrongShapes: ShapeProblem[] = [],
    readonly unexpected: string[] = [],
  ) {
    super(message);
    this.name = 'ExportPlanError';
  }
}
