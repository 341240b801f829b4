// The page's one socket.io-client connection: state, lastSeq for replay, refetch triggers and heartbeats.
import { io, type Socket } from "socket.io-client";
import {
  AvailabilityChangedSchema,
  HeartbeatAckSchema,
  LiveBookingEventSchema,
  type HeartbeatAck,
  type LiveBookingEvent,
} from "../api/wire";
import { stateAfterConnectError, stateAfterDisconnect, type ConnectionState } from "./state";

export interface LiveHandlers {
  onState: (state: ConnectionState) => void;
  onBookingEvent: (event: LiveBookingEvent) => void;
  onAvailabilityChanged: (artistId: string) => void;
  /** The board may have missed events: refetch the visible range. */
  onResync: () => void;
  onUnauthenticated: () => void;
}

export class LiveConnection {
  private socket: Socket | null = null;
  private lastSeq: number | null = null;
  private everConnected = false;
  private state: ConnectionState = "connecting";

  constructor(
    private readonly token: string,
    private readonly handlers: LiveHandlers,
  ) {}

  start(): void {
    if (this.socket) return;
    const socket = io({
      path: "/socket.io/",
      // A handshake that has not completed in 5 s is abandoned and retried (default 20 s), so a
      // stalled attempt does not leave the board "Connecting…" for long.
      timeout: 5_000,
      auth: (cb) => cb(this.lastSeq === null ? { token: this.token } : { token: this.token, lastSeq: this.lastSeq }),
    });
    this.socket = socket;
    this.setState("connecting");

    socket.on("connect", () => {
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.setState("live");
      // Replay by lastSeq covers most gaps, but not events of bookings fetched before the first seq was known.
      if (reconnect) this.handlers.onResync();
    });
    socket.on("disconnect", (reason) => this.setState(stateAfterDisconnect(reason)));
    socket.on("connect_error", (err: Error) => {
      const next = stateAfterConnectError(err.message, this.everConnected);
      this.setState(next);
      if (err.message === "unauthenticated") this.handlers.onUnauthenticated();
    });
    socket.on("resync.required", () => this.handlers.onResync());
    socket.on("availability.changed", (payload: unknown) => {
      const parsed = AvailabilityChangedSchema.safeParse(payload);
      if (parsed.success) this.handlers.onAvailabilityChanged(parsed.data.artistId);
    });
    socket.onAny((name: string, payload: unknown) => {
      if (!name.startsWith("booking.")) return;
      const parsed = LiveBookingEventSchema.safeParse(payload);
      if (!parsed.success) {
        // A shape this build does not know (e.g. a newer server during a rolling deploy): do not
        // guess at it, reload the week from the API instead of silently missing a change.
        console.warn("unexpected live event", name, parsed.error.issues.slice(0, 3));
        this.handlers.onResync();
        return;
      }
      if (this.lastSeq === null || parsed.data.seq > this.lastSeq) this.lastSeq = parsed.data.seq;
      this.handlers.onBookingEvent(parsed.data);
    });
    window.addEventListener("offline", this.onBrowserOffline);
    window.addEventListener("online", this.onBrowserOnline);
  }

  stop(): void {
    window.removeEventListener("offline", this.onBrowserOffline);
    window.removeEventListener("online", this.onBrowserOnline);
    this.socket?.removeAllListeners();
    this.socket?.offAny();
    this.socket?.disconnect();
    this.socket = null;
  }

  /** Extends a hold like POST .../extend; resolves with the server's ack (or a synthetic error). */
  heartbeat(bookingId: string): Promise<HeartbeatAck> {
    const socket = this.socket;
    if (!socket?.connected) return Promise.resolve({ error: { code: "offline" } });
    return socket
      .timeout(10_000)
      .emitWithAck("hold.heartbeat", { bookingId })
      .then((ack: unknown) => {
        const parsed = HeartbeatAckSchema.safeParse(ack);
        return parsed.success ? parsed.data : { error: { code: "malformed_ack" } };
      })
      .catch(() => ({ error: { code: "timeout" } }));
  }

  private readonly onBrowserOffline = (): void => this.setState("offline");
  private readonly onBrowserOnline = (): void => {
    if (!this.socket) return;
    if (this.socket.connected) this.setState("live");
    else {
      this.setState(this.everConnected ? "reconnecting" : "connecting");
      this.socket.connect();
    }
  };

  private setState(next: ConnectionState): void {
    if (next === this.state && next !== "connecting") return;
    this.state = next;
    this.handlers.onState(next);
  }
}
