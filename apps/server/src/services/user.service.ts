import type { z } from "zod";

import type { LoginInput, LoginOutput, RegisterInput, User, UserListInputSchema } from "@causette/contracts";
import {
  ConflictError,
  emailKey,
  findTokenState,
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  revokeAllTokens,
  revokeToken,
} from "@causette/db";

import type { TokenClaims } from "../auth/tokens.ts";
import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";

const FIELD_OF_CONSTRAINT: Record<string, "username" | "email"> = {
  users_username_key: "username",
  users_email_key: "email",
};

export function createUserService(deps: ServiceDeps) {
  return {
    async register(input: RegisterInput, address: string): Promise<User> {
      await deps.limits.signup(address);
      const passwordHash = await deps.hasher.hash(input.password);
      try {
        return await insertUser(deps.pool, { username: input.username, email: input.email, passwordHash });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const field = FIELD_OF_CONSTRAINT[error.constraint ?? ""] ?? "email";
        const message = `this ${field} is already taken`;
        throw new AppError("CONFLICT", `${field}: ${message}`, { issues: [{ path: field, message }] });
      }
    },

    /**
     * One answer for an unknown email and a wrong password. The attempt is counted before the
     * password is checked, so concurrent or batched tries cannot outrun the limit.
     */
    async login(input: LoginInput, address: string): Promise<LoginOutput> {
      const attempt = await deps.limits.loginAttempt(emailKey(input.email), address);
      const found = await findUserByEmail(deps.pool, input.email);
      const ok = await deps.hasher.verify(found?.passwordHash ?? null, input.password);
      if (!found || !ok) throw new AppError("UNAUTHORIZED", "Wrong email or password");
      await attempt.succeeded();
      const { passwordHash: _, tokenGeneration, ...user } = found;
      return { token: deps.tokens.sign(user.id, tokenGeneration), user };
    },

    /**
     * The session of a token, or null when it is invalid, expired, revoked (log-out) or its user
     * is gone. One indexed query: the user's token generation and the token's revocation.
     */
    async authenticate(token: string): Promise<TokenClaims | null> {
      const claims = deps.tokens.verify(token);
      if (!claims) return null;
      const state = await findTokenState(deps.pool, claims.userId, claims.jti);
      if (!state || state.revoked || state.tokenGeneration !== claims.generation) return null;
      return claims;
    },

    /** Revokes the session's token, or with `all` every token of its user, and ends their sockets. */
    async logout(session: TokenClaims, all: boolean): Promise<void> {
      if (all) await revokeAllTokens(deps.pool, session.userId);
      else await revokeToken(deps.pool, session);
      deps.events.tokensRevoked(all ? { userId: session.userId } : { userId: session.userId, jti: session.jti });
    },

    async me(caller: Caller): Promise<User> {
      const user = await findUserById(deps.pool, caller.userId);
      if (!user) throw new AppError("UNAUTHORIZED", "This account no longer exists");
      return user;
    },

    async get(id: number): Promise<User> {
      const user = await findUserById(deps.pool, id);
      if (!user) throw new AppError("NOT_FOUND", `No user with id ${id}`);
      return user;
    },

    async list(input: z.output<typeof UserListInputSchema>): Promise<User[]> {
      return [...(await listUsers(deps.pool, input))];
    },
  };
}
export type UserService = ReturnType<typeof createUserService>;
