/** The analysis-size rule moved to the pure core (the CLI applies it too): re-exported for the worker. */
export { fitWithin, MAX_ANALYSIS_SIDE, type AnalysisSize } from '../src/core/image/analysis-size.ts';
