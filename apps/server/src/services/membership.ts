import { isRoomMember } from "@causette/db";

import { AppError } from "../errors.ts";
import type { Caller, ServiceDeps } from "./deps.ts";

export function roomNotFound(roomId: number): AppError {
  return new AppError("NOT_FOUND", `No room with id ${roomId}`);
}

/** A room the caller is not in answers exactly as a room that does not exist. */
export async function assertMember(deps: ServiceDeps, caller: Caller, roomId: number): Promise<void> {
  if (!(await isRoomMember(deps.pool, roomId, caller.userId))) throw roomNotFound(roomId);
}
