// Test helpers: chat-server runs that end (to check exit codes and logs), health probes,
// and ports held by the test.
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { until } from "@taurus/core-conn/testing";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

/** What a chat-server run left behind once it exited. */
export interface Exited {
  code: number | null;
  logs: Array<Record<string, unknown>>;
  ms: number;
}

/** Runs chat-server with `args` (on 127.0.0.1) to its end; kills it after `timeout` ms. */
export function runToExit(args: string[], timeout = 30_000): Promise<Exited> {
  const started = Date.now();
  const proc = spawn(process.execPath, [main, "--host", "127.0.0.1", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  let buffered = "";
  proc.stderr?.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
      logs.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeout);
  return new Promise((resolve) => {
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, logs, ms: Date.now() - started });
    });
  });
}

/** A TCP port held on 127.0.0.1 by the test (port 0: a free one). */
export async function holdPort(port = 0): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  let released = false;
  return {
    port: (server.address() as net.AddressInfo).port,
    release: async () => {
      if (released) return;
      released = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** /readyz: its status code and detail. */
export async function readyz(metricsPort: number): Promise<{
  status: number;
  detail: { status: string; reasons: string[] } & Record<string, unknown>;
}> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
  return { status: res.status, detail: (await res.json()) as never };
}

/** Polls /readyz until `predicate` holds; rejects after `timeout` ms with the last answer. */
export async function readyzUntil(
  metricsPort: number,
  predicate: (r: Awaited<ReturnType<typeof readyz>>) => boolean,
  timeout = 15_000,
): Promise<Awaited<ReturnType<typeof readyz>>> {
  let last: Awaited<ReturnType<typeof readyz>> | undefined;
  const holds = async (): Promise<boolean> => {
    last = await readyz(metricsPort);
    return predicate(last);
  };
  await until(holds, { timeout, interval: 50 }).catch(() => {
    throw new Error(`readyz: ${JSON.stringify(last)}`);
  });
  return last as Awaited<ReturnType<typeof readyz>>;
}
