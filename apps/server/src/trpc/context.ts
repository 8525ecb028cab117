import type { TokenClaims } from "../auth/tokens.ts";
import type { Services } from "../services/index.ts";

/** How a procedure answers over HTTP beyond its value: the login cookie, a status other than the default. */
export interface HttpSession {
  setToken(token: string): void;
  clearToken(): void;
  /** The REST status, where it differs from the route's (201 vs 200, 503). tRPC ignores it. */
  status?: number;
}

export interface Context {
  services: Services;
  /** The session of the request's token (Bearer header or login cookie); checked once, when first asked. */
  session(): Promise<TokenClaims | null>;
  /** The client's address, for rate limits. */
  address: string;
  http: HttpSession;
}
