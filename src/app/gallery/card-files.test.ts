import { describe, expect, it } from 'vitest';
import { annotatedFileName, cardFiles, fileStem } from './card-files.ts';
import { snapshotName } from '../live/snapshot.ts';
import type { FaceAnalysis } from '../../result.ts';

const face = (extra: Partial<FaceAnalysis>): FaceAnalysis => ({
  box: { x: 0, y: 0, width: 1, height: 1 },
  score: 1,
  keypoints: [],
  ...extra,
});
const parsing = {
  labels: ['bg'],
  region: { x: 0, y: 0, width: 1, height: 1 },
  width: 1,
  height: 1,
  data: new Uint8Array(1),
};

describe('card exports', () => {
  it('one label map per face and parsing head, one .pts per face and landmark head, faces numbered from 1', () => {
    const files = cardFiles('group.photo.jpg', [
      face({ parsing: { celebam: parsing, lapa: parsing }, landmarks: { '300w': { points: [] } } }),
      face({}),
      face({ landmarks: { wflw: { points: [] } } }),
    ]);
    expect(files.map((f) => f.name)).toEqual([
      'group.photo.face1.celebam.labels.png',
      'group.photo.face1.lapa.labels.png',
      'group.photo.face1.300w.pts',
      'group.photo.face3.wflw.pts',
    ]);
    expect(files[3]).toMatchObject({ kind: 'pts', face: 2, head: 'wflw' });
  });
  it('file names lose characters that are not allowed in file names', () => {
    expect(fileStem('a:b/c.png')).toBe('a_b_c');
    expect(annotatedFileName('.png')).toBe('image.annotated.png');
  });
  it('files of an untrained model say so in their names', () => {
    expect(annotatedFileName('a.png', true)).toBe('a.untrained.annotated.png');
    expect(cardFiles('a.png', [face({ landmarks: { '300w': { points: [] } } })], true)[0].name).toBe(
      'a.untrained.face1.300w.pts',
    );
  });
  it('snapshot names carry the local time without colons', () => {
    expect(snapshotName(new Date(2026, 11, 1, 8, 5, 9))).toBe('snapshot 2026-12-01 08.05.09');
  });
});
