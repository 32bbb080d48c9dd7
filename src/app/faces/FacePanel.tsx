/**
 * Everything the Faceptor tasks said about one face. Presentational: it renders the fields present on the face
 * (a section per task that ran) and reads the identity gallery from its store.
 */
import type { FaceAnalysis } from '../../result.ts';
import { FaceIdentity } from './FaceIdentity.tsx';
import { LayerAttentionChart } from './LayerAttentionChart.tsx';
import { sparklinePath } from './charts.ts';
import { attributesOn, expressionRows, headTitle, humaniseAttribute, leadingLabel } from './labels.ts';
import { UntrainedTag } from './Untrained.tsx';
import { faceColour } from '../overlay/face-colours.ts';
import './faces.css';

const SPARK_W = 101; // one unit per year bin
const SPARK_H = 18;

export interface FacePanelProps {
  readonly face: FaceAnalysis;
  /** Position in the analysis' face list (0-based), shown 1-based. */
  readonly index: number;
  /** The model has random weights: every value gets the "untrained" tag. */
  readonly untrained: boolean;
  /** The pointer is on this face's box. */
  readonly highlighted?: boolean;
  readonly onHover?: (index: number | null) => void;
  /** Offered where the face has an identity embedding and an image to crop (photo cards): picks it for Compare. */
  readonly onCompare?: () => void;
}

export function FacePanel({ face, index, untrained, highlighted = false, onHover, onCompare }: FacePanelProps) {
  const tag = untrained ? <UntrainedTag /> : null;
  const colour = faceColour(index);
  return (
    <article
      className={`face-panel${highlighted ? ' face-highlighted' : ''}`}
      data-testid="face-panel"
      data-index={index}
      data-track={face.trackId ?? undefined}
      data-untrained={String(untrained)}
      data-highlighted={String(highlighted)}
      data-colour={colour}
      style={{ borderLeftColor: colour, outlineColor: colour }}
      onPointerEnter={onHover && (() => onHover(index))}
      onPointerLeave={onHover && (() => onHover(null))}
      onFocus={onHover && (() => onHover(index))}
      onBlur={
        onHover &&
        ((e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) onHover(null);
        })
      }
    >
      <h3>
        <span className="face-number" style={{ background: colour }} aria-hidden="true">
          {index + 1}
        </span>
        Face {index + 1}
        {face.trackId !== undefined && <span className="face-hint"> · track {face.trackId}</span>}
        <span className="face-hint"> · detector {Math.round(face.score * 100)}%</span>
      </h3>

      {face.taskErrors &&
        Object.entries(face.taskErrors).map(([task, message]) => (
          // one task failed on this face: said here, in words, while every other task still shows (issue 12 #1)
          <p key={task} className="face-task-error" role="status" data-testid="face-task-error" data-task={task}>
            {message}
          </p>
        ))}

      {face.age &&
        Object.entries(face.age).map(([head, r]) => (
          <section
            key={head}
            className="face-section"
            data-testid="face-age"
            data-head={head}
            data-years={r.years.toFixed(1)}
          >
            <h4>
              Age · {headTitle('age', head)} {tag}
            </h4>
            <p className="face-value">
              <span className="face-num">{r.years.toFixed(1)}</span> years
              <svg
                className="face-spark"
                viewBox={`0 0 ${SPARK_W - 1} ${SPARK_H}`}
                width={SPARK_W}
                height={SPARK_H}
                data-testid="face-age-distribution"
                data-bins={r.distribution.length}
                role="img"
                aria-label="Distribution over ages 0 to 100"
              >
                <path d={sparklinePath(r.distribution, SPARK_W - 1, SPARK_H)} />
              </svg>
            </p>
          </section>
        ))}

      {face.expression &&
        Object.entries(face.expression).map(([head, r]) => {
          const rows = expressionRows(head, r.probs);
          const lead = leadingLabel(rows);
          return (
            <section
              key={head}
              className="face-section"
              data-testid="face-expression"
              data-head={head}
              data-top={lead ?? ''}
            >
              <h4>
                Expression · {headTitle('affect', head)} {tag}
              </h4>
              {lead === null && (
                <p className="face-hint" data-testid="face-expression-tie">
                  no clear top expression (tie)
                </p>
              )}
              <ul className="face-bars">
                {rows.map(({ label, p }) => (
                  <li
                    key={label}
                    data-testid="face-expression-bar"
                    data-label={label}
                    data-p={p.toFixed(3)}
                    className={label === lead ? 'face-top' : undefined}
                  >
                    <span className="face-bar-label">{label}</span>
                    <span className="face-bar">
                      <span style={{ width: `${Math.max(0, Math.min(1, p)) * 100}%` }} />
                    </span>
                    <span className="face-num">{Math.round(p * 100)}%</span>
                  </li>
                ))}
              </ul>
            </section>
          );
        })}

      {face.attributes &&
        (() => {
          const on = attributesOn(face.attributes);
          return (
            <section
              className="face-section"
              data-testid="face-attributes"
              data-head="celeba"
              data-on={on.map((a) => a.name).join(',')}
            >
              <h4>Attributes · CelebA {tag}</h4>
              {on.length === 0 ? (
                <p className="face-hint">none with probability ≥ 50%</p>
              ) : (
                <ul className="face-chips">
                  {on.map(({ name, p }) => (
                    <li
                      key={name}
                      data-testid="face-attribute"
                      data-name={name}
                      data-p={p.toFixed(3)}
                      title={`p = ${p.toFixed(2)}`}
                    >
                      {humaniseAttribute(name)}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })()}

      {face.identity && <FaceIdentity embedding={face.identity.embedding} untrained={untrained} />}
      {face.identity && onCompare && (
        <button
          type="button"
          className="link"
          data-testid="face-compare"
          onClick={onCompare}
          title="Pick this face for a 1:1 comparison (panel “Compare two faces”)"
        >
          Compare…
        </button>
      )}

      {face.layerAttention && <LayerAttentionChart shares={face.layerAttention} untrained={untrained} />}
    </article>
  );
}
