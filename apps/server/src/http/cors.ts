import type { CorsOptions } from "cors";

const LOCALHOST = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/** The browser origins allowed to call with credentials, shared by HTTP and socket.io. */
export function corsOptions(origins: string[] | "localhost"): CorsOptions {
  return {
    credentials: true,
    origin(origin, callback) {
      // Requests without an Origin header are not cross-origin browser requests.
      if (!origin) return callback(null, true);
      const allowed = origins === "localhost" ? LOCALHOST.test(origin) : origins.includes(origin);
      callback(null, allowed);
    },
  };
}
