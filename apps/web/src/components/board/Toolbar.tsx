// Week navigation, the shown week and time zone, and the "Show ended bookings" switch.

interface Props {
  title: string;
  timeZone: string;
  showEnded: boolean;
  onPrev: () => void;
  onNext: () => void;
  onToday: () => void;
  onShowEnded: (v: boolean) => void;
}

export function Toolbar(p: Props) {
  return (
    <div class="toolbar">
      <div class="nav" role="group" aria-label="Week">
        <button type="button" class="btn btn-icon" aria-label="Previous week" onClick={p.onPrev}>
          <span aria-hidden="true">‹</span>
        </button>
        <button type="button" class="btn" onClick={p.onToday}>
          Today
        </button>
        <button type="button" class="btn btn-icon" aria-label="Next week" onClick={p.onNext}>
          <span aria-hidden="true">›</span>
        </button>
        <h1 class="week-title" aria-live="polite">
          {p.title}
        </h1>
      </div>
      <div class="toolbar-right">
        <span class="timezone" data-testid="timezone">
          Times in {p.timeZone}
        </span>
        <label class="check">
          <input type="checkbox" checked={p.showEnded} onChange={(e) => p.onShowEnded(e.currentTarget.checked)} />
          Show ended bookings
        </label>
      </div>
    </div>
  );
}
