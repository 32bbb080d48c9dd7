/** One FacePanel per face of an analysis (image or video frame). */
import type { ImageAnalysis } from '../../result.ts';
import { FacePanel } from './FacePanel.tsx';

export function FaceList({
  analysis,
  testId = 'face-list',
  highlighted = null,
  onHover,
  onCompare,
}: {
  analysis: ImageAnalysis;
  testId?: string;
  /** Face whose box the pointer is on (its panel is highlighted). */
  highlighted?: number | null;
  /** A panel hovered/focused (its index) or left (null): the overlay highlights that face's box. */
  onHover?: (index: number | null) => void;
  /** Picks face `index` for the 1:1 comparison (photo cards only). */
  onCompare?: (index: number) => void;
}) {
  const untrained = analysis.model?.untrained === true;
  return (
    <div className="face-list" data-testid={testId} data-count={analysis.faces.length}>
      {analysis.faces.map((face, i) => (
        // Video faces keep their panel (and a half-typed enrol name) while their track lives.
        <FacePanel
          key={face.trackId !== undefined ? `t${face.trackId}` : `i${i}`}
          face={face}
          index={i}
          untrained={untrained}
          highlighted={highlighted === i}
          onHover={onHover}
          onCompare={onCompare && (() => onCompare(i))}
        />
      ))}
    </div>
  );
}
