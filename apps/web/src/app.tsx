// Root component: the sign-in gate in front of the board.
import { useCallback, useState } from "preact/hooks";
import { signOut, takeSession, type Session } from "./auth/session";
import { BoardPage } from "./components/board/BoardPage";
import { SignIn } from "./components/shell/SignIn";

export function App() {
  const [session, setSession] = useState<Session | null>(() => takeSession());
  const [notice, setNotice] = useState<string | null>(null);

  const onSignOut = useCallback(() => {
    signOut();
    setNotice("You are signed out.");
    setSession(null);
  }, []);
  const onExpired = useCallback(() => {
    signOut();
    setNotice("Your sign-in has expired or is no longer valid. Please sign in again.");
    setSession(null);
  }, []);

  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          setSession(s);
        }}
      />
    );
  }
  return <BoardPage key={session.token} session={session} onSignOut={onSignOut} onExpired={onExpired} />;
}
