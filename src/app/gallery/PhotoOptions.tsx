/**
 * How photos are searched for faces: the detector mode, the minimum face score and the most faces kept. Changes
 * apply to the next photos (and the score also to the live camera); cards already shown keep their result.
 */
import { useSettings } from '../../state/settings.ts';
import type { DetectorChoice } from '../../options.ts';

export function PhotoOptions() {
  const { detector, minScore, maxFaces, set } = useSettings();
  return (
    <div className="controls photo-options" data-testid="photo-options">
      <label>
        Photo detector{' '}
        <select
          data-testid="setting-detector"
          value={detector}
          onChange={(e) => set({ detector: e.target.value as DetectorChoice })}
        >
          <option value="auto">every face (both models + tiles)</option>
          <option value="front">BlazeFace 128 only (close faces)</option>
          <option value="back">BlazeFace 256 only (small faces)</option>
        </select>
      </label>
      <label title="Detector confidence a face needs (photos and the live camera). Lower finds more faces, and more false ones.">
        Minimum score{' '}
        <input
          type="number"
          data-testid="setting-min-score"
          min={0.05}
          max={0.95}
          step={0.05}
          value={minScore}
          onChange={(e) => {
            const v = Number(e.target.value);
            if (v > 0 && v < 1) set({ minScore: v });
          }}
        />
      </label>
      <label title="Keep at most this many faces per photo, best first (empty: all)">
        Maximum faces{' '}
        <input
          type="number"
          data-testid="setting-max-faces"
          min={1}
          step={1}
          placeholder="all"
          value={maxFaces > 0 ? maxFaces : ''}
          onChange={(e) => {
            const v = Math.floor(Number(e.target.value));
            set({ maxFaces: e.target.value === '' || !(v > 0) ? 0 : v });
          }}
        />
      </label>
    </div>
  );
}
