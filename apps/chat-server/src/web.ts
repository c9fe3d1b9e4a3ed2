// The web chat page: its static files over HTTP, and the room's JSON server over WebSocket at
// /ws on the same port (one origin: the transport's default same-origin check applies).
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TaurusServer } from "@taurus/server";
import { attachWebSocket } from "@taurus/transport-ws";
import type { Logger } from "./logger";

/** The page's files: name in the URL, path from the package root, content type. */
const FILES: Record<string, [string, string]> = {
  "/": ["web/index.html", "text/html; charset=utf-8"],
  "/index.html": ["web/index.html", "text/html; charset=utf-8"],
  "/chat.js": ["dist/web/chat.js", "text/javascript; charset=utf-8"],
};

/** src/web.ts and dist/main.js are both one level under the package root. */
const ROOT = new URL("../", import.meta.url);

const HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy":
    "default-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
  "referrer-policy": "no-referrer",
};

export interface WebServer {
  port: number;
  close(): Promise<void>;
}

/** Serves the page and the WebSocket on `port`; the JSON server's limits apply to both kinds of peer. */
export async function startWeb(
  json: TaurusServer<unknown>,
  host: string,
  port: number,
  log: Logger,
): Promise<WebServer> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = FILES[path];
    if (req.method !== "GET" || !file) {
      res.writeHead(req.method === "GET" ? 404 : 405, HEADERS).end();
      return;
    }
    readFile(new URL(file[0], ROOT)).then(
      (body) => res.writeHead(200, { ...HEADERS, "content-type": file[1] }).end(body),
      (err: Error) => {
        log.warn("web file missing", { file: file[0], error: err.message });
        res.writeHead(500, HEADERS).end();
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  attachWebSocket(json, {
    httpServer: server,
    path: "/ws",
    onError: (error) => log.debug("websocket refused", { code: error.code, error: error.message }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
