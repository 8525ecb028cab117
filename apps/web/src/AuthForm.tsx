import { useState, type FormEvent } from "react";

import { ChatError, type ChatClient, type User } from "@causette/sdk";

import { textField } from "./forms.ts";

/** Log in, or sign up (then log in) with the same fields. */
export function AuthForm({ client, onLoggedIn }: { client: ChatClient; onLoggedIn: (user: User) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const signUp = (event.nativeEvent as SubmitEvent).submitter?.getAttribute("value") === "signup";
    const email = textField(form, "email");
    const password = textField(form, "password");
    setBusy(true);
    setError(null);
    try {
      if (signUp) await client.auth.register({ username: textField(form, "username"), email, password });
      onLoggedIn((await client.auth.login({ email, password })).user);
    } catch (caught) {
      setError(ChatError.is(caught) ? caught.message : "Something went wrong");
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <h1>Causette</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <label>
          Username
          <input name="username" autoComplete="username" aria-describedby="username-hint" />
        </label>
        <p id="username-hint" className="hint">
          Only to sign up.
        </p>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" value="login" disabled={busy}>
            Log in
          </button>
          <button type="submit" value="signup" disabled={busy}>
            Sign up
          </button>
        </div>
      </form>
    </main>
  );
}
