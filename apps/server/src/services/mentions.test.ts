import { describe, expect, it } from "vitest";

import { parseMentions } from "./mentions.ts";

describe("parseMentions", () => {
  it("finds usernames, lower-cased, at a sentence's end too", () => {
    expect(parseMentions("hi @Ana and @bob_2.")).toEqual({ names: ["ana", "bob_2.", "bob_2"], room: false });
  });

  it("ignores email addresses and words that hold an @", () => {
    expect(parseMentions("write to ana@example.com or x@y")).toEqual({ names: [], room: false });
  });

  it("sees @room", () => {
    expect(parseMentions("@room: standup")).toEqual({ names: ["room"], room: true });
  });
});
