import { formatNumber } from "~/utils/format";

/** Progress toward a campaign's objective, as a labelled meter and in words. */
export function ObjectiveProgress({
  total,
  target,
  label,
}: {
  total: number;
  target: number;
  label: string;
}) {
  const percent = target > 0 ? Math.min(100, Math.round((total / target) * 100)) : 0;
  return (
    <div className="progress">
      <p className="progress__words">
        <strong>{formatNumber(total)}</strong> of {formatNumber(target)} {label} ({percent}%)
      </p>
      <meter
        className="progress__meter"
        min={0}
        max={target}
        value={Math.min(total, target)}
        aria-label={`${formatNumber(total)} of ${formatNumber(target)} ${label}`}
      >
        {percent}%
      </meter>
    </div>
  );
}
