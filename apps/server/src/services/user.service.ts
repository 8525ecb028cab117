import type { z } from "zod";

import type { LoginInput, LoginOutput, RegisterInput, User, UserListInputSchema } from "@causette/contracts";
import { ConflictError, findUserByEmail, findUserById, insertUser, listUsers } from "@causette/db";

import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";

const FIELD_OF_CONSTRAINT: Record<string, "username" | "email"> = {
  users_username_key: "username",
  users_email_key: "email",
};

export function createUserService(deps: ServiceDeps) {
  return {
    async register(input: RegisterInput): Promise<User> {
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

    /** One answer for an unknown email and a wrong password; failures are rate limited. */
    async login(input: LoginInput, address: string): Promise<LoginOutput> {
      const wait = deps.loginLimiter.retryAfter(input.email, address);
      if (wait > 0) {
        throw new AppError("TOO_MANY_REQUESTS", "Too many failed sign-ins, retry later", { retryAfter: wait });
      }
      const found = await findUserByEmail(deps.pool, input.email);
      const ok = await deps.hasher.verify(found?.passwordHash ?? null, input.password);
      if (!found || !ok) {
        deps.loginLimiter.failed(input.email, address);
        throw new AppError("UNAUTHORIZED", "Wrong email or password");
      }
      deps.loginLimiter.succeeded(input.email);
      const { passwordHash: _, ...user } = found;
      return { token: deps.tokens.sign(user.id), user };
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
