/**
 * A face's identity: the best gallery match at the current threshold (or "unknown") and the "Enrol…" control
 * that adds this face's embedding to a person (existing name → another sample; new name → new person).
 */
import { useId, useState } from 'react';
import { NO_IDENTITY_KEY, samplesOfModel, type EmbeddingModel, type Gallery } from '../../core/identity/index.ts';
import { modelIdentityKey } from '../../core/faceptor/manifest.ts';
import { embeddingMismatch, matchEmbedding, useIdentity, type IdentityState } from '../../state/identity.ts';
import { useModels } from '../../state/models.ts';
import { UntrainedTag } from './Untrained.tsx';

type MatchState = 'match' | 'unknown' | 'empty' | 'mismatch' | 'other-model' | 'no-key';

export function FaceIdentity({ embedding, untrained }: { embedding: readonly number[]; untrained: boolean }) {
  const gallery = useIdentity((s) => s.gallery);
  const threshold = useIdentity((s) => s.threshold);
  const enrol = useIdentity((s) => s.enrol);
  const info = useModels((s) => s.current?.info);
  const model = info ? { id: info.sourceSha256, label: info.label } : null;
  return (
    <FaceIdentityView
      embedding={embedding}
      untrained={untrained}
      gallery={gallery}
      threshold={threshold}
      enrol={enrol}
      model={model}
    />
  );
}

export interface FaceIdentityViewProps {
  readonly embedding: readonly number[];
  readonly untrained: boolean;
  readonly gallery: Gallery;
  readonly threshold: number;
  readonly enrol: IdentityState['enrol'];
  /** The model that made `embedding`: only samples of this model are compared, and enrolment is tagged with it. */
  readonly model?: EmbeddingModel | null;
}

/** The section itself, given the gallery state (rendered directly by tests). */
export function FaceIdentityView({
  embedding,
  untrained,
  gallery,
  threshold,
  enrol,
  model = null,
}: FaceIdentityViewProps) {
  const [name, setName] = useState('');
  const [feedback, setFeedback] = useState<{ ok: boolean; text: string } | null>(null);
  const listId = useId();

  const mismatch = embeddingMismatch(gallery, embedding.length);
  const modelId = model?.id;
  // A model whose checkpoint sha256 is not recorded yet ("") has no identity key: nothing to match, no enrolment.
  const noKey = model !== null && modelIdentityKey(modelId) === null;
  const match = matchEmbedding(gallery, threshold, embedding, modelId);
  const comparable = gallery.people.filter((p) => samplesOfModel(p, modelId) > 0).length;
  const state: MatchState = noKey
    ? 'no-key'
    : mismatch
      ? 'mismatch'
      : gallery.people.length === 0
        ? 'empty'
        : comparable === 0
          ? 'other-model'
          : match?.accepted
            ? 'match'
            : 'unknown';
  const otherModels = [...new Set(gallery.people.flatMap((p) => p.models))]
    .filter((m) => m !== modelId)
    .map((m) => (m === null ? 'an unknown model' : (gallery.modelLabels[m] ?? 'another model')));
  const accepted = state === 'match' ? match!.name : '';

  const submit = () => {
    try {
      const r = enrol(name, embedding, model);
      setFeedback({
        ok: true,
        text: r.created ? `Enrolled ${r.name}.` : `Added a sample to ${r.name} (${r.samples} now).`,
      });
      setName('');
    } catch (e) {
      setFeedback({ ok: false, text: e instanceof Error ? e.message : String(e) });
    }
  };

  return (
    <section
      className="face-section"
      data-testid="face-identity"
      data-match={accepted}
      data-state={state}
      data-similarity={match ? match.similarity.toFixed(3) : ''}
    >
      <h4>Identity {untrained && <UntrainedTag />}</h4>
      <p className="face-value">
        {state === 'match' && (
          <>
            <strong>{match!.name}</strong> <span className="face-num">similarity {match!.similarity.toFixed(2)}</span>
          </>
        )}
        {state === 'unknown' && (
          <>
            unknown{' '}
            <span className="face-hint">
              (closest: {match!.name}, {match!.similarity.toFixed(2)} &lt; {threshold.toFixed(2)})
            </span>
          </>
        )}
        {state === 'empty' && (
          <>
            unknown <span className="face-hint">(no one enrolled yet)</span>
          </>
        )}
        {state === 'other-model' && (
          <span className="face-warn" data-testid="face-identity-other-model">
            No one is enrolled with this model yet — the gallery's{' '}
            {gallery.people.length === 1 ? 'person was' : 'people were'} enrolled with {otherModels.join(', ')}, whose
            embeddings cannot be compared with this one. Enrol again here.
          </span>
        )}
        {state === 'no-key' && (
          <span className="face-warn" data-testid="face-identity-no-key">
            No matching or enrolment yet: {NO_IDENTITY_KEY}.
          </span>
        )}
        {state === 'mismatch' && (
          <span className="face-warn" data-testid="face-identity-mismatch">
            No match possible: {mismatch}. Export and clear the gallery to enrol with this model.
          </span>
        )}
      </p>
      <form
        className="face-enrol"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input
          data-testid="face-enrol-name"
          list={listId}
          value={name}
          placeholder="Name"
          aria-label="Name to enrol this face as"
          onChange={(e) => {
            setName(e.target.value);
            setFeedback(null);
          }}
          maxLength={100}
        />
        <datalist id={listId}>
          {gallery.people.map((p) => (
            <option key={p.id} value={p.name} />
          ))}
        </datalist>
        <button
          type="submit"
          data-testid="face-enrol"
          disabled={!name.trim() || !!mismatch || noKey}
          title={
            noKey
              ? NO_IDENTITY_KEY
              : 'Add this face to the gallery: an existing name gets another sample, a new name a new person'
          }
        >
          Enrol…
        </button>
      </form>
      {feedback && (
        <p
          className={feedback.ok ? 'face-hint' : 'face-warn'}
          role="status"
          aria-live="polite"
          data-testid="face-enrol-status"
          data-ok={String(feedback.ok)}
        >
          {feedback.text}
        </p>
      )}
    </section>
  );
}
