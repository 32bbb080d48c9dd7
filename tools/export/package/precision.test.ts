import { describe, expect, it } from 'vitest';
import { fp16KeepsFloat32 } from './precision.ts';
import { WeightStore } from './weights.ts';

describe('fp16 storage plan (measured at real size, precision.ts)', () => {
  it('keeps the decoder attention, input projections, queries and the patch embedding float32', () => {
    for (const id of [
      'heads_module.decoder.transformer_cross_attention_layers.8.multihead_attn.in_proj_weight#0^T*0.17677669529663687',
      'heads_module.decoder.transformer_self_attention_layers.0.self_attn.out_proj.weight^T',
      'heads_module.decoder.input_proj.0.weight^T',
      'heads_module.decoder.new_input_proj.4.weight^T',
      'heads_module.decoder.query_feat[align_cofw]',
      'backbone_module.visual.conv1.weight',
    ]) expect(fp16KeepsFloat32(id), id).toBe(true);
  });
  it('stores the encoder blocks, the decoder FFNs and the interpreters as half', () => {
    for (const id of [
      'backbone_module.visual.transformer.resblocks.11.mlp.c_fc.weight^T',
      'backbone_module.visual.transformer.resblocks.0.attn.in_proj_weight#1^T*1',
      'heads_module.decoder.transformer_ffn_layers.3.linear1.weight^T',
      'heads_module.interpreters.map_v2.mask_embed.layers.2.weight^T',
      'heads_module.heads.parsing.conv_seg.weight',
    ]) expect(fp16KeepsFloat32(id), id).toBe(false);
  });
  it('WeightStore writes a kept matrix as float32 and the others as half', async () => {
    const store = new WeightStore(null, 'fp16', (id) => id === 'keep');
    const m = async () => ({ data: new Float32Array(6).fill(0.1), dims: [2, 3] });
    expect((await store.put('keep', m)).dtype).toBe('float32');
    expect((await store.put('half', m)).dtype).toBe('float16');
    expect((await store.put('keep', m)).length).toBe(24);
    const fp32 = new WeightStore(null, 'fp32', () => false);
    expect((await fp32.put('half', m)).dtype).toBe('float32');
  });
});
