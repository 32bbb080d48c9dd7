/** One FacePanel per face of an analysis (image or video frame). */
import type { ImageAnalysis } from '../../../workers/perception-api.ts';
import { FacePanel } from './FacePanel.tsx';

export function FaceList({ analysis, testId = 'face-list' }: { analysis: ImageAnalysis; testId?: string }) {
  const untrained = analysis.model?.untrained === true;
  return (
    <div className="face-list" data-testid={testId} data-count={analysis.faces.length}>
      {analysis.faces.map((face, i) => (
        // Video faces keep their panel (and a half-typed enrol name) while their track lives.
        <FacePanel key={face.trackId !== undefined ? `t${face.trackId}` : `i${i}`} face={face} index={i} untrained={untrained} />
      ))}
    </div>
  );
}
