/** Server-side render of the gallery manager in its initial state (no DOM, no IndexedDB in Node). */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { IdentityPanel } from './IdentityPanel.tsx';

describe('IdentityPanel', () => {
  it('says where data lives and offers every control with its data-testid', () => {
    const html = renderToStaticMarkup(createElement(IdentityPanel));
    expect(html).toContain('data-testid="identity-panel"');
    expect(html).toMatch(
      /data-testid="identity-storage-note"[^>]*>Stored locally in this browser \(IndexedDB\); nothing is uploaded\./,
    );
    expect(html).toContain('data-testid="identity-count" data-count="0"');
    expect(html).toMatch(/data-testid="identity-export" disabled=""/); // nothing to export yet
    expect(html).toMatch(/data-testid="identity-delete-all" disabled=""/);
    expect(html).toMatch(/type="file"[^>]*data-testid="identity-import"/);
    expect(html).toMatch(
      /type="number" min="0" max="1" step="0.01" data-testid="identity-threshold" data-value="0.35" value="0.35"/,
    );
    expect(html).toContain('Cosine similarity above which a face is taken to be the person');
    expect(html).not.toContain('data-testid="identity-person"');
  });
});
