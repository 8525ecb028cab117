import type { Message } from "@causette/contracts";

import { ChatError } from "./errors.ts";
import { createFiles } from "./files.ts";
import { createHttp, newClientId } from "./http.ts";
import { createRealtime } from "./realtime.ts";
import { tokenSubject } from "./token.ts";
import type { ChatClient, ChatClientOptions } from "./types.ts";

function isAbsoluteUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

const DEFAULTS = { timeout: 10_000, retries: 3, retryDelay: 250 };

/**
 * One typed object for everything a Causette app does: HTTP calls over tRPC (with the kept Bearer
 * token) and real time over socket.io, every failure a `ChatError`.
 */
export function createChatClient(options: ChatClientOptions): ChatClient {
  if (!options?.url || !isAbsoluteUrl(options.url)) {
    throw new ChatError("BAD_REQUEST", "createChatClient: `url` must be the server's URL, e.g. http://localhost:5050", {
      issues: [{ path: "url", message: "must be an absolute http(s) URL" }],
    });
  }
  const url = options.url.replace(/\/+$/, "");
  const settings = {
    timeout: options.timeout ?? DEFAULTS.timeout,
    retries: options.retries ?? DEFAULTS.retries,
    retryDelay: options.retryDelay ?? DEFAULTS.retryDelay,
  };
  let token = options.token ?? null;
  const getToken = () => token;
  const setToken = (next: string | null) => {
    if (next === token) return;
    token = next;
    options.onTokenChange?.(next);
  };

  const { call, retried } = createHttp({
    url,
    token: getToken,
    ...settings,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  const realtime = createRealtime({
    url,
    token: getToken,
    ...settings,
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    ...(options.transports ? { transports: options.transports } : {}),
    async baseline(roomId) {
      const room = await call((t, signal) => t.room.get.query({ id: roomId }, { signal }));
      return {
        version: room.version,
        maxMessageId: room.lastMessage?.id ?? 0,
        participants: room.participants.map((p) => p.id),
      };
    },
  });

  /** Answers messages as they come, after the real-time layer learnt the caller's reactions from them. */
  const learnt = async <T extends Message | Message[]>(answer: Promise<T>): Promise<T> => {
    const value = await answer;
    realtime.learn(Array.isArray(value) ? value : [value]);
    return value;
  };
  const changes: ChatClient["rooms"]["changes"] = async (input) => {
    const answer = await call((t, signal) => t.room.changes.query(input, { signal }));
    realtime.learn(answer.messages);
    return answer;
  };
  const markRead: ChatClient["rooms"]["markRead"] = (input) =>
    call((t, signal) => t.room.markRead.mutate(input, { signal }));

  return {
    auth: {
      register: (input) => call((t, signal) => t.user.register.mutate(input, { signal })),
      async login(input) {
        const session = await call((t, signal) => t.user.login.mutate(input, { signal }));
        setToken(session.token);
        return session;
      },
      async logout(options = {}) {
        realtime.disconnect();
        try {
          await call((t, signal) => t.user.logout.mutate(options.all ? { all: true } : undefined, { signal }));
        } finally {
          setToken(null);
        }
      },
      token: getToken,
      setToken,
    },
    users: {
      list: (input = {}) => call((t, signal) => t.user.list.query(input, { signal })),
      me: () => call((t, signal) => t.user.me.query(undefined, { signal })),
      get: (id) => call((t, signal) => t.user.get.query({ id }, { signal })),
    },
    rooms: {
      create: (input) => call((t, signal) => t.room.create.mutate(input, { signal })),
      createGroup: (input) => call((t, signal) => t.room.create.mutate(input, { signal })),
      list: (input = {}) => call((t, signal) => t.room.list.query(input, { signal })),
      get: (id) => call((t, signal) => t.room.get.query({ id }, { signal })),
      update: (input) => call((t, signal) => t.room.update.mutate(input, { signal })),
      async leave(id) {
        const userId = tokenSubject(token);
        if (userId === null) throw new ChatError("UNAUTHORIZED", "Log in first");
        await call((t, signal) => t.room.removeMember.mutate({ id, userId }, { signal }));
      },
      discover: (input = {}) => call((t, signal) => t.room.discover.query(input, { signal })),
      join: (id) => call((t, signal) => t.room.join.mutate({ id }, { signal })),
      members: {
        list: (input) => call((t, signal) => t.room.listMembers.query(input, { signal })),
        add: (input) => call((t, signal) => t.room.addMembers.mutate(input, { signal })),
        async remove(input) {
          await call((t, signal) => t.room.removeMember.mutate(input, { signal }));
        },
        setRole: (input) => call((t, signal) => t.room.setMemberRole.mutate(input, { signal })),
      },
      changes,
      markRead,
    },
    messages: {
      send(input) {
        // The clientId is fixed before the first attempt: every retry names the same message.
        const payload = { ...input, clientId: input.clientId ?? newClientId() };
        return retried((t, signal) => t.message.send.mutate(payload, { signal }));
      },
      list: (input) => learnt(call((t, signal) => t.message.list.query(input, { signal }))),
      thread: (input) => learnt(call((t, signal) => t.message.thread.query(input, { signal }))),
      react: (input) => learnt(call((t, signal) => t.message.react.mutate(input, { signal }))),
      unreact: (input) => learnt(call((t, signal) => t.message.unreact.mutate(input, { signal }))),
      edit: (input) => learnt(call((t, signal) => t.message.edit.mutate(input, { signal }))),
      setState: (input) => call((t, signal) => t.message.setState.mutate(input, { signal })),
      delete: (id) => call((t, signal) => t.message.delete.mutate({ id }, { signal })),
      search: (input) => learnt(call((t, signal) => t.message.search.query(input, { signal }))),
      receipts: (id) => call((t, signal) => t.message.receipts.query({ id }, { signal })),
      changes,
      markRead,
    },
    files: createFiles({ url, token: getToken, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    realtime,
    system: {
      health: () => call((t, signal) => t.system.health.query(undefined, { signal })),
    },
  };
}
