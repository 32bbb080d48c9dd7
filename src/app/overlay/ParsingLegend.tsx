/**
 * One legend per parsing head present in the faces: swatch + class name from the registry. Pointing at (or
 * focusing) an entry highlights that class in the overlay; the class under the overlay's pointer is marked here.
 * Classes no face shows are dimmed rather than hidden, so the legend keeps its order and size.
 */
import { entryOf } from '../../result.ts';
import { TASK_TYPE_TITLES } from '../../core/faceptor/tasks.ts';
import { useOverlay, type HoveredPart } from '../../state/overlay.ts';
import { labelCounts } from './mask-bitmaps.ts';
import { parsingHeadsIn, type OverlayFace } from './overlay-geometry.ts';
import './overlay.css';

/** Pixels per class of `head` over all faces. */
function countsFor(faces: readonly OverlayFace[], head: string, classes: number): number[] {
  const total = new Array<number>(classes).fill(0);
  for (const face of faces) {
    const result = entryOf(face.parsing, head);
    if (!result) continue;
    labelCounts(result).forEach((n, i) => {
      if (i < classes) total[i] += n;
    });
  }
  return total;
}

export function ParsingLegend({ faces }: { faces: readonly OverlayFace[] }) {
  const hovered = useOverlay((s) => s.hoveredPart);
  const set = useOverlay((s) => s.set);
  return <ParsingLegendView faces={faces} hovered={hovered} onHover={(hoveredPart) => set({ hoveredPart })} />;
}

/** The legend as a function of its inputs (rendered on its own in tests). */
export function ParsingLegendView({
  faces,
  hovered,
  onHover,
}: {
  faces: readonly OverlayFace[];
  hovered: HoveredPart | null;
  onHover: (part: HoveredPart | null) => void;
}) {
  const heads = parsingHeadsIn(faces);
  if (heads.length === 0) return null;
  return (
    <div className="overlay-legends">
      {heads.map(({ head, task }) => {
        const counts = countsFor(faces, head, task.labels.length);
        const enter = (label: number) => onHover({ head, label });
        // leaving one entry for the next fires leave after enter: only clear what is still ours
        const exit = (label: number) => {
          const h = useOverlay.getState().hoveredPart;
          if (h?.head === head && h.label === label) onHover(null);
        };
        return (
          <section key={head} className="overlay-legend" data-testid="overlay-legend" data-head={head}>
            <h4>
              {TASK_TYPE_TITLES.parsing} · {task.dataset}
            </h4>
            <ul>
              {task.labels.map((name, label) => {
                if (label === 0) return null; // background is never drawn
                const active = hovered?.head === head && hovered.label === label;
                const [r, g, b] = task.colours[label];
                return (
                  <li
                    key={label}
                    tabIndex={0}
                    className={active ? 'active' : counts[label] ? undefined : 'absent'}
                    data-testid="overlay-legend-item"
                    data-head={head}
                    data-label={label}
                    data-active={active}
                    data-present={counts[label] > 0}
                    onPointerEnter={() => enter(label)}
                    onPointerLeave={() => exit(label)}
                    onFocus={() => enter(label)}
                    onBlur={() => exit(label)}
                  >
                    <span className="overlay-swatch" style={{ background: `rgb(${r}, ${g}, ${b})` }} />
                    {name}
                    <span className="overlay-count" data-testid="overlay-legend-count">
                      {counts[label].toLocaleString('en')} px
                    </span>
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
