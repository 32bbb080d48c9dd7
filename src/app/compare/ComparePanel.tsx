/**
 * 1:1 comparison of two picked faces (photo cards, snapshots, enrolled people): both aligned crops side by side,
 * the cosine similarity and the verdict at the identity threshold of the People panel. Renders the compare store.
 */
import { compareSides } from '../../core/identity/compare.ts';
import { useCompare, type CompareSide } from '../../state/compare.ts';
import { useIdentity } from '../../state/identity.ts';
import { UntrainedTag } from '../faces/Untrained.tsx';
import './compare.css';

export function ComparePanel() {
  const sides = useCompare((s) => s.sides);
  const threshold = useIdentity((s) => s.threshold);
  const { clear, swap } = useCompare.getState();
  if (!sides[0] && !sides[1]) return null;
  const [a, b] = sides;
  const result = a && b ? compareSides(a.embeddings, b.embeddings, threshold) : null;
  const untrained = !!(a?.untrained || b?.untrained);
  return (
    <section className="panel compare" aria-labelledby="compare-title" data-testid="compare-panel">
      <h2 id="compare-title">Compare two faces</h2>
      <div className="compare-sides">
        <Side side={a} name="A" onClear={() => clear(0)} />
        <div
          className="compare-result"
          data-testid="compare-result"
          role="status"
          data-similarity={result?.ok ? result.similarity.toFixed(4) : ''}
          data-same={result?.ok ? String(result.same) : ''}
        >
          {!result && (
            <p className="hint">Pick {a ? 'a second' : 'a first'} face: “Compare” under a face or a person.</p>
          )}
          {result && !result.ok && <p className="error">{result.reason}</p>}
          {result?.ok && (
            <>
              <p className="compare-score">
                <span data-testid="compare-similarity">{result.similarity.toFixed(3)}</span> cosine similarity{' '}
                {untrained && <UntrainedTag />}
              </p>
              <p className={result.same ? 'compare-same' : 'compare-different'} data-testid="compare-verdict">
                {result.same ? 'same person' : 'different people'} at threshold {threshold.toFixed(2)}
              </p>
              {result.pairs > 1 && (
                <p className="hint">best of {result.pairs} sample pairs (as the gallery matches people)</p>
              )}
            </>
          )}
          <div className="controls">
            <button type="button" onClick={swap} disabled={!a || !b}>
              Swap
            </button>
            <button type="button" data-testid="compare-clear" onClick={() => clear()}>
              Clear
            </button>
          </div>
        </div>
        <Side side={b} name="B" onClear={() => clear(1)} />
      </div>
    </section>
  );
}

function Side({ side, name, onClear }: { side: CompareSide | null; name: string; onClear: () => void }) {
  return (
    <figure className="compare-side" data-testid="compare-side" data-filled={String(!!side)}>
      {side?.crop ? (
        <img
          src={side.crop}
          width={112}
          height={112}
          alt={`aligned crop of ${side.label}`}
          data-testid="compare-crop"
        />
      ) : (
        <div className="compare-placeholder" aria-hidden="true">
          {side ? 'no image (enrolled person)' : name}
        </div>
      )}
      <figcaption>
        {side ? (
          <>
            <span title={side.label}>{side.label}</span>{' '}
            <button type="button" className="link" onClick={onClear}>
              remove
            </button>
          </>
        ) : (
          `face ${name}: not picked`
        )}
      </figcaption>
    </figure>
  );
}
