import { router } from "../trpc.ts";
import { messageRouter } from "./message.router.ts";
import { roomRouter } from "./room.router.ts";
import { systemRouter } from "./system.router.ts";
import { userRouter } from "./user.router.ts";

export const appRouter = router({
  user: userRouter,
  room: roomRouter,
  message: messageRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
