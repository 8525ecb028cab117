import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";

import { ChatError, type ChatClient, type Room, type User } from "@causette/sdk";

import { Conversation } from "./Conversation.tsx";
import { textField } from "./forms.ts";
import { markRoomRead, roomsAfterMessage, roomTitle, upsertRoom } from "./rooms.ts";
import { newClientId } from "./session.ts";
import {
  addMessages,
  addPending,
  applyReceipt,
  emptyTimeline,
  failPending,
  lastUnreadFrom,
  type Timeline,
} from "./timeline.ts";

type Timelines = ReadonlyMap<number, Timeline>;

/** The signed-in screen: the room list, the open conversation, and the real-time events feeding both. */
export function Chat({ client, me, onLoggedOut }: { client: ChatClient; me: User; onLoggedOut: () => void }) {
  const [rooms, setRooms] = useState<Room[]>([]);
  const [timelines, setTimelines] = useState<Timelines>(new Map());
  const [openRoomId, setOpenRoomId] = useState<number | null>(null);
  const [online, setOnline] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const openRef = useRef(openRoomId);
  openRef.current = openRoomId;

  const update = useCallback((roomId: number, change: (timeline: Timeline) => Timeline) => {
    setTimelines((all) => new Map(all).set(roomId, change(all.get(roomId) ?? emptyTimeline)));
  }, []);

  const follow = useCallback(
    (room: Room) => {
      setRooms((list) => (list.some((r) => r.id === room.id) ? list : upsertRoom(list, room)));
      client.realtime.joinRoom(room.id).catch(() => setError(`Could not follow ${roomTitle(room, me.id)}`));
    },
    [client, me.id],
  );

  // Real time first, then the rooms: from each join on, every change reaches us as an event.
  useEffect(() => {
    const rt = client.realtime;
    const offs = [
      rt.on("receive_message", (message) => {
        update(message.roomId, (t) => addMessages(t, [message]));
        setRooms((list) => roomsAfterMessage(list, message, me.id, openRef.current));
        if (message.sender === me.id) return;
        const seen = openRef.current === message.roomId && document.visibilityState === "visible";
        rt.setState({ roomId: message.roomId, messageId: message.id, state: seen ? "lu" : "recu" }).catch(() => {});
      }),
      rt.on("message_updated", (message) => update(message.roomId, (t) => addMessages(t, [message]))),
      rt.on("message_deleted", (message) => update(message.roomId, (t) => addMessages(t, [message]))),
      rt.on("message_state_update", (receipt) => update(receipt.roomId, (t) => applyReceipt(t, receipt))),
      rt.on("room_created", follow),
      rt.on("connect", () => setOnline(true)),
      rt.on("disconnect", () => setOnline(false)),
    ];
    let stopped = false;
    rt.connect()
      .then(() => client.rooms.list({ limit: 50 }))
      .then((list) => {
        if (stopped) return;
        setRooms(list);
        for (const room of list) follow(room);
      })
      .catch((caught: unknown) => setError(ChatError.is(caught) ? caught.message : "Could not load the rooms"));
    return () => {
      stopped = true;
      for (const off of offs) off();
      rt.disconnect();
    };
  }, [client, me.id, update, follow]);

  // Opening a room loads its latest page and marks what the others sent read.
  useEffect(() => {
    if (openRoomId === null) return;
    let stopped = false;
    client.messages
      .list({ roomId: openRoomId, limit: 50 })
      .then((page) => {
        if (stopped) return;
        const timeline = addMessages(emptyTimeline, page);
        update(openRoomId, (t) => addMessages(t, page));
        setRooms((list) => markRoomRead(list, openRoomId));
        const unread = lastUnreadFrom(timeline, me.id);
        if (unread) client.realtime.setState({ roomId: openRoomId, messageId: unread.id, state: "lu" }).catch(() => {});
      })
      .catch(() => setError("Could not load the messages"));
    return () => {
      stopped = true;
    };
  }, [client, openRoomId, me.id, update]);

  function send(roomId: number, text: string) {
    const clientId = newClientId();
    update(roomId, (t) =>
      addPending(t, {
        clientId,
        roomId,
        sender: me.id,
        message: text,
        createdAt: new Date().toISOString(),
        failed: false,
      }),
    );
    client.realtime.sendMessage({ roomId, message: text, clientId }).then(
      (stored) => {
        update(roomId, (t) => addMessages(t, [stored]));
        setRooms((list) => roomsAfterMessage(list, stored, me.id, openRef.current));
      },
      () => update(roomId, (t) => failPending(t, clientId)),
    );
  }

  async function openDirect(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = textField(form, "with").trim();
    setError(null);
    try {
      const found = (await client.users.list({ search: name, limit: 20 })).find((u) => u.username === name);
      if (!found) return setError(`No user named ${name}`);
      const room = await client.rooms.create({ participant: found.id });
      follow(room);
      setOpenRoomId(room.id);
      form.reset();
    } catch (caught) {
      setError(ChatError.is(caught) ? caught.message : "Could not open the room");
    }
  }

  async function logOut() {
    await client.auth.logout().catch(() => client.auth.setToken(null));
    onLoggedOut();
  }

  const openRoom = rooms.find((r) => r.id === openRoomId);
  return (
    <div className="chat">
      <aside>
        <header>
          <span className="me">{me.username}</span>
          <span className="status" role="status">
            {online ? "" : "Offline, reconnecting…"}
          </span>
          <button type="button" onClick={() => void logOut()}>
            Log out
          </button>
        </header>
        <form className="direct" onSubmit={(event) => void openDirect(event)}>
          <label>
            Chat with
            <input name="with" placeholder="username" required />
          </label>
          <button type="submit">Open</button>
        </form>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <ul aria-label="Rooms" className="rooms">
          {rooms.map((room) => (
            <li key={room.id}>
              <button
                type="button"
                aria-current={room.id === openRoomId ? "true" : undefined}
                onClick={() => setOpenRoomId(room.id)}
              >
                <span className="title">{roomTitle(room, me.id)}</span>
                {room.unread > 0 && (
                  <span className="badge" aria-label={`${room.unread} unread`}>
                    {room.unread}
                  </span>
                )}
                <span className="last">{room.lastMessage?.message ?? ""}</span>
              </button>
            </li>
          ))}
        </ul>
      </aside>
      {openRoom ? (
        <Conversation
          key={openRoom.id}
          room={openRoom}
          me={me}
          timeline={timelines.get(openRoom.id) ?? emptyTimeline}
          onSend={(text) => send(openRoom.id, text)}
        />
      ) : (
        <main className="empty">
          <p>Pick a room, or open a chat with someone.</p>
        </main>
      )}
    </div>
  );
}
