/**
 * The library's Node entry (`import … from 'faceptor-web'` under Node): the shared API plus the Node host —
 * onnxruntime-node backend, package folders on disk, image files, the bundled BlazeFace detector.
 * onnxruntime-node and sharp are optional peer dependencies: a Node user installs them beside this package.
 */
export * from './index.ts';
export * from '../../tools/node-host/index.ts';
