// The app header: product name, who is signed in, the connection indicator and sign-out.
import type { TokenClaims } from "../../auth/token";
import type { ConnectionState } from "../../live/state";
import { ConnectionIndicator } from "./ConnectionIndicator";

interface Props {
  claims?: TokenClaims;
  connection?: ConnectionState;
  onSignOut?: () => void;
}

export function Header({ claims, connection, onSignOut }: Props) {
  return (
    <header class="app-header">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span class="brand-name">Production Tool</span>
        <span class="brand-sub">Booking board</span>
      </div>
      {claims && (
        <div class="header-right">
          {connection && <ConnectionIndicator state={connection} />}
          <span class="whoami" data-testid="whoami" title={`Signed in as ${claims.sub}`}>
            {claims.sub} · {claims.role}
          </span>
          {onSignOut && (
            <button type="button" class="btn btn-quiet btn-on-dark" onClick={onSignOut}>
              Sign out
            </button>
          )}
        </div>
      )}
    </header>
  );
}
