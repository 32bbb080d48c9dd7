/**
 * The one description of the Faceptor task family (docs/model.md §1, §3, §8).
 * The exporter, the pipeline, the CLI and the UI all read task names, groups, output counts, labels and
 * pre-processing constants from here — never from a copy.
 */

export type TaskType = 'recog' | 'age' | 'biattr' | 'affect' | 'parsing' | 'align';
export type InputGroup = 112 | 512;
export type Variant = 'naive' | 'base' | 'full' | 'layer_attention';

export const TASK_NAMES = [
  'recog_ms1mv3',
  'age_morph2',
  'age_utkface',
  'biattr_celeba',
  'affect_affectnet',
  'affect_rafdb',
  'affect_ferplus',
  'parsing_celebam',
  'parsing_lapa',
  'align_300w',
  'align_cofw',
  'align_wflw',
  'align_aflw',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/** The result key of a type's heads: the task name after its type prefix (`align_300w` → '300w'). */
export type HeadOf<T extends TaskType> = TaskName extends infer N
  ? N extends `${T}_${infer Head}`
    ? Head
    : never
  : never;
/** Landmark sets: '300w' (68 points), 'wflw' (98), 'cofw' (29), 'aflw' (19). */
export type LandmarkSetName = HeadOf<'align'>;

/** Expression classes: all three datasets were remapped to the AffectNet order (docs/model.md §8.4). */
export const EXPRESSION_LABELS = ['Neutral', 'Happy', 'Sad', 'Surprise', 'Fear', 'Disgust', 'Anger'] as const;
export type ExpressionLabel = (typeof EXPRESSION_LABELS)[number];

/** CelebA's 40 binary attributes in the official evaluator's order (docs/model.md §8.3). */
export const CELEBA_ATTRIBUTES = [
  '5_o_Clock_Shadow',
  'Arched_Eyebrows',
  'Attractive',
  'Bags_Under_Eyes',
  'Bald',
  'Bangs',
  'Big_Lips',
  'Big_Nose',
  'Black_Hair',
  'Blond_Hair',
  'Blurry',
  'Brown_Hair',
  'Bushy_Eyebrows',
  'Chubby',
  'Double_Chin',
  'Eyeglasses',
  'Goatee',
  'Gray_Hair',
  'Heavy_Makeup',
  'High_Cheekbones',
  'Male',
  'Mouth_Slightly_Open',
  'Mustache',
  'Narrow_Eyes',
  'No_Beard',
  'Oval_Face',
  'Pale_Skin',
  'Pointy_Nose',
  'Receding_Hairline',
  'Rosy_Cheeks',
  'Sideburns',
  'Smiling',
  'Straight_Hair',
  'Wavy_Hair',
  'Wearing_Earrings',
  'Wearing_Hat',
  'Wearing_Lipstick',
  'Wearing_Necklace',
  'Wearing_Necktie',
  'Young',
] as const;
export type AttributeName = (typeof CELEBA_ATTRIBUTES)[number];

/**
 * CelebAMask-HQ parsing classes (19). Display names follow the *subject's* side; the config names in the
 * comments keep the dataset's swap ("rr" is the subject's left ear: CelebAMask-HQ's `l_ear`).
 */
export const CELEBAM_PARTS = [
  'background',
  'neck',
  'face',
  'cloth',
  'left ear', // rr (l_ear)
  'right ear', // lr (r_ear)
  'left brow', // rb (l_brow)
  'right brow', // lb (r_brow)
  'left eye', // re (l_eye)
  'right eye', // le (r_eye)
  'nose',
  'inner mouth',
  'lower lip',
  'upper lip',
  'hair',
  'glasses',
  'hat',
  'earring',
  'necklace',
] as const;

/** LaPa parsing classes (11). */
export const LAPA_PARTS = [
  'background',
  'skin',
  'left brow',
  'right brow',
  'left eye',
  'right eye',
  'nose',
  'upper lip',
  'inner mouth',
  'lower lip',
  'hair',
] as const;

/** RGB colours for parsing masks, indexed by class; background is transparent when drawn. */
export const CELEBAM_COLOURS: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [255, 153, 51],
  [204, 0, 0],
  [0, 204, 0],
  [102, 51, 0],
  [102, 51, 0],
  [153, 0, 204],
  [153, 0, 204],
  [51, 51, 255],
  [51, 51, 255],
  [255, 255, 0],
  [0, 153, 153],
  [255, 0, 127],
  [255, 51, 153],
  [0, 0, 204],
  [204, 204, 0],
  [0, 102, 0],
  [255, 0, 255],
  [0, 204, 204],
];
export const LAPA_COLOURS: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [204, 0, 0],
  [153, 0, 204],
  [153, 0, 204],
  [51, 51, 255],
  [51, 51, 255],
  [255, 255, 0],
  [255, 51, 153],
  [0, 153, 153],
  [255, 0, 127],
  [0, 0, 204],
];

/** A polyline through landmark indices; `closed` joins the last point to the first. */
export interface Contour {
  readonly name: string;
  readonly points: readonly number[];
  readonly closed?: boolean;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** iBUG-68 (300W) contours, 0-based. */
const CONTOURS_68: readonly Contour[] = [
  { name: 'jaw', points: range(0, 16) },
  { name: 'right brow', points: range(17, 21) },
  { name: 'left brow', points: range(22, 26) },
  { name: 'nose bridge', points: range(27, 30) },
  { name: 'nostrils', points: range(31, 35) },
  { name: 'right eye', points: range(36, 41), closed: true },
  { name: 'left eye', points: range(42, 47), closed: true },
  { name: 'outer lips', points: range(48, 59), closed: true },
  { name: 'inner lips', points: range(60, 67), closed: true },
];

/** WFLW-98 contours, 0-based (points 96 and 97 are the pupils). */
const CONTOURS_98: readonly Contour[] = [
  { name: 'jaw', points: range(0, 32) },
  { name: 'right brow', points: range(33, 41), closed: true },
  { name: 'left brow', points: range(42, 50), closed: true },
  { name: 'nose bridge', points: range(51, 54) },
  { name: 'nostrils', points: range(55, 59) },
  { name: 'right eye', points: range(60, 67), closed: true },
  { name: 'left eye', points: range(68, 75), closed: true },
  { name: 'outer lips', points: range(76, 87), closed: true },
  { name: 'inner lips', points: range(88, 95), closed: true },
];

export interface LandmarkSet {
  readonly set: LandmarkSetName;
  readonly points: number;
  readonly title: string;
  /** Contour lines where the set defines them (COFW-29 and AFLW-19 are sparse points: none). */
  readonly contours: readonly Contour[];
  /** Points normalising the NME (inter-ocular), used to scale drawing and smoothing. */
  readonly ocular: readonly [number, number];
  /** Zoom of the box crop about its centre (docs/model.md §3.3): 0.8 for 300W/COFW/WFLW, 1.0 for AFLW. */
  readonly scaleMu: number;
}

interface TaskBase {
  readonly name: TaskName;
  readonly type: TaskType;
  readonly group: InputGroup;
  /** Number of raw outputs (embedding width, logits, classes or points). */
  readonly outputs: number;
  /** Dataset the head was trained on, for the UI ("Age · MORPH II"). */
  readonly dataset: string;
}
export interface RecogTask extends TaskBase {
  readonly type: 'recog';
}
export interface AgeTask extends TaskBase {
  readonly type: 'age';
}
export interface AttributeTask extends TaskBase {
  readonly type: 'biattr';
  readonly labels: typeof CELEBA_ATTRIBUTES;
}
export interface ExpressionTask extends TaskBase {
  readonly type: 'affect';
  readonly labels: typeof EXPRESSION_LABELS;
}
export interface ParsingTask extends TaskBase {
  readonly type: 'parsing';
  readonly labels: readonly string[];
  readonly colours: readonly (readonly [number, number, number])[];
}
export interface AlignTask extends TaskBase {
  readonly type: 'align';
  readonly landmarks: LandmarkSet;
}
export type TaskSpec = RecogTask | AgeTask | AttributeTask | ExpressionTask | ParsingTask | AlignTask;

export const TASKS: { readonly [K in TaskName]: TaskSpec } = {
  recog_ms1mv3: { name: 'recog_ms1mv3', type: 'recog', group: 112, outputs: 512, dataset: 'MS1MV3' },
  age_morph2: { name: 'age_morph2', type: 'age', group: 112, outputs: 101, dataset: 'MORPH II' },
  age_utkface: { name: 'age_utkface', type: 'age', group: 112, outputs: 101, dataset: 'UTKFace' },
  biattr_celeba: {
    name: 'biattr_celeba',
    type: 'biattr',
    group: 112,
    outputs: 40,
    dataset: 'CelebA',
    labels: CELEBA_ATTRIBUTES,
  },
  affect_affectnet: {
    name: 'affect_affectnet',
    type: 'affect',
    group: 112,
    outputs: 7,
    dataset: 'AffectNet',
    labels: EXPRESSION_LABELS,
  },
  affect_rafdb: {
    name: 'affect_rafdb',
    type: 'affect',
    group: 112,
    outputs: 7,
    dataset: 'RAF-DB',
    labels: EXPRESSION_LABELS,
  },
  affect_ferplus: {
    name: 'affect_ferplus',
    type: 'affect',
    group: 112,
    outputs: 7,
    dataset: 'FERPlus',
    labels: EXPRESSION_LABELS,
  },
  parsing_celebam: {
    name: 'parsing_celebam',
    type: 'parsing',
    group: 512,
    outputs: 19,
    dataset: 'CelebAMask-HQ',
    labels: CELEBAM_PARTS,
    colours: CELEBAM_COLOURS,
  },
  parsing_lapa: {
    name: 'parsing_lapa',
    type: 'parsing',
    group: 512,
    outputs: 11,
    dataset: 'LaPa',
    labels: LAPA_PARTS,
    colours: LAPA_COLOURS,
  },
  align_300w: {
    name: 'align_300w',
    type: 'align',
    group: 512,
    outputs: 68,
    dataset: '300W',
    landmarks: {
      set: '300w',
      points: 68,
      title: '68 points (300W)',
      contours: CONTOURS_68,
      ocular: [36, 45],
      scaleMu: 0.8,
    },
  },
  align_cofw: {
    name: 'align_cofw',
    type: 'align',
    group: 512,
    outputs: 29,
    dataset: 'COFW',
    landmarks: { set: 'cofw', points: 29, title: '29 points (COFW)', contours: [], ocular: [8, 9], scaleMu: 0.8 },
  },
  align_wflw: {
    name: 'align_wflw',
    type: 'align',
    group: 512,
    outputs: 98,
    dataset: 'WFLW',
    landmarks: {
      set: 'wflw',
      points: 98,
      title: '98 points (WFLW)',
      contours: CONTOURS_98,
      ocular: [60, 72],
      scaleMu: 0.8,
    },
  },
  align_aflw: {
    name: 'align_aflw',
    type: 'align',
    group: 512,
    outputs: 19,
    dataset: 'AFLW',
    landmarks: { set: 'aflw', points: 19, title: '19 points (AFLW)', contours: [], ocular: [6, 11], scaleMu: 1.0 },
  },
};

const BASE_TASKS: readonly TaskName[] = [
  'recog_ms1mv3',
  'age_morph2',
  'biattr_celeba',
  'affect_affectnet',
  'affect_rafdb',
  'parsing_celebam',
  'align_300w',
];

/** Which tasks each variant answers (docs/model.md §1). Layer-Attention defines the same 13-task model as Full. */
export const VARIANT_TASKS: { readonly [V in Variant]: readonly TaskName[] } = {
  naive: BASE_TASKS,
  base: BASE_TASKS,
  full: TASK_NAMES,
  layer_attention: TASK_NAMES,
};

export const VARIANT_TITLES: { readonly [V in Variant]: string } = {
  naive: 'Naive Faceptor',
  base: 'Faceptor-Base',
  full: 'Faceptor-Full',
  layer_attention: 'Faceptor with Layer-Attention',
};

export const TASK_TYPE_TITLES: { readonly [T in TaskType]: string } = {
  recog: 'Identity',
  age: 'Age',
  biattr: 'Attributes',
  affect: 'Expression',
  parsing: 'Face parsing',
  align: 'Landmarks',
};

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

/** A task's type is its name up to the first underscore (docs/model.md §1). */
export function taskTypeOf(name: TaskName): TaskType {
  return TASKS[name].type;
}

/** Per-group input normalisation (docs/model.md §3.1, §3.2): group A uses 0.5/0.5, group B FaRL/CLIP statistics. */
export const NORMALISATION: {
  readonly [G in InputGroup]: {
    readonly mean: readonly [number, number, number];
    readonly std: readonly [number, number, number];
  };
} = {
  112: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  512: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
};

/** Layer-Attention memory levels: block 11 first (level 0), then blocks 1, 3, 5, 7, 9 (docs/model.md §5.4). */
export const LAYER_ATTENTION_BLOCKS = [11, 1, 3, 5, 7, 9] as const;

/** Official checkpoints (README of github lxq1000/Faceptor); shown to users who have no model installed. */
export const OFFICIAL_CHECKPOINT_URL = 'https://github.com/lxq1000/Faceptor#model-zoo';
