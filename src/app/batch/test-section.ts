/** The batch queue for the documented e2e hook (window.__faceptor.state().batch). */
import { registerTestSection } from '../test-hook.ts';
import { useBatch } from '../../state/batch.ts';

registerTestSection('batch', () => {
  const b = useBatch.getState();
  return {
    queue: b.queue,
    skipped: b.skipped,
    items: b.items.map((i) => ({
      path: i.path,
      state: i.state,
      faces: i.faces.map((f) => ({ age: f.age, expression: f.expression })),
      error: i.error,
    })),
  };
});
