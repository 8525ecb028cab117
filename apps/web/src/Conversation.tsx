import { useEffect, useRef, useState, type FormEvent } from "react";

import type { Room, User } from "@causette/sdk";

import { roomTitle, usersById } from "./rooms.ts";
import { rowsOf, tickOf, type Tick, type Timeline } from "./timeline.ts";

const TICKS: Record<Tick, { mark: string; label: string }> = {
  sending: { mark: "…", label: "sending" },
  failed: { mark: "!", label: "not sent" },
  ok: { mark: "✓", label: "sent" },
  recu: { mark: "✓✓", label: "delivered" },
  lu: { mark: "✓✓", label: "read" },
};

/** One room: its messages (a live log) and the field to write in it. */
export function Conversation(props: { room: Room; me: User; timeline: Timeline; onSend: (text: string) => void }) {
  const { room, me, timeline, onSend } = props;
  const [draft, setDraft] = useState("");
  const end = useRef<HTMLLIElement>(null);
  const rows = rowsOf(timeline);
  const names = usersById(room);

  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [rows.length]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    onSend(text);
    setDraft("");
  }

  return (
    <main className="conversation">
      <h2>{roomTitle(room, me.id)}</h2>
      <div role="log" aria-label="Messages" className="messages">
        <ol>
          {rows.map((row) => {
            const sender = row.pending ? row.pending.sender : row.message.sender;
            const text = row.pending ? row.pending.message : row.message.message;
            const mine = sender === me.id;
            const tick = tickOf(row);
            return (
              <li key={row.key} className={mine ? "mine" : "theirs"}>
                <span className="sender">{mine ? "You" : (names.get(sender)?.username ?? `User ${sender}`)}</span>
                <span className="text">{row.message?.deletedAt ? <em>Message deleted</em> : text}</span>
                {mine && (
                  <span className={`tick tick-${tick}`} data-state={tick} aria-label={TICKS[tick].label}>
                    {TICKS[tick].mark}
                  </span>
                )}
              </li>
            );
          })}
          <li ref={end} aria-hidden="true" className="end" />
        </ol>
      </div>
      <form className="composer" onSubmit={submit}>
        <label>
          <span className="visually-hidden">Message</span>
          <input
            name="message"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
            autoComplete="off"
            maxLength={4000}
          />
        </label>
        <button type="submit">Send</button>
      </form>
    </main>
  );
}
