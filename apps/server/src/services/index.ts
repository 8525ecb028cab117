import type { ServiceDeps } from "./deps.ts";
import { createFileService } from "./file.service.ts";
import { createMemberService } from "./member.service.ts";
import { createMessageService } from "./message.service.ts";
import { createRoomService } from "./room.service.ts";
import { createSystemService } from "./system.service.ts";
import { createUserService } from "./user.service.ts";

export type { Caller, ChatEvents, ServiceDeps, StateChange, TokenRevocation } from "./deps.ts";

/** Every operation, written once; tRPC, REST and socket.io are adapters over these. */
export function createServices(deps: ServiceDeps) {
  const messages = createMessageService(deps);
  return {
    users: createUserService(deps),
    rooms: createRoomService(deps, messages),
    members: createMemberService(deps, messages),
    messages,
    files: createFileService(deps),
    system: createSystemService(deps),
  };
}
export type Services = ReturnType<typeof createServices>;
