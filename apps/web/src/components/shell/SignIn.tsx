// Sign-in screen: explains the token link and accepts a pasted token.
import { useState } from "preact/hooks";
import { signIn, type Session } from "../../auth/session";
import { Header } from "./Header";

export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice?: string | null }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);

  const submit = (e: Event): void => {
    e.preventDefault();
    const session = signIn(value);
    if (session) {
      setValue("");
      onSignedIn(session);
    } else {
      setError("That is not a valid access token, or it has expired. Ask for a new sign-in link.");
    }
  };

  return (
    <div class="app">
      <Header />
      <main class="signin-wrap">
        <section class="signin card" data-testid="signin" aria-labelledby="signin-title">
          <h1 id="signin-title">Sign in</h1>
          {notice && (
            <p class="notice" role="status">
              {notice}
            </p>
          )}
          <p>
            Open the sign-in link that <code>scripts/run</code> prints when it starts (it looks like{" "}
            <code>http://localhost:8080/#token=…</code>). The link signs you in for this browser tab.
          </p>
          <p>Or paste an access token here:</p>
          <form onSubmit={submit} class="signin-form">
            <label for="token-input">Access token</label>
            <textarea
              id="token-input"
              rows={3}
              value={value}
              spellcheck={false}
              autocomplete="off"
              aria-invalid={error ? "true" : undefined}
              aria-describedby={error ? "token-error" : undefined}
              onInput={(e) => {
                setValue((e.currentTarget as HTMLTextAreaElement).value);
                setError(null);
              }}
            />
            {error && (
              <p id="token-error" class="field-error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" class="btn btn-primary">
              Sign in
            </button>
          </form>
        </section>
      </main>
    </div>
  );
}
