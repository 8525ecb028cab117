/**
 * The user id a token names (its `sub` claim), read without verifying it: the server verifies
 * every token; the SDK only needs to know whose it is. Null for anything that is not a JWT.
 */
export function tokenSubject(token: string | null): number | null {
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: unknown };
    const id = Number(claims.sub);
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  } catch {
    return null;
  }
}
