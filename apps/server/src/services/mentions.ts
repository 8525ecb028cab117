import type { MentionSpec } from "@causette/db";

/**
 * `@name` where a username may stand (letters, digits, `_`, `.`, `-`), not inside a word or an
 * email address. A name may end a sentence ("@ana."): both readings are tried.
 */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]{2,64})/gu;
/** Names looked up per message at most; the text's limit allows about 1,300 of them. */
const MAX_NAMES = 100;

/** The usernames a text mentions (lower-cased, to compare as the unique index does) and `@room`. */
export function parseMentions(text: string): MentionSpec {
  const names = new Set<string>();
  let room = false;
  for (const [, token] of text.matchAll(MENTION)) {
    const name = token!.toLowerCase();
    const trimmed = name.replace(/[.-]+$/, "");
    if (trimmed === "room") room = true;
    for (const candidate of [name, trimmed]) if (candidate.length >= 2) names.add(candidate);
    if (names.size >= MAX_NAMES) break;
  }
  return { names: [...names].slice(0, MAX_NAMES), room };
}
