import type { Server, Socket } from "socket.io";

import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "@causette/contracts";

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const roomChannel = (roomId: number) => `room:${roomId}`;
export const userChannel = (userId: number) => `user:${userId}`;
