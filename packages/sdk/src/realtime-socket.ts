import { WebSocket as WebSocketTransport } from "engine.io-client";
import { io, type Socket } from "socket.io-client";

import type {
  Ack,
  ClientEventName,
  ClientEventPayload,
  ClientEventResult,
  ClientToServerEvents,
  ServerToClientEvents,
} from "@causette/contracts";

import { ChatError, fromErrorBody } from "./errors.ts";
import type { WebSocketConstructor } from "./types.ts";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SocketOptions {
  url: string;
  token: () => string | null;
  WebSocket?: WebSocketConstructor;
  transports?: Array<"websocket" | "polling">;
  timeout: number;
}

/** A transport that opens sockets with the constructor the app gave. */
function transportFor(Ctor: WebSocketConstructor) {
  return class CustomWebSocket extends WebSocketTransport {
    override createSocket(uri: string, protocols: string | string[] | undefined) {
      return protocols ? new Ctor(uri, protocols) : new Ctor(uri);
    }
  };
}

/** A socket.io client for the server at `url`, not yet connected. */
export function openSocket(options: SocketOptions): ClientSocket {
  // A path in the URL is where the server is mounted, not a socket.io namespace.
  const base = new URL(options.url);
  return io(base.origin, {
    path: `${base.pathname.replace(/\/+$/, "")}/socket.io`,
    autoConnect: false,
    forceNew: true,
    auth: (cb) => {
      const token = options.token();
      cb(token ? { token } : {});
    },
    // With a WebSocket constructor of the app's, real time goes over it alone.
    transports: options.WebSocket
      ? [transportFor(options.WebSocket)]
      : (options.transports ?? ["websocket", "polling"]),
    tryAllTransports: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5_000,
    timeout: options.timeout,
  });
}

/**
 * socket.io's `emitWithAck`, typed per event from the contract. (socket.io's own types cannot
 * follow an event name that is a type parameter, nor an optional ack: they answer `any`.)
 */
type EmitWithAck = <E extends ClientEventName>(
  event: E,
  payload: ClientEventPayload<E>,
) => Promise<Ack<ClientEventResult<E>>>;

/** One acknowledged emit; a refusal becomes the server's ChatError, no answer a TIMEOUT. */
export async function ackedEmit<E extends ClientEventName>(
  socket: ClientSocket,
  event: E,
  payload: ClientEventPayload<E>,
  timeout: number,
): Promise<ClientEventResult<E>> {
  const timed = socket.timeout(timeout);
  const emitWithAck = timed.emitWithAck.bind(timed) as EmitWithAck;
  let ack: Ack<ClientEventResult<E>>;
  try {
    ack = await emitWithAck(event, payload);
  } catch (error) {
    // socket.io rejects on its time-out, and when the socket closes with the ack still pending.
    if (error instanceof Error && /timed out/i.test(error.message)) {
      throw new ChatError("TIMEOUT", `No answer to ${event} within ${timeout} ms`, { status: 0, cause: error });
    }
    throw new ChatError("NETWORK", `No answer to ${event}: ${error instanceof Error ? error.message : String(error)}`, {
      status: 0,
      cause: error,
    });
  }
  if (!ack.ok) throw fromErrorBody(ack.error);
  return ack.data;
}
