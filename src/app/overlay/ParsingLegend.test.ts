import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CELEBAM_PARTS, LAPA_PARTS } from '../../core/faceptor/tasks.ts';
import type { ParsingResult } from '../../result.ts';
import type { OverlayFace } from './overlay-geometry.ts';
import { ParsingLegend, ParsingLegendView } from './ParsingLegend.tsx';

const base = { score: 0.9, box: { x: 0, y: 0, width: 10, height: 10 }, keypoints: [] };
const result = (labels: readonly string[], data: number[]): ParsingResult => ({
  labels,
  region: { x: 0, y: 0, width: data.length, height: 1 },
  width: data.length,
  height: 1,
  data: Uint8Array.from(data),
});

/** data-* of every legend entry, parsed from the server-rendered markup. */
function entries(html: string) {
  return [
    ...html.matchAll(
      /<li[^>]*data-head="(\w+)" data-label="(\d+)" data-active="(\w+)" data-present="(\w+)"[^>]*>.*?<\/span>([^<]*)<span[^>]*>([\d,]+) px<\/span><\/li>/g,
    ),
  ].map(([, head, label, active, present, name, px]) => ({
    head,
    label: Number(label),
    active: active === 'true',
    present: present === 'true',
    name,
    px: Number(px.replace(/,/g, '')),
  }));
}

describe('ParsingLegend', () => {
  const hair = CELEBAM_PARTS.indexOf('hair');
  const faces: OverlayFace[] = [
    { ...base, parsing: { celebam: result(CELEBAM_PARTS, [0, hair, hair]) } },
    { ...base, parsing: { lapa: result(LAPA_PARTS, [1]) } },
  ];

  it('renders one legend per head with every class but background, in registry order, marking classes present', () => {
    const html = renderToStaticMarkup(createElement(ParsingLegend, { faces }));
    expect(html.match(/data-testid="overlay-legend"/g)).toHaveLength(2);
    expect(html).toContain('CelebAMask-HQ');
    const all = entries(html);
    const celebam = all.filter((e) => e.head === 'celebam');
    expect(celebam.map((e) => e.name)).toEqual(CELEBAM_PARTS.slice(1));
    expect(celebam.filter((e) => e.present).map((e) => e.name)).toEqual(['hair']);
    // pixel counts per class over the faces (README promises them): 2 hair pixels, 1 LaPa skin pixel
    expect(celebam.find((e) => e.name === 'hair')!.px).toBe(2);
    expect(celebam.find((e) => e.name === 'face')!.px).toBe(0);
    expect(all.find((e) => e.head === 'lapa' && e.name === 'skin')!.px).toBe(1);
    expect(all.filter((e) => e.head === 'lapa' && e.present).map((e) => e.name)).toEqual(['skin']);
    expect(all.some((e) => e.active)).toBe(false);
  });

  it('marks the hovered part, and only in its own head', () => {
    const view = createElement(ParsingLegendView, {
      faces,
      hovered: { head: 'celebam', label: hair },
      onHover: () => undefined,
    });
    const active = entries(renderToStaticMarkup(view)).filter((e) => e.active);
    expect(active).toEqual([{ head: 'celebam', label: hair, active: true, present: true, name: 'hair', px: 2 }]);
  });

  it('renders nothing without parsing results', () => {
    expect(renderToStaticMarkup(createElement(ParsingLegend, { faces: [base] }))).toBe('');
  });
});
