// In your own app: import { ChatError, type ChatClient, type User } from "@causette/sdk";
import { ChatError, type ChatClient, type User } from "../src/index.ts";

/**
 * Logs in, signing up first when the account does not exist yet, so an example runs as often as
 * you like (and after the README's curl example, which signs ana up with the same password).
 */
export async function signIn(
  chat: ChatClient,
  account: { username: string; email: string; password: string },
): Promise<User> {
  try {
    return (await chat.auth.login({ email: account.email, password: account.password })).user;
  } catch (error) {
    if (!(ChatError.is(error) && error.code === "UNAUTHORIZED")) throw error;
  }
  try {
    await chat.auth.register(account);
  } catch (error) {
    if (ChatError.is(error) && error.code === "CONFLICT") {
      throw new ChatError("CONFLICT", `${account.email} exists with another password: pass the right one`, {
        cause: error,
      });
    }
    throw error;
  }
  return (await chat.auth.login({ email: account.email, password: account.password })).user;
}
