import type { Caller, Services } from "../services/index.ts";

/** How a procedure answers over HTTP beyond its value: the login cookie, a status other than the default. */
export interface HttpSession {
  setToken(token: string): void;
  clearToken(): void;
  /** The REST status, where it differs from the route's (201 vs 200, 503). tRPC ignores it. */
  status?: number;
}

export interface Context {
  services: Services;
  caller: Caller | null;
  /** The client's address, for rate limits. */
  address: string;
  http: HttpSession;
}
