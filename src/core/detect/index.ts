export * from './anchors.ts';
export * from './blazeface.ts';
export * from './decode.ts';
export * from './nms.ts';
export * from './to-source.ts';
export * from './photo.ts';
