import { createSecretKey, randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { z } from "zod";

const ALGORITHM = "HS256";
// The id must be a user id this product could have issued: a safe integer (ids are int8 in the
// database, and far below 2^53), never a 30-digit number that would reach SQL as a float.
const ClaimsSchema = z.object({
  sub: z
    .string()
    .regex(/^[1-9]\d{0,15}$/)
    .transform(Number)
    .refine(Number.isSafeInteger),
  jti: z.uuid(),
  gen: z.number().int().min(0),
  exp: z.number(),
});

/** A verified token: who, which token (for revoking it), its user's token generation, and its expiry (unix seconds). */
export interface TokenClaims {
  userId: number;
  jti: string;
  generation: number;
  expiresAt: number;
}

export interface TokenIssuer {
  /** A token for the user, valid while the user's token generation stays `generation`. */
  sign(userId: number, generation: number): string;
  /** The claims, or null for anything but a valid, unexpired HS256 token signed with our secret. */
  verify(token: string): TokenClaims | null;
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
    sign: (userId, generation) =>
      jwt.sign({ gen: generation }, key, {
        algorithm: ALGORITHM,
        subject: String(userId),
        jwtid: randomUUID(),
        expiresIn: expiresIn as jwt.SignOptions["expiresIn"],
      }),
    verify(token) {
      try {
        // The algorithm is pinned: a token naming `none` or another algorithm is refused.
        const payload = jwt.verify(token, key, { algorithms: [ALGORITHM] });
        const parsed = ClaimsSchema.safeParse(payload);
        if (!parsed.success) return null;
        const { sub, jti, gen, exp } = parsed.data;
        return { userId: sub, jti, generation: gen, expiresAt: exp };
      } catch {
        return null;
      }
    },
  };
}
