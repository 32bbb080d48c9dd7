import { describe, expect, it } from 'vitest';
import { parseModelIndex, useModels } from './models.ts';

const entry = { name: 'full', label: 'golden fixture — random weights', variant: 'full', precision: 'fp32', untrained: true, manifest: 'full/faceptor.json' };

describe('model listing', () => {
  it('reads the exporter index and refuses anything else', () => {
    expect(parseModelIndex({ format: 'faceptor-web-model-index', packages: [entry] })).toEqual([entry]);
    expect(parseModelIndex({ format: 'something-else', packages: [entry] })).toEqual([]);
    expect(parseModelIndex(null)).toEqual([]);
    expect(parseModelIndex({ format: 'faceptor-web-model-index', packages: [{ name: 3 }] })).toEqual([]);
  });

  it('reports no package when the listing is missing, and the untrained flag when one is listed', async () => {
    const missing = (async () => new Response('not found', { status: 404 })) as typeof fetch;
    await useModels.getState().refresh(missing);
    expect(useModels.getState().listing).toEqual({ state: 'none' });
    const listed = (async () => Response.json({ format: 'faceptor-web-model-index', packages: [entry] })) as typeof fetch;
    await useModels.getState().refresh(listed);
    const listing = useModels.getState().listing;
    expect(listing.state).toBe('found');
    expect(listing.state === 'found' && listing.packages[0].untrained).toBe(true);
  });
});
