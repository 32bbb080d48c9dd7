/** Public surface of the alignment core (see README.md in this folder). */
export * from './affine.ts';
export * from './similarity.ts';
export * from './templates.ts';
export * from './tanhWarp.ts';
export * from './crops.ts';
