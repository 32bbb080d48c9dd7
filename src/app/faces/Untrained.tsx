/** The tag that keeps outputs of random weights from passing for predictions. */
export function UntrainedTag() {
  return (
    <span
      className="face-untrained"
      data-testid="face-untrained"
      title="This model has random (untrained) weights: the values mean nothing."
    >
      untrained — meaningless
    </span>
  );
}
