export {
  planExport,
  headOptionsFromManifest,
  type ExportPlan,
  type ExportPlanOptions,
  type PlanDims,
  type VitDims,
  type DecoderDims,
  type NaiveHeadDims,
  type PlanTensorInfo,
} from './plan.ts';
export { ExportPlanError, type ExportPlanErrorCode, type ShapeProblem } from './errors.ts';
