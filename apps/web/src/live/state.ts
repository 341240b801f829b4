// Connection states of the live socket and the words the indicator shows for them (fixed by the UI contract).

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

export const CONNECTION_LABEL: Record<ConnectionState, string> = {
  live: "Live",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** The state after the socket dropped: a client-side close is final, anything else retries. */
export function stateAfterDisconnect(reason: string): ConnectionState {
  return reason === "io client disconnect" ? "offline" : "reconnecting";
}

/** The state after a failed connection attempt. */
export function stateAfterConnectError(message: string, everConnected: boolean): ConnectionState {
  if (message === "unauthenticated") return "offline";
  return everConnected ? "reconnecting" : "connecting";
}
