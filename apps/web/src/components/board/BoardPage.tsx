// The signed-in page: loads artists, the visible week's bookings and schedules, follows live events,
// places holds from drag-selection and hosts the booking panel.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { ApiClient } from "../../api/client";
import { isApiError } from "../../api/errors";
import type { Artist, Booking, ScheduleSegment } from "../../api/wire";
import type { Session } from "../../auth/session";
import { bookingEvents, unavailableEvents } from "../../board/calendarEvents";
import { bookingsReducer, type BookingMap } from "../../board/bookings";
import { addDays, isoDate, weekOf, weekTitle } from "../../board/week";
import { canEditBookings, type BookingAction } from "../../booking/actions";
import { describeError, referencedBookingIds, type ErrorView } from "../../booking/errorMessages";
import { useLastActivity } from "../../hooks/useActivity";
import { useMediaQuery } from "../../hooks/useMediaQuery";
import { LiveConnection } from "../../live/connection";
import { heartbeatDue } from "../../live/heartbeat";
import type { ConnectionState } from "../../live/state";
import { BookingPanel } from "../booking/BookingPanel";
import { ErrorAlert } from "../booking/ErrorAlert";
import { Header } from "../shell/Header";
import { CalendarView } from "./CalendarView";
import { Legend } from "./Legend";
import { NewHoldForm } from "./NewHoldForm";
import { Toolbar } from "./Toolbar";

interface Range {
  start: Date;
  end: Date;
}

const TZ = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function BoardPage({ session, onSignOut, onExpired }: { session: Session; onSignOut: () => void; onExpired: () => void }) {
  const { claims } = session;
  const api = useMemo(() => new ApiClient(session.token, onExpired), [session.token, onExpired]);
  const listView = useMediaQuery("(max-width: 699.98px)");

  const [artists, setArtists] = useState<Artist[] | null>(null);
  const [bookings, dispatch] = useReducer(bookingsReducer, new Map() as BookingMap);
  const [schedules, setSchedules] = useState<ReadonlyMap<string, ScheduleSegment[]>>(new Map());
  const [range, setRange] = useState<Range | null>(null);
  const [date, setDate] = useState(() => new Date());
  const [firstLoadDone, setFirstLoadDone] = useState(false);
  const [showEnded, setShowEnded] = useState(false);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [panelLoadError, setPanelLoadError] = useState<ErrorView | null>(null);
  const [boardError, setBoardError] = useState<ErrorView | null>(null);
  const [conn, setConn] = useState<ConnectionState>("connecting");

  const bookingsRef = useRef(bookings);
  bookingsRef.current = bookings;
  const rangeRef = useRef(range);
  rangeRef.current = range;
  const artistsRef = useRef(artists);
  artistsRef.current = artists;
  const fetchGen = useRef(0);
  const liveSinceFetch = useRef(new Set<string>());
  const live = useRef<LiveConnection | null>(null);

  const artistName = useCallback(
    (id: string): string => artists?.find((a) => a.id === id)?.name ?? "Unknown artist",
    [artists],
  );

  const explain = useCallback(
    async (e: unknown, action: BookingAction | "create" | "title", bookingId?: string): Promise<ErrorView> => {
      const ctx = { tz: TZ, nowMs: Date.now(), role: claims.role, action };
      if (!isApiError(e)) {
        return describeError("network", {}, { ...ctx, lookup: () => undefined });
      }
      const known = new Map(bookingsRef.current);
      if (e.code === "version_mismatch" && bookingId) {
        try {
          const fresh = await api.getBooking(bookingId);
          dispatch({ type: "upsert", booking: fresh });
        } catch {
          // The message still tells the user what happened; the live feed will bring the update.
        }
      }
      const missing = referencedBookingIds(e.problem).filter((id) => !known.has(id));
      await Promise.all(
        missing.slice(0, 5).map(async (id) => {
          try {
            const b = await api.getBooking(id);
            known.set(id, b);
            dispatch({ type: "upsert", booking: b });
          } catch {
            // Not visible to us: the message falls back to the booking's status and time.
          }
        }),
      );
      return describeError(e.code, e.problem, { ...ctx, lookup: (id) => known.get(id) });
    },
    [api, claims.role],
  );

  const loadSchedules = useCallback(
    async (r: Range, artistIds: string[]): Promise<Map<string, ScheduleSegment[]>> => {
      const from = r.start.toISOString();
      const to = r.end.toISOString();
      const out = new Map<string, ScheduleSegment[]>();
      await Promise.all(
        artistIds.map(async (id) => {
          const s = await api.getSchedule(id, from, to);
          out.set(id, s.data);
        }),
      );
      return out;
    },
    [api],
  );

  const refetchRange = useCallback(async (): Promise<void> => {
    const r = rangeRef.current;
    const list = artistsRef.current;
    if (!r || !list) return;
    const gen = ++fetchGen.current;
    liveSinceFetch.current = new Set();
    try {
      const [fetched, scheds] = await Promise.all([
        api.listBookings(r.start.toISOString(), r.end.toISOString()),
        loadSchedules(
          r,
          list.map((a) => a.id),
        ),
      ]);
      if (gen !== fetchGen.current) return;
      dispatch({ type: "loaded", bookings: fetched, keepIds: liveSinceFetch.current });
      setSchedules(scheds);
      setBoardError((prev) => (prev?.code === "load" ? null : prev));
    } catch (e) {
      if (gen !== fetchGen.current) return;
      const view = await explain(e, "create");
      setBoardError({ ...view, message: `The board could not be loaded. ${view.message}` });
    } finally {
      if (gen === fetchGen.current) setFirstLoadDone(true);
    }
  }, [api, explain, loadSchedules]);

  // Artists once per session.
  useEffect(() => {
    let cancelled = false;
    api
      .listArtists()
      .then((list) => {
        if (!cancelled) setArtists(list.sort((a, b) => a.name.localeCompare(b.name)));
      })
      .catch(async (e: unknown) => {
        if (cancelled) return;
        setArtists([]);
        setFirstLoadDone(true);
        const view = await explain(e, "create");
        setBoardError({ ...view, message: `The artists could not be loaded. ${view.message}` });
      });
    return () => {
      cancelled = true;
    };
  }, [api, explain]);

  useEffect(() => {
    if (range && artists) void refetchRange();
  }, [range, artists, refetchRange]);

  // The one live connection of this page.
  useEffect(() => {
    const c = new LiveConnection(session.token, {
      onState: setConn,
      onBookingEvent: (ev) => {
        liveSinceFetch.current.add(ev.booking.id);
        dispatch({ type: "upsert", booking: ev.booking });
      },
      onAvailabilityChanged: (artistId) => {
        const r = rangeRef.current;
        if (!r) return;
        loadSchedules(r, [artistId])
          .then((one) => setSchedules((prev) => new Map([...prev, ...one])))
          .catch(() => undefined);
      },
      onResync: () => void refetchRange(),
      onUnauthenticated: onExpired,
    });
    live.current = c;
    c.start();
    return () => {
      c.stop();
      live.current = null;
    };
  }, [session.token, refetchRange, loadSchedules, onExpired]);

  // Heartbeats for the user's own hold open in the panel, while they are active.
  const lastActivity = useLastActivity();
  const beat = useRef<{ id: string | null; last: number; lowFor: number | null }>({ id: null, last: 0, lowFor: null });
  useEffect(() => {
    beat.current = { id: selectedId, last: Date.now(), lowFor: null };
  }, [selectedId]);
  useEffect(() => {
    const t = window.setInterval(() => {
      const id = beat.current.id;
      const b = id ? bookingsRef.current.get(id) : undefined;
      if (!b || !live.current) return;
      const now = Date.now();
      const expiresAtMs = b.expiresAt ? Date.parse(b.expiresAt) : null;
      const due = heartbeatDue({
        nowMs: now,
        lastActivityMs: lastActivity.current,
        lastBeatMs: beat.current.last,
        expiresAtMs,
        ownHold: b.status === "hold" && b.createdBy === claims.sub,
        lowBeatForExpiryMs: beat.current.lowFor,
      });
      if (!due) return;
      beat.current.last = now;
      if (due === "low") beat.current.lowFor = expiresAtMs;
      void live.current.heartbeat(b.id);
    }, 5000);
    return () => window.clearInterval(t);
  }, [claims.sub, lastActivity]);

  const onRangeChange = useCallback((start: Date, end: Date) => {
    setRange((prev) =>
      prev && prev.start.getTime() === start.getTime() && prev.end.getTime() === end.getTime() ? prev : { start, end },
    );
  }, []);

  const openBooking = useCallback(
    async (id: string) => {
      setSelectedId(id);
      setPanelLoadError(null);
      let b = bookingsRef.current.get(id);
      if (!b) {
        try {
          b = await api.getBooking(id);
          dispatch({ type: "upsert", booking: b });
        } catch (e) {
          setPanelLoadError(await explain(e, "create"));
          return;
        }
      }
      const r = rangeRef.current;
      const start = new Date(b.startTime);
      if (r && (start < r.start || start >= r.end)) setDate(start);
    },
    [api, explain],
  );

  // Places a hold (from a drag or the New hold form); resolves true when it was placed.
  const onSelectRange = useCallback(
    async (artistId: string, start: Date, end: Date): Promise<boolean> => {
      setBoardError(null);
      try {
        const b = await api.createHold(artistId, start.toISOString(), end.toISOString());
        liveSinceFetch.current.add(b.id);
        dispatch({ type: "upsert", booking: b });
        setSelectedId(b.id);
        setPanelLoadError(null);
        return true;
      } catch (e) {
        setBoardError(await explain(e, "create"));
        return false;
      }
    },
    [api, explain],
  );
  const [newHoldOpen, setNewHoldOpen] = useState(false);
  const [placing, setPlacing] = useState(false);
  const placeFromForm = useCallback(
    async (artistId: string, start: Date, end: Date) => {
      setPlacing(true);
      const placed = await onSelectRange(artistId, start, end);
      setPlacing(false);
      if (placed) {
        setNewHoldOpen(false);
        const r = rangeRef.current;
        if (r && (start < r.start || start >= r.end)) setDate(start);
      }
    },
    [onSelectRange],
  );

  const upsert = useCallback((b: Booking) => dispatch({ type: "upsert", booking: b }), []);
  const closePanel = useCallback(() => setSelectedId(null), []);
  const panelExplain = useCallback(
    (e: unknown, action: BookingAction | "title") => explain(e, action, selectedId ?? undefined),
    [explain, selectedId],
  );

  const events = useMemo(() => {
    const opts = { showEnded, listView, artistName: (id: string) => artists?.find((a) => a.id === id)?.name };
    const list = bookingEvents(bookings.values(), opts);
    if (listView) return list;
    const shading = [...schedules].flatMap(([id, segs]) => unavailableEvents(id, segs));
    return [...shading, ...list];
  }, [bookings, schedules, showEnded, listView, artists]);

  const shown = range ?? weekOf(date);
  const title = weekTitle(shown.start, shown.end);
  const selected = selectedId ? bookings.get(selectedId) : undefined;
  // With no artists there is no calendar and nothing more to fetch.
  const loading = artists === null || (artists.length > 0 && !firstLoadDone);

  return (
    <div class={`app${selectedId ? " has-panel" : ""}`}>
      <Header claims={claims} connection={conn} onSignOut={onSignOut} />
      <main class="main">
        <section class="board-area" aria-label="Booking board">
          <Toolbar
            title={title}
            timeZone={TZ}
            showEnded={showEnded}
            onPrev={() => setDate((d) => addDays(d, -7))}
            onNext={() => setDate((d) => addDays(d, 7))}
            onToday={() => setDate(new Date())}
            onShowEnded={setShowEnded}
          />
          <div class="subbar">
            <Legend />
            {canEditBookings(claims.role) && (
              <div class="subbar-right">
                {!listView && <p class="hint">Drag across free time in an artist's column to place a hold, or</p>}
                <button
                  type="button"
                  class="btn"
                  aria-expanded={newHoldOpen}
                  disabled={!artists || artists.length === 0}
                  onClick={() => {
                    // One task at a time: on a phone the panel's sheet would cover the form.
                    if (!newHoldOpen) setSelectedId(null);
                    setNewHoldOpen(!newHoldOpen);
                  }}
                >
                  New hold…
                </button>
              </div>
            )}
          </div>
          {newHoldOpen && artists && artists.length > 0 && (
            <NewHoldForm
              artists={artists}
              defaultDate={isoDate(weekOf(new Date()).start.getTime() === shown.start.getTime() ? new Date() : shown.start)}
              busy={placing}
              onPlace={(a, s, e) => void placeFromForm(a, s, e)}
              onCancel={() => setNewHoldOpen(false)}
            />
          )}
          {boardError && (
            <ErrorAlert
              error={boardError}
              testId="board-error"
              onJump={(id) => void openBooking(id)}
              onDismiss={() => setBoardError(null)}
            />
          )}
          <div class="board" data-testid="board" aria-busy={loading ? "true" : undefined}>
            {loading && (
              <div class="loading" data-testid="loading" role="status">
                <span class="spinner" aria-hidden="true" />
                Loading the board…
              </div>
            )}
            {artists !== null && artists.length === 0 && (
              <div class="empty">
                <h2>No artists yet</h2>
                <p>Once a manager adds artists, their weeks appear here side by side.</p>
              </div>
            )}
            {artists !== null && artists.length > 0 && (
              <CalendarView
                artists={artists}
                events={events}
                listView={listView}
                date={date}
                selectable={canEditBookings(claims.role) && !listView}
                onRangeChange={onRangeChange}
                onOpenBooking={(id) => void openBooking(id)}
                onSelectRange={(a, s, e) => void onSelectRange(a, s, e)}
              />
            )}
          </div>
        </section>
        {selectedId && (
          <BookingPanel
            bookingId={selectedId}
            booking={selected}
            loadError={panelLoadError}
            artistName={artistName}
            role={claims.role}
            tz={TZ}
            api={api}
            onClose={closePanel}
            onBooking={upsert}
            onJump={(id) => void openBooking(id)}
            explain={panelExplain}
          />
        )}
      </main>
    </div>
  );
}
