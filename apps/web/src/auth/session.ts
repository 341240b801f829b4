// Keeps the access token in sessionStorage and takes it out of the address bar on arrival.
import { decodeToken, isExpired, tokenFromFragment, type TokenClaims } from "./token";

export const TOKEN_KEY = "ptool.token";

export interface Session {
  token: string;
  claims: TokenClaims;
}

function sessionFor(token: string | null): Session | null {
  if (!token) return null;
  const claims = decodeToken(token);
  if (!claims || isExpired(claims, Date.now())) return null;
  return { token, claims };
}

/** Moves a `#token=` fragment into storage (removing it from the URL) and returns the stored session. */
export function takeSession(): Session | null {
  const fromUrl = tokenFromFragment(window.location.hash);
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    const clean = window.location.pathname + window.location.search;
    history.replaceState(history.state, "", clean);
  }
  const session = sessionFor(sessionStorage.getItem(TOKEN_KEY));
  if (!session) sessionStorage.removeItem(TOKEN_KEY);
  return session;
}

/** Stores a pasted token; null when it is not a usable token. */
export function signIn(token: string): Session | null {
  const session = sessionFor(token.trim());
  if (session) sessionStorage.setItem(TOKEN_KEY, session.token);
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
