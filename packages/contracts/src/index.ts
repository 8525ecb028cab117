export * from "./errors.ts";
export * from "./primitives.ts";
export * from "./user.ts";
export * from "./room.ts";
export * from "./message.ts";
export * from "./health.ts";
export * from "./routes.ts";
export * from "./events.ts";
