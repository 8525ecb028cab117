import { createChatClient, type ChatClient } from "@causette/sdk";

const TOKEN_KEY = "causette.token";

/** The client of this page's server (same origin), its token kept so a reload keeps the session. */
export function createSessionClient(): ChatClient {
  return createChatClient({
    url: window.location.origin,
    token: localStorage.getItem(TOKEN_KEY),
    onTokenChange: (token) => (token ? localStorage.setItem(TOKEN_KEY, token) : localStorage.removeItem(TOKEN_KEY)),
  });
}

/** A clientId for a send shown before its ack (randomUUID needs a secure context: https or localhost). */
export function newClientId(): string {
  if (typeof crypto.randomUUID === "function" && window.isSecureContext) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}
