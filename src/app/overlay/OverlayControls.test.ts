import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { OverlayControls } from './OverlayControls.tsx';

describe('OverlayControls', () => {
  it('offers the four toggles (on by default) and the opacity slider at 50 %', () => {
    const html = renderToStaticMarkup(createElement(OverlayControls));
    for (const id of ['overlay-show-boxes', 'overlay-show-keypoints', 'overlay-show-points', 'overlay-show-contours']) {
      expect(html).toMatch(new RegExp(`<input type="checkbox" data-testid="${id}" checked=""`));
    }
    expect(html).toMatch(/data-testid="overlay-opacity" data-value="0.5"/);
  });
});
