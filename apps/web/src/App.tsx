import { useEffect, useState } from "react";

import { ChatError, type ChatClient, type User } from "@causette/sdk";

import { AuthForm } from "./AuthForm.tsx";
import { Chat } from "./Chat.tsx";

/** The session: the kept token's user once checked, the log-in screen without one. */
export function App({ client }: { client: ChatClient }) {
  const [user, setUser] = useState<User | null | undefined>(client.auth.token() ? undefined : null);

  useEffect(() => {
    if (user !== undefined) return;
    client.users.me().then(setUser, (error: unknown) => {
      // A token the server no longer takes: log in again. Any other failure keeps it for the next load.
      if (ChatError.is(error) && error.code === "UNAUTHORIZED") client.auth.setToken(null);
      setUser(null);
    });
  }, [client, user]);

  if (user === undefined) return <p className="loading">Loading…</p>;
  if (user === null) return <AuthForm client={client} onLoggedIn={setUser} />;
  return (
    <Chat
      client={client}
      me={user}
      onLoggedOut={() => {
        setUser(null);
      }}
    />
  );
}
