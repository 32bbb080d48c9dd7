/**
 * Names of the tensors exchanged with a package's graphs, declared once: the exporter writes them into the graphs
 * and the manifest, the pipeline feeds and fetches them, the decoders read them. A package lists each task's
 * outputs (`TaskGraph.outputs[].name`) with these names; `from` says which graph output holds them.
 */

/** A task's outputs, as the manifest names them and the task decoders read them (docs/model.md §6–§7). */
export const TASK_OUTPUT = {
  /** recog: [N, 512] identity embedding. */
  embedding: 'embedding',
  /** age / affect / biattr: [N, Q] class logits. */
  logits: 'logits',
  /** parsing: [N, Q, 128, 128] per-class logits at a quarter of the 512 input. */
  parsingLogits: 'logits_128',
  /** align: [N, Q, 2] soft-argmax points in crop pixels. */
  landmark: 'landmark',
  /** align: [N, Q, 128, 128] heatmaps the points come from. */
  heatmap: 'heatmap',
  /** Layer-Attention packages only: [N, decoderLayers, Q, levels·S²] head-averaged cross-attention weights. */
  crossAttention: 'cross_attention',
} as const;

export type TaskOutputName = (typeof TASK_OUTPUT)[keyof typeof TASK_OUTPUT];

/** The outputs a task decoder reads (everything but the cross-attention weights, which only the chart reads). */
export const DECODED_OUTPUTS = [
  TASK_OUTPUT.embedding,
  TASK_OUTPUT.logits,
  TASK_OUTPUT.parsingLogits,
  TASK_OUTPUT.landmark,
  TASK_OUTPUT.heatmap,
] as const;
export type DecodedOutputName = (typeof DECODED_OUTPUTS)[number];

/** Inputs and the shared map output of a Faceptor `decoder` graph (src/core/faceptor/batch.ts builds the feeds). */
export const DECODER_IO = {
  /** int64 [Qt]: rows of the graph's query table, task after task. */
  queries: 'queries',
  /** float32 [Qt, Qt]: 0 inside a task's block, MASKED elsewhere; added to the self-attention scores. */
  selfMask: 'self_mask',
  /** int64 [Qs]: which batch rows (positions in `queries`) the `maps` output carries. */
  mapSelect: 'map_select',
  /** float32 [N, Qs, 4S, 4S]: map_v2 outputs of the selected rows (parsing logits, landmark heatmaps). */
  maps: 'maps',
} as const;
