// The taurus command as a process: a third-party protocol installed where it runs,
// Ctrl+C, and a Go-like peer for probe.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "@taurus/core-conn/testing";
import { createJsonProtocol } from "@taurus/protocol-json";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "./cli";
import { fakeIo } from "./test-io";

const bin = fileURLToPath(new URL("../bin/taurus.js", import.meta.url));
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function taurus(args: string[], cwd?: string) {
  const proc: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd, stdio: "pipe" });
  cleanups.push(() => proc.kill("SIGKILL"));
  let out = "";
  let err = "";
  proc.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return {
    proc,
    exited,
    out: () => out,
    err: () => err,
    async line(test: (l: string) => boolean, timeout = 15_000): Promise<string> {
      const find = () => out.split("\n").find(test);
      await until(() => find() !== undefined, { timeout, interval: 20 }).catch(() => {
        throw new Error(`not found in:\n${out}\n${err}`);
      });
      return find() as string;
    },
  };
}

/** A protocol package as a third party would publish it: one line of JSON per frame. */
function installLinesProtocol(): string {
  const dir = mkdtempSync(join(tmpdir(), "taurus-cli-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = join(dir, "node_modules", "taurus-protocol-lines");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({
      name: "taurus-protocol-lines",
      type: "module",
      exports: { ".": { import: "./index.js" } },
    }),
  );
  writeFileSync(
    join(pkg, "index.js"),
    `export function createLinesProtocol() {
  return {
    name: "lines",
    maxMessageSize: 65536,
    encode: (m) => Buffer.from(JSON.stringify(m) + "\\n"),
    decode(buffer, start, end) {
      const nl = buffer.indexOf(10, start);
      if (nl === -1 || nl >= end) return { kind: "need_more" };
      try {
        return { kind: "message", message: JSON.parse(buffer.toString("utf8", start, nl)), consumed: nl + 1 - start };
      } catch {
        return { kind: "drop", consumed: nl + 1 - start, reason: "malformed_body" };
      }
    },
  };
}
`,
  );
  return dir;
}

describe("taurus as a process", () => {
  it("listens and sends over a protocol package installed where it runs", async () => {
    const dir = installLinesProtocol();
    const server = taurus(["listen", "0", "--echo", "-p", "taurus-protocol-lines", "--json"], dir);
    const listening = JSON.parse(await server.line((l) => l.includes('"listening"')));
    expect(listening).toMatchObject({ protocol: "taurus-protocol-lines", echo: true });
    const client = taurus(
      [
        "send",
        `127.0.0.1:${listening.port}`,
        "over lines",
        "-p",
        "taurus-protocol-lines",
        "--reply",
        "--json",
      ],
      dir,
    );
    expect(await client.exited).toBe(0);
    const reply = JSON.parse(client.out().trim().split("\n")[1] as string);
    expect(reply.message).toMatchObject({
      type: 2,
      content: "over lines",
      from: expect.stringMatching(/^taurus-[0-9a-f]{4}$/),
    });
    await server.line((l) => l.includes('"content":"over lines"'));

    // Ctrl+C ends the server quietly, with 0.
    server.proc.kill("SIGINT");
    expect(await server.exited).toBe(0);
    expect(server.err()).toBe("");
  });

  it("probes a Go-like peer: one frame per read, HTML-escaping JSON", async () => {
    const json = createJsonProtocol();
    const go = net.createServer((socket) => {
      let buffered = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const r = json.decode(buffered, 0, buffered.length, json.maxMessageSize);
        if (r.kind !== "message") return;
        buffered = buffered.subarray(r.consumed); // the Go read loop: one frame per read
        const body = Buffer.from(
          `{"type":3,"sequence":${r.message.sequence},"data":{"content":"pong","from":"server","to":${JSON.stringify(
            r.message.data?.from,
          )
            .replaceAll("<", "\\u003c")
            .replaceAll(">", "\\u003e")
            .replaceAll("&", "\\u0026")}},"timestamp":1700000000000000000}`,
        );
        const head = Buffer.from([0xfe, 0xff, 0, 0, 0, 0]);
        head.writeUInt32BE(body.length, 2);
        socket.write(Buffer.concat([head, body]));
      });
    });
    await new Promise<void>((r) => go.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => go.close(r)));
    const port = (go.address() as net.AddressInfo).port;
    const f = fakeIo();
    expect(await run(["probe", `127.0.0.1:${port}`, "-p", "json", "--json"], f.io)).toBe(0);
    const result = JSON.parse(f.out[0] as string);
    expect(result).toMatchObject({ protocol: "json", peer: "go", application: "chat" });
    expect(result.evidence.join(" ")).toContain("escapes < and &");
  });
});
