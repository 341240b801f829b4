// Mounts @event-calendar/core (Svelte inside) into a Preact-managed element and keeps its options in sync.
import { useEffect, useRef } from "preact/hooks";
import {
  createCalendar,
  destroyCalendar,
  Interaction,
  List,
  ResourceTimeGrid,
  type Calendar,
} from "@event-calendar/core";
import "@event-calendar/core/index.css";
import type { Artist } from "../../api/wire";
import { readBookingProps } from "../../board/calendarEvents";

interface Props {
  artists: Artist[];
  events: Calendar.EventInput[];
  listView: boolean;
  date: Date;
  selectable: boolean;
  onRangeChange: (start: Date, end: Date) => void;
  onOpenBooking: (bookingId: string) => void;
  onSelectRange: (artistId: string, start: Date, end: Date) => void;
}

const TIME: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

function eventContent(info: Calendar.EventContentInfo): Calendar.Content | undefined {
  const props = readBookingProps(info.event.extendedProps);
  if (!props) return undefined;
  const wrap = document.createElement("div");
  wrap.className = "pt-ev";
  const tag = document.createElement("span");
  tag.className = "pt-ev-tag";
  tag.textContent = props.label;
  const title = document.createElement("span");
  title.className = "pt-ev-title";
  title.textContent = typeof info.event.title === "string" ? info.event.title : "";
  const time = document.createElement("time");
  time.className = "pt-ev-time";
  time.textContent = info.timeText;
  wrap.append(tag, title, time);
  return { domNodes: [wrap] };
}

function eventDidMount(info: Calendar.EventDidMountInfo): void {
  const props = readBookingProps(info.event.extendedProps);
  if (!props) return;
  const el = info.el;
  el.dataset.bookingId = props.bookingId;
  el.dataset.status = props.status;
  el.tabIndex = 0;
  const title = typeof info.event.title === "string" ? info.event.title : "";
  el.setAttribute("aria-label", `${title}, ${props.label}, ${info.timeText}`);
}

/** Column heads show the first name (columns are narrow); the rest of the name stays in the text for
 * screen readers and the tooltip. */
function resourceLabelContent(info: Calendar.ResourceLabelInfo): Calendar.Content {
  const full = typeof info.resource.title === "string" ? info.resource.title : "";
  const [first = full, ...rest] = full.split(/\s+/);
  const span = document.createElement("span");
  span.className = "pt-res";
  span.title = full;
  span.textContent = first;
  if (rest.length > 0) {
    const tail = document.createElement("span");
    tail.className = "visually-hidden";
    tail.textContent = ` ${rest.join(" ")}`;
    span.append(tail);
  }
  return { domNodes: [span] };
}

export function CalendarView(props: Props) {
  const host = useRef<HTMLDivElement>(null);
  const cal = useRef<Calendar | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    if (!host.current) return;
    const c = createCalendar(host.current, [ResourceTimeGrid, List, Interaction], {
      view: props.listView ? "listWeek" : "resourceTimeGridWeek",
      date: props.date,
      firstDay: 1,
      locale: "en-GB",
      headerToolbar: { start: "", center: "", end: "" },
      resources: props.artists.map((a) => ({ id: a.id, title: a.name })),
      datesAboveResources: true,
      resourceLabelContent,
      // Narrow screens with the panel open scroll sideways instead of squeezing columns to nothing.
      columnWidth: "minmax(40px, 1fr)",
      allDaySlot: false,
      slotDuration: "00:30",
      slotHeight: 22,
      scrollTime: "08:00",
      nowIndicator: true,
      height: "100%",
      selectable: props.selectable,
      unselectAuto: true,
      events: props.events,
      dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" },
      slotLabelFormat: TIME,
      eventTimeFormat: TIME,
      listDayFormat: { weekday: "long" },
      listDaySideFormat: { day: "numeric", month: "long" },
      noEventsContent: "No bookings this week.",
      eventContent,
      eventDidMount,
      eventClick: (info) => {
        const p = readBookingProps(info.event.extendedProps);
        if (p) latest.current.onOpenBooking(p.bookingId);
      },
      datesSet: (info) => latest.current.onRangeChange(info.start, info.end),
      select: (info) => {
        c.unselect();
        if (info.resource) latest.current.onSelectRange(String(info.resource.id), info.start, info.end);
      },
    });
    cal.current = c;
    return () => {
      cal.current = null;
      void destroyCalendar(c);
    };
    // The calendar is created once; the effects below push later changes into it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    cal.current?.setOption("events", props.events);
  }, [props.events]);

  useEffect(() => {
    cal.current?.setOption("resources", props.artists.map((a) => ({ id: a.id, title: a.name })));
  }, [props.artists]);

  useEffect(() => {
    cal.current?.setOption("view", props.listView ? "listWeek" : "resourceTimeGridWeek");
  }, [props.listView]);

  useEffect(() => {
    cal.current?.setOption("selectable", props.selectable);
  }, [props.selectable]);

  useEffect(() => {
    const c = cal.current;
    if (!c) return;
    const current = c.getOption("date");
    if (!(current instanceof Date) || current.getTime() !== props.date.getTime()) c.setOption("date", props.date);
  }, [props.date]);

  return <div class="calendar-host" ref={host} />;
}
