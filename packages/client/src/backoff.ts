// The one backoff of Taurus (client reconnects, adapter-redis reconnects), defined in core-conn.
export { backoffDelay } from "@taurus/core-conn/internal";
