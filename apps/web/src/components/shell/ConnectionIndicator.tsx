// The live-connection indicator in the header (text and data-state fixed by the UI contract).
import { CONNECTION_LABEL, type ConnectionState } from "../../live/state";

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span class={`conn conn-${state}`} data-testid="connection" role="status" data-state={state}>
      <span class="conn-dot" aria-hidden="true" />
      <span class="conn-text">{CONNECTION_LABEL[state]}</span>
    </span>
  );
}
