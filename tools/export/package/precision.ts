/**
 * Which matrices an fp16 package keeps in float32 (everything else of rank ≥ 2 is stored as IEEE half and Cast to
 * float32 on load). Chosen by measurement at real size (`npx tsx tools/export/precision-check.ts`, README
 * "Exporter" → fp16): see FP16_FLOAT32_PATTERNS.
 */

/**
 * Tensor ids (checkpoint keys plus the export transform suffix) kept float32 in fp16 packages.
 *
 * Measured on a real-size Layer-Attention checkpoint with golden-like random weights, worst tensor against the fp16
 * bound vs the fp32 package (align heatmaps after the sigmoid fail first), weights.bin as a share of fp32:
 *   every matrix half ............................ 145 % (wflw), cofw 110 %   0.513
 *   + interpreters (mask_embed, mask_map, fc) ....... 143 %                    0.521
 *   + encoder (all of it float32) ................... 121 %                    0.918
 *   + decoder FFNs + patch embedding ................ 128 %                    0.560
 *   + decoder (all) ................................. 86 %                     0.587
 *   + decoder (all) + patch embedding ............... 78 %                     0.589
 *   + decoder except its FFNs + patch embedding ..... 70 %                     0.545   ← chosen
 * The decoder's attention projections, input projections and queries set where every heatmap peaks; the logits
 * span ±35–80 at real width, so their relative rounding error (2⁻¹¹) moves a logit by 0.1 and a sigmoid near 0
 * by 0.03. The patch embedding feeds every token. The decoder FFNs (9.4 M of its 13 M values) do not matter.
 */
export const FP16_FLOAT32_PATTERNS: readonly RegExp[] = [
  /^heads_module\.decoder\.(?!transformer_ffn_layers\.)/,
  /^backbone_module\.visual\.conv1\./,
];

export function fp16KeepsFloat32(id: string): boolean {
  return FP16_FLOAT32_PATTERNS.some((re) => re.test(id));
}
