import { parse as parseCookies } from "cookie";
import { signedCookie } from "cookie-parser";

export const AUTH_COOKIE = "token";

/** The bearer token of an `Authorization` header, if it has one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** The token of the signed login cookie in a raw `Cookie` header (for socket.io handshakes). */
export function cookieToken(cookieHeader: string | undefined, secret: string): string | undefined {
  if (!cookieHeader) return undefined;
  const raw = parseCookies(cookieHeader)[AUTH_COOKIE];
  if (!raw) return undefined;
  const value = signedCookie(raw, secret);
  return typeof value === "string" && value !== raw ? value : undefined;
}
