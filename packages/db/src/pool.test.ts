import { expect, it } from "vitest";

import { timestamptzToIso } from "./pool.ts";

it.each([
  ["2026-11-25 17:13:46.907123+00", "2026-11-25T17:13:46.907Z"],
  ["2026-11-25 17:13:46.9+00", "2026-11-25T17:13:46.900Z"],
  ["2026-11-25 17:13:46+00", "2026-11-25T17:13:46.000Z"],
  ["2026-11-25 18:13:46.5+01", "2026-11-25T17:13:46.500Z"],
  ["2026-11-25 12:43:46.123456-04:30", "2026-11-25T17:13:46.123Z"],
])("reads %s as %s, as Date would", (text, iso) => {
  expect(timestamptzToIso(text)).toBe(iso);
  expect(timestamptzToIso(text)).toBe(new Date(Date.parse(text)).toISOString());
});
