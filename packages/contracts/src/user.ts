import { z } from "zod";

import { IdSchema, LimitSchema, PlainTextSchema, TimestampSchema } from "./primitives.ts";

export const UsernameSchema = z
  .string()
  .trim()
  .min(2)
  .max(32)
  .regex(/^[\p{L}\p{N}_.-]+$/u, "letters, digits, '_', '.' and '-' only");
export const EmailSchema = z.email().max(254);
export const PasswordSchema = z.string().min(8).max(128);

export const UserSchema = z
  .object({
    id: IdSchema,
    username: z.string(),
    email: z.string(),
    createdAt: TimestampSchema,
  })
  .meta({ id: "User" });
export type User = z.infer<typeof UserSchema>;

export const RegisterInputSchema = z.strictObject({
  username: UsernameSchema,
  email: EmailSchema,
  password: PasswordSchema,
});
export type RegisterInput = z.infer<typeof RegisterInputSchema>;

export const LoginInputSchema = z.strictObject({
  email: PlainTextSchema.trim().min(1).max(254),
  password: z.string().min(1).max(128),
});
export type LoginInput = z.infer<typeof LoginInputSchema>;

export const LoginOutputSchema = z.object({ token: z.string(), user: UserSchema }).meta({ id: "Session" });
export type LoginOutput = z.infer<typeof LoginOutputSchema>;

export const LogoutInputSchema = z
  .strictObject({
    all: z.boolean().optional().describe("Revoke every token of the user, not only this one"),
  })
  .prefault({});

export const LogoutOutputSchema = z.object({ ok: z.literal(true) });

export const UserListInputSchema = z
  .strictObject({
    search: PlainTextSchema.trim().max(100).optional(),
    limit: LimitSchema(100, 50),
    after: IdSchema.optional().describe("Keyset cursor: users with an id above this one"),
  })
  .prefault({});
export type UserListInput = z.input<typeof UserListInputSchema>;

export const UserIdInputSchema = z.strictObject({ id: IdSchema });
