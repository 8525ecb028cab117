import { createSecretKey } from "node:crypto";
import jwt from "jsonwebtoken";
import { z } from "zod";

const ALGORITHM = "HS256";
const ClaimsSchema = z.object({ sub: z.string().regex(/^\d+$/), exp: z.number() });

export interface TokenIssuer {
  sign(userId: number): string;
  /** The user id, or null for anything but a valid, unexpired HS256 token signed with our secret. */
  verify(token: string): number | null;
  /** Lifetime in milliseconds, for the cookie. */
  lifetimeMs: number;
}

export function createTokenIssuer(secret: string, expiresIn: string): TokenIssuer {
  // Given a string, jsonwebtoken first tries to read it as a PEM public key on every call, and that
  // failed attempt was the largest single cost of an authenticated request; a KeyObject skips it.
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  const probe = jwt.decode(
    jwt.sign({}, key, { algorithm: ALGORITHM, expiresIn: expiresIn as jwt.SignOptions["expiresIn"] }),
  );
  const claims = probe as { iat: number; exp: number };
  return {
    lifetimeMs: (claims.exp - claims.iat) * 1000,
    sign: (userId) =>
      jwt.sign({}, key, {
        algorithm: ALGORITHM,
        subject: String(userId),
        expiresIn: expiresIn as jwt.SignOptions["expiresIn"],
      }),
    verify(token) {
      try {
        // The algorithm is pinned: a token naming `none` or another algorithm is refused.
        const payload = jwt.verify(token, key, { algorithms: [ALGORITHM] });
        const parsed = ClaimsSchema.safeParse(payload);
        return parsed.success ? Number(parsed.data.sub) : null;
      } catch {
        return null;
      }
    },
  };
}
