/** What the overlay draws (persisted, see state/overlay.ts). Display only: nothing here re-runs analysis. */
import { useShallow } from 'zustand/react/shallow';
import { useOverlay } from '../../state/overlay.ts';
import './overlay.css';

type Toggle = 'showBoxes' | 'showKeypoints' | 'showPoints' | 'showContours';

const TOGGLES: readonly { key: Toggle; testId: string; text: string; title: string }[] = [
  { key: 'showBoxes', testId: 'overlay-show-boxes', text: 'Boxes', title: 'face boxes and detector scores' },
  { key: 'showKeypoints', testId: 'overlay-show-keypoints', text: 'Keypoints', title: "the detector's six keypoints" },
  { key: 'showPoints', testId: 'overlay-show-points', text: 'Landmarks', title: 'landmark points' },
  {
    key: 'showContours',
    testId: 'overlay-show-contours',
    text: 'Contours',
    title: 'lines joining the landmarks (68 and 98 point sets)',
  },
];

export function OverlayControls() {
  // Not the hovered part: the controls need not re-render while the pointer moves over a mask.
  const options = useOverlay(
    useShallow(({ showBoxes, showKeypoints, showPoints, showContours, maskOpacity, set }) => ({
      showBoxes,
      showKeypoints,
      showPoints,
      showContours,
      maskOpacity,
      set,
    })),
  );
  return (
    <fieldset className="overlay-controls" data-testid="overlay-controls">
      <legend>Show</legend>
      {TOGGLES.map(({ key, testId, text, title }) => (
        <label key={key} title={title}>
          <input
            type="checkbox"
            data-testid={testId}
            checked={options[key]}
            onChange={(e) => options.set({ [key]: e.target.checked })}
          />
          {text}
        </label>
      ))}
      <label title="opacity of the face-parsing colours">
        Parsing
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          data-testid="overlay-opacity"
          data-value={options.maskOpacity}
          value={options.maskOpacity}
          onChange={(e) => options.set({ maskOpacity: Number(e.target.value) })}
        />
        <span className="overlay-opacity-value">{Math.round(options.maskOpacity * 100)}%</span>
      </label>
    </fieldset>
  );
}
