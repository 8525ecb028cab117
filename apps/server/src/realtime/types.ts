import type { Server, Socket } from "socket.io";

import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "@causette/contracts";

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export const roomChannel = (roomId: number) => `room:${roomId}`;
export const userChannel = (userId: number) => `user:${userId}`;

const ROOM_CHANNEL = /^room:(\d+)$/;
/** The room of a `roomChannel`, or undefined for any other channel. */
export const roomOfChannel = (channel: string): number | undefined => {
  const match = ROOM_CHANNEL.exec(channel);
  return match ? Number(match[1]) : undefined;
};
