/**
 * The two BlazeFace models we ship and the MediaPipe options they were trained with
 * (face_detection_front / face_detection_back_desktop_live graphs).
 */
import { generateAnchors, type AnchorCentres } from './anchors.ts';

export type BlazeFaceModel = 'front' | 'back';

export interface BlazeFaceSpec {
  readonly model: BlazeFaceModel;
  /** File name under public/models/blazeface/. */
  readonly file: string;
  readonly inputSize: number;
  readonly strides: readonly number[];
  readonly inputName: string;
  /** Score logits and regressors, split by the exporter into the stride groups, in anchor order. */
  readonly scoreOutputs: readonly string[];
  readonly boxOutputs: readonly string[];
  /** MediaPipe's x/y/w/h_scale: raw regressor values are in input pixels. */
  readonly coordScale: number;
  readonly numKeypoints: number;
  /** Values per anchor in the regressor: 4 box + 2 × keypoints. */
  readonly numCoords: number;
}

const COMMON = {
  inputName: 'input:0',
  scoreOutputs: ['Identity:0', 'Identity_1:0'],
  boxOutputs: ['Identity_2:0', 'Identity_3:0'],
  numKeypoints: 6,
  numCoords: 16,
} as const;

export const BLAZEFACE: { readonly [M in BlazeFaceModel]: BlazeFaceSpec } = {
  front: {
    model: 'front',
    file: 'face_detection_front_128.onnx',
    inputSize: 128,
    strides: [8, 16, 16, 16],
    coordScale: 128,
    ...COMMON,
  },
  back: {
    model: 'back',
    file: 'face_detection_back_256.onnx',
    inputSize: 256,
    strides: [16, 32, 32, 32],
    coordScale: 256,
    ...COMMON,
  },
};

const anchorCache = new Map<BlazeFaceModel, AnchorCentres>();

export function blazeFaceAnchors(model: BlazeFaceModel): AnchorCentres {
  let anchors = anchorCache.get(model);
  if (!anchors) {
    const spec = BLAZEFACE[model];
    anchors = generateAnchors({
      inputSize: spec.inputSize,
      strides: spec.strides,
      anchorsPerLayer: 2,
      anchorOffset: 0.5,
    });
    anchorCache.set(model, anchors);
  }
  return anchors;
}
