/**
 * Says plainly which Faceptor model is installed (none, or an untrained fixture) — outputs of random weights must
 * never pass for predictions.
 */
import { useEffect } from 'react';
import { OFFICIAL_CHECKPOINT_URL } from '../../core/faceptor/tasks.ts';
import { useModels } from '../../state/models.ts';

export function ModelNotice() {
  const listing = useModels((s) => s.listing);
  const refresh = useModels((s) => s.refresh);
  useEffect(() => { void refresh(); }, [refresh]);

  if (listing.state === 'loading') return null;
  if (listing.state === 'none') {
    return (
      <section className="notice" data-testid="model-notice" data-state="none">
        <strong>No Faceptor model installed.</strong> This page detects faces (BlazeFace). To add Faceptor's
        landmarks, parsing, age, expression, attributes and identity, download an official checkpoint
        (<a href={OFFICIAL_CHECKPOINT_URL} target="_blank" rel="noreferrer">Faceptor model zoo</a>) and run{' '}
        <code>npm run export -- &lt;checkpoint.pth.tar&gt;</code>. Exported packages already run in the CLI
        (<code>npm run analyze -- --model &lt;dir&gt;</code>); running them in this page is not available yet.
      </section>
    );
  }
  const untrained = listing.packages.filter((p) => p.untrained);
  return (
    <section className="notice" data-testid="model-notice" data-state="found">
      {untrained.length > 0 && (
        <p className="banner-untrained" data-testid="untrained-banner">
          <strong>Untrained model — outputs are meaningless:</strong> {untrained.map((p) => p.label).join(', ')}
        </p>
      )}
      <p>
        Installed Faceptor packages: {listing.packages.map((p) => `${p.label} (${p.variant}, ${p.precision})`).join('; ')}.
        They run in the CLI (<code>npm run analyze -- --model public/models/&lt;name&gt;</code>); running them in this
        page is not available yet — this page detects faces only.
      </p>
    </section>
  );
}
