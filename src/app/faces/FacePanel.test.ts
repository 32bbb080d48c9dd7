/**
 * Server-side render of the face panel (no DOM needed): checks which sections appear for which fields and the
 * data-* state the e2e tests read. Values are hand-made, so every expectation is known independently.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { FaceAnalysis, ImageAnalysis } from '../../result.ts';
import { attributeProbs, expressionProbs } from '../../result-fixtures.test-util.ts';
import { memoryKeyValueStore } from '../../state/identity-db.ts';
import { createIdentityStore } from '../../state/identity.ts';
import { FaceIdentityView } from './FaceIdentity.tsx';
import { FaceList } from './FaceList.tsx';

const detection = { box: { x: 10, y: 20, width: 100, height: 120 }, score: 0.97, keypoints: [] };
const unit = (i: number, n = 4) => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));

function render(faces: FaceAnalysis[], untrained = false): string {
  const analysis = {
    width: 640,
    height: 480,
    scale: 1,
    faces,
    model: untrained ? { untrained: true } : { untrained: false },
  } as unknown as ImageAnalysis;
  return renderToStaticMarkup(createElement(FaceList, { analysis }));
}

describe('FaceList / FacePanel', () => {
  it('a 7-way tie highlights no expression as top, and says so', () => {
    const probs = expressionProbs({
      Neutral: 1 / 7,
      Happy: 1 / 7,
      Sad: 1 / 7,
      Surprise: 1 / 7,
      Fear: 1 / 7,
      Disgust: 1 / 7,
      Anger: 1 / 7,
    });
    const html = render([{ ...detection, expression: { rafdb: { top: 'Neutral', probs } } }]);
    expect(html).not.toContain('class="face-top"');
    expect(html).toContain('data-top=""');
    expect(html).toContain('data-testid="face-expression-tie"');
  });

  it('a failed task is named on the panel while the other tasks show', () => {
    const html = render([
      {
        ...detection,
        age: { utkface: { years: 30, distribution: Array(101).fill(1 / 101) } },
        taskErrors: { recog_ms1mv3: 'Identity (MS1MV3) failed for this face: x' },
      },
    ]);
    expect(html).toContain(
      'data-testid="face-task-error" data-task="recog_ms1mv3">Identity (MS1MV3) failed for this face: x</p>',
    );
    expect(html).toContain('data-testid="face-age"');
  });

  it('detection only: a panel per face, no task sections, no untrained tag', () => {
    const html = render([detection, { ...detection, trackId: 7 }]);
    expect(html.match(/data-testid="face-panel"/g)).toHaveLength(2);
    expect(html).toContain('data-testid="face-list" data-count="2"');
    expect(html).toContain('data-index="1" data-track="7"');
    expect(html).not.toMatch(/face-(age|expression|attributes|identity|layer-attention)"/);
    expect(html).not.toContain('face-untrained');
  });

  it('renders every present field with its state in data-* attributes', () => {
    const distribution = Array.from({ length: 101 }, (_, i) => (i === 30 ? 1 : 0));
    const face: FaceAnalysis = {
      ...detection,
      age: { utkface: { years: 30.04, distribution } },
      expression: { rafdb: { top: 'Happy', probs: expressionProbs({ Happy: 0.7, Neutral: 0.2, Sad: 0.1 }) } },
      attributes: attributeProbs({ Male: 0.8, Wearing_Hat: 0.55, Smiling: 0.2 }),
      identity: { embedding: unit(0) },
      layerAttention: { age_utkface: [11, 1, 3, 5, 7, 9].map((block) => ({ block, fraction: 1 / 6 })) },
    };
    const html = render([face], true);
    expect(html).toContain('data-testid="face-age" data-head="utkface" data-years="30.0"');
    expect(html).toContain('Age · UTKFace');
    expect(html).toContain('data-bins="101"');
    expect(html).toContain('data-testid="face-expression" data-head="rafdb" data-top="Happy"');
    expect(html.match(/data-testid="face-expression-bar"/g)).toHaveLength(7); // all labels, absent ones at 0
    expect(html).toContain('class="face-top"'); // only the top one highlighted
    expect(html.match(/class="face-top"/g)).toHaveLength(1);
    expect(html).toContain('data-on="Male,Wearing_Hat"');
    expect(html).toContain('>Wearing hat<');
    expect(html).toContain('data-testid="face-identity" data-match="" data-state="empty"');
    expect(html).toContain('data-testid="face-enrol-name"');
    expect(html).toContain('data-testid="face-layer-attention" data-tasks="age_utkface"');
    expect(html).toContain('data-blocks="1,3,5,7,9,11"');
    expect(html).toContain('Which encoder layers each task reads');
    expect(html.match(/data-testid="face-untrained"/g)).toHaveLength(5); // one per section
  });

  it('identity section shows the gallery match at the current threshold', async () => {
    // The connected section reads the store; SSR sees only a store's initial state, so render the view with a
    // gallery built by a real store instance.
    const store = createIdentityStore({ db: memoryKeyValueStore() });
    await store.getState().ready;
    store.getState().enrol('Ada', unit(0));
    const view = (embedding: number[]) => {
      const { gallery, threshold, enrol } = store.getState();
      return renderToStaticMarkup(
        createElement(FaceIdentityView, { embedding, untrained: false, gallery, threshold, enrol }),
      );
    };
    const near = [0.8, 0.6, 0, 0]; // cosine 0.8 with Ada's sample
    expect(view(near)).toContain('data-match="Ada" data-state="match" data-similarity="0.800"');
    expect(view(near)).toContain('<option value="Ada">'); // existing names offered for more samples
    store.getState().setThreshold(0.9);
    expect(view(near)).toContain('data-match="" data-state="unknown" data-similarity="0.800"');
    expect(view(near)).toContain('closest: Ada, 0.80 &lt; 0.90');
    // another model's embedding width: no match, said plainly, enrol disabled
    const other = view([1, 0, 0, 0, 0]);
    expect(other).toContain('data-match="" data-state="mismatch"');
    expect(other).toContain('data-testid="face-identity-mismatch"');
    expect(other).toMatch(/data-testid="face-enrol" disabled=""/);
  });

  it('identity: a face is matched only within its model; enrolment is tagged with the model', async () => {
    const store = createIdentityStore({ db: memoryKeyValueStore() });
    await store.getState().ready;
    const one = { id: 'sha-one', label: 'Model one' },
      two = { id: 'sha-two', label: 'Model two' };
    store.getState().enrol('Ada', unit(0), one);
    const view = (model: { id: string; label: string }) => {
      const { gallery, threshold, enrol } = store.getState();
      return renderToStaticMarkup(
        createElement(FaceIdentityView, { embedding: unit(0), untrained: false, gallery, threshold, enrol, model }),
      );
    };
    expect(view(one)).toContain('data-match="Ada" data-state="match"');
    // the same numbers from another model: never compared, and the panel says whose samples the gallery holds
    const html = view(two);
    expect(html).toContain('data-match="" data-state="other-model"');
    expect(html).toMatch(/No one is enrolled with this model yet.*enrolled\s*with Model one/);
    store.getState().enrol('Ada', unit(1), two);
    expect(store.getState().gallery.people[0].models).toEqual(['sha-one', 'sha-two']);
    // a stored package whose checkpoint sha256 is not recorded yet: no match, enrolment refused with the reason
    const pending = view({ id: '', label: 'pending' });
    expect(pending).toContain('data-match="" data-state="no-key"');
    expect(pending).toContain('data-testid="face-identity-no-key"');
    expect(pending).toMatch(/data-testid="face-enrol" disabled=""/);
    expect(() => store.getState().enrol('Ada', unit(0), { id: '', label: 'pending' })).toThrow(
      /checkpoint sha256 is not recorded yet/,
    );
    expect(store.getState().gallery.people[0].models).toEqual(['sha-one', 'sha-two']);
  });
});
