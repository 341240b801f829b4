// Placing a hold without a mouse drag: keyboard users and phones (whose list view has no grid)
// pick an artist, a date and a time range in the browser's zone; the board places it as a drag would.
import { useState } from "preact/hooks";
import type { Artist } from "../../api/wire";
import { holdRangeFromForm } from "../../board/week";

interface Props {
  artists: Artist[];
  /** The day the form starts on: the shown week's first day, or today when that week is current. */
  defaultDate: string;
  busy: boolean;
  onPlace: (artistId: string, start: Date, end: Date) => void;
  onCancel: () => void;
}

export function NewHoldForm(p: Props) {
  const [artistId, setArtistId] = useState(p.artists[0]?.id ?? "");
  const [date, setDate] = useState(p.defaultDate);
  const [from, setFrom] = useState("10:00");
  const [to, setTo] = useState("12:00");
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    const range = holdRangeFromForm(date, from, to);
    if ("error" in range) {
      setProblem(range.error);
      return;
    }
    setProblem(null);
    p.onPlace(artistId, range.start, range.end);
  };

  return (
    <form class="new-hold card" aria-label="New hold" data-testid="new-hold-form" onSubmit={submit}>
      <div class="new-hold-fields">
        <label>
          Artist
          <select value={artistId} onChange={(e) => setArtistId(e.currentTarget.value)}>
            {p.artists.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Date
          <input type="date" required value={date} onInput={(e) => setDate(e.currentTarget.value)} />
        </label>
        <label>
          From
          <input type="time" required step={900} value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="time" required step={900} value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
      </div>
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
      <div class="new-hold-buttons">
        <button type="submit" class="btn btn-primary" disabled={p.busy || !artistId}>
          {p.busy ? "Placing…" : "Place hold"}
        </button>
        <button type="button" class="btn" onClick={p.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
