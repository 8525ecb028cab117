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

  const { repeatable, once } = createHttp({
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
      const room = await repeatable((t, signal) => t.room.get.query({ id: roomId }, { signal }));
      return {
        version: room.version,
        maxMessageId: room.lastMessage?.id ?? 0,
        participants: room.participants.map((p) => p.id),
      };
    },
  });

  const changes: ChatClient["rooms"]["changes"] = (input, options) =>
    repeatable((t, signal) => t.room.changes.query(input, { signal }), options);
  const markRead: ChatClient["rooms"]["markRead"] = (input, options) =>
    once((t, signal) => t.room.markRead.mutate(input, { signal }), options);

  return {
    auth: {
      register: (input, options) => once((t, signal) => t.user.register.mutate(input, { signal }), options),
      async login(input, options) {
        const session = await once((t, signal) => t.user.login.mutate(input, { signal }), options);
        setToken(session.token);
        return session;
      },
      async logout(input = {}, options) {
        realtime.disconnect();
        try {
          await once((t, signal) => t.user.logout.mutate(input.all ? { all: true } : undefined, { signal }), options);
        } finally {
          setToken(null);
        }
      },
      token: getToken,
      setToken,
    },
    users: {
      list: (input = {}, options) => repeatable((t, signal) => t.user.list.query(input, { signal }), options),
      me: (options) => repeatable((t, signal) => t.user.me.query(undefined, { signal }), options),
      get: (id, options) => repeatable((t, signal) => t.user.get.query({ id }, { signal }), options),
    },
    rooms: {
      create: (input, options) => once((t, signal) => t.room.create.mutate(input, { signal }), options),
      createGroup: (input, options) => once((t, signal) => t.room.create.mutate(input, { signal }), options),
      list: (input = {}, options) => repeatable((t, signal) => t.room.list.query(input, { signal }), options),
      get: (id, options) => repeatable((t, signal) => t.room.get.query({ id }, { signal }), options),
      update: (input, options) => once((t, signal) => t.room.update.mutate(input, { signal }), options),
      async leave(id, options) {
        const userId = tokenSubject(token);
        if (userId === null) throw new ChatError("UNAUTHORIZED", "Log in first");
        await once((t, signal) => t.room.removeMember.mutate({ id, userId }, { signal }), options);
      },
      discover: (input = {}, options) => repeatable((t, signal) => t.room.discover.query(input, { signal }), options),
      join: (id, options) => once((t, signal) => t.room.join.mutate({ id }, { signal }), options),
      members: {
        list: (input, options) => repeatable((t, signal) => t.room.listMembers.query(input, { signal }), options),
        add: (input, options) => once((t, signal) => t.room.addMembers.mutate(input, { signal }), options),
        async remove(input, options) {
          await once((t, signal) => t.room.removeMember.mutate(input, { signal }), options);
        },
        setRole: (input, options) => once((t, signal) => t.room.setMemberRole.mutate(input, { signal }), options),
      },
      changes,
      markRead,
    },
    messages: {
      send(input, options) {
        // The clientId is fixed before the first attempt: every retry names the same message.
        const payload = { ...input, clientId: input.clientId ?? newClientId() };
        return repeatable((t, signal) => t.message.send.mutate(payload, { signal }), options);
      },
      list: (input, options) => repeatable((t, signal) => t.message.list.query(input, { signal }), options),
      edit: (input, options) => once((t, signal) => t.message.edit.mutate(input, { signal }), options),
      setState: (input, options) => once((t, signal) => t.message.setState.mutate(input, { signal }), options),
      delete: (id, options) => once((t, signal) => t.message.delete.mutate({ id }, { signal }), options),
      search: (input, options) => repeatable((t, signal) => t.message.search.query(input, { signal }), options),
      receipts: (id, options) => repeatable((t, signal) => t.message.receipts.query({ id }, { signal }), options),
      changes,
      markRead,
    },
    files: createFiles({ url, token: getToken, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    realtime,
    system: {
      health: (options) => repeatable((t, signal) => t.system.health.query(undefined, { signal }), options),
    },
  };
}
