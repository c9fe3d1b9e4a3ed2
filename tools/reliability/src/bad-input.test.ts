// Bad input against a running server, for both protocols: the server stays up, other
// connections keep their echoes, inbound buffers stay under maxMessageSize, the heap does
// not grow without bound, and every bad input is counted by its code, in onError and in
// the server's metrics alike.
import { randomBytes } from "node:crypto";
import type net from "node:net";
import { describe, expect, it } from "vitest";
import {
  binaryKit,
  closed,
  DROP_CODES,
  type Harness,
  heapAfterGc,
  jsonKit,
  type Kit,
  MAX_MESSAGE,
  magicFree,
  metricCodes,
  pool,
  rawConnection,
  rawJsonFrame,
  rawSocket,
  record,
  scale,
  startServer,
  startWitness,
  until,
  write,
} from "./harness";

/** Heap growth tolerated across a case, after a full GC: far below the bytes thrown at the server. */
const HEAP_SLACK = 24 * 1024 * 1024;

/** A deterministic PRNG (mulberry32), so that every run tries the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every drop code counted in onError is counted the same in the metrics. */
function expectCountsAgree<M>(h: Harness<M>): void {
  const metrics = metricCodes(h.server);
  for (const code of DROP_CODES) expect(metrics[code] ?? 0, code).toBe(h.errors.get(code));
}

/** Streams `data` to `socket` in chunks of `chunk` bytes, awaiting each write. */
async function stream(socket: net.Socket, data: Buffer, chunk = 16 * 1024): Promise<void> {
  for (let at = 0; at < data.length && !socket.destroyed; at += chunk) {
    await write(socket, data.subarray(at, at + chunk));
  }
}

/** The server-side id of a raw socket's connection. */
async function serverId<M>(h: Harness<M>, socket: net.Socket): Promise<string> {
  const port = socket.localPort as number;
  await until(() => h.byPeerPort.has(port), 5_000, "server side of the socket");
  return h.byPeerPort.get(port) as string;
}

function badInputSuite<M>(kit: Kit<M>): void {
  describe(`bad input: ${kit.name}`, () => {
    it("random bytes: dropped and counted, nothing buffered past the limit, others unaffected", async () => {
      const h = await startServer(kit);
      const witness = await startWitness(kit, h.port);
      const heapBefore = await heapAfterGc();
      const peers = scale(4, 8);
      const perPeer = scale(1, 32) * 1024 * 1024;
      const sockets = await Promise.all(Array.from({ length: peers }, () => rawSocket(h.port)));
      await Promise.all(sockets.map((s) => stream(s, randomBytes(perPeer))));
      const ids = await Promise.all(sockets.map((s) => serverId(h, s)));
      const bytesIn = () =>
        ids.reduce((n, id) => n + (h.server.connection(id)?.stats.bytesIn ?? 0), 0);
      await until(() => bytesIn() >= peers * perPeer, 30_000, "server read every byte");
      // Random bytes are dropped, never a reason to close: every hostile peer is still connected.
      expect(sockets.every((s) => !s.destroyed)).toBe(true);
      expect(h.server.connectionCount).toBe(peers + 1);
      for (const s of sockets) s.destroy();
      await until(() => h.server.connectionCount === 1, 5_000, "hostile peers gone");
      const report = await witness.stop();
      const heapGrowth = (await heapAfterGc()) - heapBefore;

      expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
      expect(report.sent).toBeGreaterThan(0);
      expect(h.errors.get("INVALID_FORMAT")).toBeGreaterThan(0);
      for (const code of h.errors.counts.keys()) expect(DROP_CODES).toContain(code);
      expectCountsAgree(h);
      expect(h.peakReader).toBeLessThanOrEqual(MAX_MESSAGE);
      expect(heapGrowth).toBeLessThan(HEAP_SLACK);
      record(`bad-input-random-${kit.name}`, {
        group: "Bad input",
        title: `${kit.name}: random bytes`,
        load: `${peers} peers x ${perPeer / 2 ** 20} MiB of random bytes, 1 witness echoing every 5 ms`,
        faults: "none",
        badInputs: `${(peers * perPeer) / 2 ** 20} MiB of random bytes`,
        lost: report.sent - report.received,
        lostUnit: "witness echoes",
        observed: {
          errorsByCode: h.errors.toJSON(),
          peakReaderBytes: h.peakReader,
          maxMessageSize: MAX_MESSAGE,
          heapGrowthBytes: heapGrowth,
          witnessEchoes: report.received,
        },
      });
    });

    it("valid frames with random bytes between them: every frame handled, in order; garbage counted", async () => {
      const h = await startServer(kit);
      const witness = await startWitness(kit, h.port);
      const rand = prng(kit.name === "json" ? 1 : 2);
      const frames = scale(500, 20_000);
      const parts: Buffer[] = [];
      let garbageSegments = 0;
      let garbageBytes = 0;
      for (let i = 1; i <= frames; i++) {
        const garbage = magicFree(kit, randomBytes(Math.floor(rand() * 300)));
        if (garbage.length > 0) garbageSegments++;
        garbageBytes += garbage.length;
        parts.push(garbage, kit.frame(i, `frame ${i}`));
      }
      const all = Buffer.concat(parts);
      const client = await rawConnection(kit, h.port);
      const echoes: number[] = [];
      client.on("message", (m) => echoes.push(kit.sequence(m)));
      // Re-chunk at random sizes so frames and garbage straddle reads.
      for (let at = 0; at < all.length; ) {
        const n = 1 + Math.floor(rand() * 4096);
        await write(client.socket as net.Socket, all.subarray(at, at + n));
        at += n;
      }
      await until(() => echoes.length === frames, 20_000, "every echo");
      const id = await serverId(h, client.socket as net.Socket);
      const handled = (h.handled.get(id) ?? []).map((m) => kit.sequence(m));
      const expected = Array.from({ length: frames }, (_, i) => i + 1);
      expect(handled).toEqual(expected);
      expect(echoes).toEqual(expected);
      // Each garbage segment is dropped at least once (more when it spans reads), and nothing else.
      expect(h.errors.get("INVALID_FORMAT")).toBeGreaterThanOrEqual(garbageSegments);
      expect([...h.errors.counts.keys()]).toEqual(["INVALID_FORMAT"]);
      expectCountsAgree(h);
      expect(h.peakReader).toBeLessThanOrEqual(MAX_MESSAGE);
      const report = await witness.stop();
      expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
      record(`bad-input-interleaved-${kit.name}`, {
        group: "Bad input",
        title: `${kit.name}: valid frames with random bytes between them`,
        load: `${frames} frames on one connection, re-chunked at random sizes (1..4096 B), 1 witness`,
        faults: "none",
        badInputs: `${garbageSegments} garbage segments, ${garbageBytes} bytes (magic-free)`,
        lost: frames - handled.length + (report.sent - report.received),
        lostUnit: "frames and witness echoes",
        observed: { errorsByCode: h.errors.toJSON(), peakReaderBytes: h.peakReader },
      });
    });

    it("every single-byte corruption of a valid frame: detected or harmless, the next frame survives", async () => {
      const h = await startServer(kit);
      const witness = await startWitness(kit, h.port);
      const original = kit.frame(1, "hello, corruption");
      const sentinel = kit.frame(2, "sentinel");
      const masks = scale([0xff, 0x01], [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff]);
      const cases = Array.from({ length: original.length }, (_, p) =>
        masks.map((m) => ({ p, m })),
      ).flat();
      const lengthField = (p: number) => p >= kit.lengthAt && p < kit.lengthAt + 4;
      let corruptDelivered = 0;
      let detected = 0;
      let sentinelLost = 0;
      const failures: string[] = [];
      await pool(cases.length, 16, async (i) => {
        const { p, m } = cases[i] as { p: number; m: number };
        const bad = Buffer.from(original);
        bad[p] = (bad[p] as number) ^ m;
        const socket = await rawSocket(h.port, true);
        const id = await serverId(h, socket);
        socket.end(Buffer.concat([bad, sentinel]));
        await closed(socket);
        await until(() => h.server.connection(id) === undefined, 5_000, "server side closed");
        const got = h.handled.get(id) ?? [];
        const drops = (h.errorsByConn.get(id) ?? []).filter((c) => DROP_CODES.includes(c));
        const sentinelOk = got.some((x) => kit.sequence(x) === 2 && kit.text(x) === "sentinel");
        const corrupt = got.filter((x) => !(kit.sequence(x) === 2 && kit.text(x) === "sentinel"));
        corruptDelivered += corrupt.length;
        if (drops.length > 0) detected++;
        if (!sentinelOk) sentinelLost++;
        const where = `byte ${p} ^ 0x${m.toString(16)}`;
        // Outside the length field, the frame after a corrupted one always survives.
        if (!lengthField(p) && !sentinelOk) failures.push(`${where}: sentinel lost`);
        if (got.length > 2) failures.push(`${where}: ${got.length} messages from 2 frames`);
        // The corrupted frame is either reported as a drop or delivered as a (valid) message.
        if (drops.length === 0 && corrupt.length === 0)
          failures.push(`${where}: neither dropped nor delivered`);
        // CRC-32 detects every single-byte error: the binary protocol never delivers one.
        if (kit.name === "binary" && corrupt.length > 0)
          failures.push(`${where}: corrupted frame delivered`);
      });
      expect(failures).toEqual([]);
      for (const code of h.errors.counts.keys()) expect(DROP_CODES).toContain(code);
      expectCountsAgree(h);
      await until(() => h.server.connectionCount === 1, 5_000, "corruption peers gone");
      const report = await witness.stop();
      expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
      record(`bad-input-corruption-${kit.name}`, {
        group: "Bad input",
        title: `${kit.name}: every single-byte corruption of a valid frame`,
        load: `${cases.length} connections (16 at a time), each a corrupted frame + a sentinel frame, 1 witness`,
        faults: "none",
        badInputs: `${original.length} byte positions x ${masks.length} XOR masks`,
        lost: failures.length + (report.sent - report.received),
        lostUnit: "sentinels outside the length field and witness echoes",
        observed: {
          detectedByDrop: detected,
          corruptedDeliveredAsValid: corruptDelivered,
          sentinelLostAfterLengthCorruption: sentinelLost,
          errorsByCode: h.errors.toJSON(),
        },
      });
    });

    it("frames announcing lengths up to 4 GiB: dropped from the header, streamed bytes never held", async () => {
      const h = await startServer(kit);
      const witness = await startWitness(kit, h.port);
      const heapBefore = await heapAfterGc();
      const lengths = [MAX_MESSAGE, 2 ** 20, 2 ** 24, 2 ** 31, 2 ** 32 - 1];
      const follow = scale(2, 32) * 1024 * 1024;
      const filler = Buffer.alloc(follow, 0x41);
      await Promise.all(
        lengths.map(async (length) => {
          const header = Buffer.from(kit.frame(9, "").subarray(0, kit.headerSize));
          header.writeUInt32BE(length, kit.lengthAt);
          const socket = await rawSocket(h.port);
          const id = await serverId(h, socket);
          await write(socket, header);
          await stream(socket, filler);
          await until(
            () => (h.server.connection(id)?.stats.bytesIn ?? 0) >= header.length + follow,
            20_000,
            "server read the stream",
          );
          // One drop for the announced frame; filler past a (small) announced length is garbage.
          const codes = h.errorsByConn.get(id) ?? [];
          expect(codes[0]).toBe("MESSAGE_TOO_LARGE");
          expect(codes.filter((c) => c === "MESSAGE_TOO_LARGE")).toHaveLength(1);
          for (const c of codes.slice(1)) expect(c).toBe("INVALID_FORMAT");
          if (length + kit.headerSize >= follow) expect(codes).toHaveLength(1);
          expect(h.handled.get(id)).toEqual([]);
          expect(socket.destroyed).toBe(false);
        }),
      );
      // A frame just over the limit is skipped exactly: the frame after it is handled.
      const client = await rawConnection(kit, h.port);
      const echoes: number[] = [];
      client.on("message", (m) => echoes.push(kit.sequence(m)));
      const overSize = MAX_MESSAGE + 1;
      const header = Buffer.from(kit.frame(9, "").subarray(0, kit.headerSize));
      header.writeUInt32BE(overSize - (kit.name === "json" ? 6 : 19), kit.lengthAt);
      const rest = Buffer.alloc(overSize - header.length, 0x41);
      await write(
        client.socket as net.Socket,
        Buffer.concat([header, rest, kit.frame(10, "after")]),
      );
      await until(() => echoes.length === 1, 5_000, "frame after the oversized one");
      expect(echoes).toEqual([10]);

      const heapGrowth = (await heapAfterGc()) - heapBefore;
      expect(h.peakReader).toBeLessThanOrEqual(MAX_MESSAGE);
      expect(heapGrowth).toBeLessThan(HEAP_SLACK);
      expect(h.errors.get("MESSAGE_TOO_LARGE")).toBe(lengths.length + 1);
      expectCountsAgree(h);
      const report = await witness.stop();
      expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
      record(`bad-input-huge-length-${kit.name}`, {
        group: "Bad input",
        title: `${kit.name}: frames announcing lengths up to 4 GiB`,
        load: `${lengths.length} peers each streaming ${follow / 2 ** 20} MiB after the header, 1 witness`,
        faults: "none",
        badInputs: `announced lengths ${lengths.join(", ")} (maxMessageSize ${MAX_MESSAGE}); one frame of limit+1 followed by a valid frame`,
        lost: report.sent - report.received + (echoes.length === 1 ? 0 : 1),
        lostUnit: "witness echoes and the frame after the oversized one",
        observed: {
          errorsByCode: h.errors.toJSON(),
          peakReaderBytes: h.peakReader,
          heapGrowthBytes: heapGrowth,
        },
      });
    });
  });
}

badInputSuite(jsonKit);
badInputSuite(binaryKit);

/** JSON bodies that parse but are not a message: each must be dropped alone. */
const WRONG_SHAPES: Array<[string, "MALFORMED_BODY" | "INVALID_FORMAT"]> = [
  ["[]", "MALFORMED_BODY"],
  ['"a string"', "MALFORMED_BODY"],
  ["42", "MALFORMED_BODY"],
  ["true", "MALFORMED_BODY"],
  ["null", "INVALID_FORMAT"],
  ["{}", "INVALID_FORMAT"],
  ['{"type":"2","sequence":1,"data":null,"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":-1,"sequence":1,"data":null,"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":1.5,"sequence":1,"data":null,"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":4294967296,"sequence":1,"data":null,"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":[1],"data":null,"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":[1,2],"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":"text","timestamp":1}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":7,"timestamp":1}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":null,"timestamp":"1"}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":null,"timestamp":1e300}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":null,"timestamp":99999999999999999999}', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":null,"timestamp":1.5}', "MALFORMED_BODY"],
  ['{"type":0,"sequence":1,"data":null,"timestamp":1}', "INVALID_FORMAT"],
  ['{"type":1,"sequence":0,"data":null,"timestamp":1}', "INVALID_FORMAT"],
  ['{"type":1,"sequence":1,"data":null,"timestamp":0}', "INVALID_FORMAT"],
  ['{"type":1,"sequence":1,"data":{},"timestamp":1', "MALFORMED_BODY"],
  ['{"type":1,"sequence":1,"data":{},"timestamp":1}}', "MALFORMED_BODY"],
  ['{"__proto__":{"type":1},"sequence":1,"timestamp":1}', "INVALID_FORMAT"],
  ["", "MALFORMED_BODY"],
];

/** A valid chat message `{from,to,content}`, as the binary chat puts in `data`. */
function parseChat(data: Uint8Array): { from: string; to: string; content: string } {
  const value: unknown = JSON.parse(Buffer.from(data).toString());
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("not an object");
  const { from, to, content } = value as Record<string, unknown>;
  if (typeof from !== "string" || typeof to !== "string" || typeof content !== "string") {
    throw new Error("from, to and content must be strings");
  }
  return { from, to, content };
}

function nested(depth: number, open: string, close: string, inner = "1"): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

describe("bad input: JSON bodies", () => {
  it("json: bodies that are valid JSON but the wrong shape are dropped one by one", async () => {
    const h = await startServer(jsonKit);
    const client = await rawConnection(jsonKit, h.port);
    const echoes: number[] = [];
    client.on("message", (m) => echoes.push(m.sequence));
    const parts: Buffer[] = [];
    for (const [i, [body]] of WRONG_SHAPES.entries()) {
      parts.push(rawJsonFrame(body), jsonKit.frame(i + 1, "ok"));
    }
    await write(client.socket as net.Socket, Buffer.concat(parts));
    await until(() => echoes.length === WRONG_SHAPES.length, 5_000, "every sentinel");
    const id = await serverId(h, client.socket as net.Socket);
    expect(echoes).toEqual(WRONG_SHAPES.map((_, i) => i + 1));
    expect(h.errorsByConn.get(id)).toEqual(WRONG_SHAPES.map(([, code]) => code));
    expectCountsAgree(h);
    record("bad-input-wrong-shape-json", {
      group: "Bad input",
      title: "json: valid JSON of the wrong shape",
      load: "one connection, each bad body followed by a valid frame",
      faults: "none",
      badInputs: `${WRONG_SHAPES.length} bodies (arrays, scalars, null, wrong field types, zeros, out-of-range numbers, truncated JSON, __proto__)`,
      lost: WRONG_SHAPES.length - echoes.length,
      lostUnit: "valid frames after a bad one",
      observed: { errorsByCode: h.errors.toJSON() },
    });
  });

  it("binary: payloads of the wrong shape reach the handler, which fails alone", async () => {
    const h = await startServer(binaryKit, {
      onMessage: (m, conn) => {
        parseChat(m.data);
        conn.send(m);
      },
    });
    const client = await rawConnection(binaryKit, h.port);
    const echoes: number[] = [];
    client.on("message", (m) => echoes.push(m.sequence));
    const good = JSON.stringify({ from: "a", to: "", content: "hi" });
    WRONG_SHAPES.forEach(([body], i) => {
      client.send({ version: 1, type: 2, sequence: 2 * i + 1, data: Buffer.from(body) });
      client.send({ version: 1, type: 2, sequence: 2 * i + 2, data: Buffer.from(good) });
    });
    await until(() => echoes.length === WRONG_SHAPES.length, 5_000, "every good message");
    await until(
      () => h.errors.get("HANDLER_FAILED") === WRONG_SHAPES.length,
      5_000,
      "every failure",
    );
    expect(echoes).toEqual(WRONG_SHAPES.map((_, i) => 2 * i + 2));
    expect(h.errors.toJSON()).toEqual({ HANDLER_FAILED: WRONG_SHAPES.length });
    expect(metricCodes(h.server).HANDLER_FAILED).toBe(WRONG_SHAPES.length);
    expect(client.state).toBe("open");
    record("bad-input-wrong-shape-binary", {
      group: "Bad input",
      title: "binary: payloads that are valid JSON of the wrong shape",
      load: "one connection, bad and good payloads alternating",
      faults: "a handler that throws on a bad payload",
      badInputs: `${WRONG_SHAPES.length} payloads`,
      lost: WRONG_SHAPES.length - echoes.length,
      lostUnit: "good messages",
      observed: { errorsByCode: h.errors.toJSON() },
    });
  });

  it("json: deeply nested JSON is handled or dropped, never crashes or stalls the server", async () => {
    const h = await startServer(jsonKit);
    const witness = await startWitness(jsonKit, h.port);
    const client = await rawConnection(jsonKit, h.port);
    const depth = Math.floor((MAX_MESSAGE - 200) / 6);
    const ts = "1700000000000000001"; // above 2^53: the exact-timestamp scanner runs over the body
    const bodies = [
      `{"type":1,"sequence":1,"data":${nested(depth, '{"a":', "}")},"timestamp":${ts}}`,
      `{"type":1,"sequence":1,"data":${nested(depth, '{"a":', "}")},"timestamp":7}`,
      `{"type":1,"sequence":1,"data":{"a":${nested(depth * 2, "[", "]")}},"timestamp":${ts}}`,
      `{"type":1,"sequence":1,"data":${nested(depth * 2, "[", "]")},"timestamp":${ts}}`,
      nested(Math.floor((MAX_MESSAGE - 200) / 2), "[", "]"),
      `{"type":1,"sequence":1,"data":${nested(depth, '{"a":', "}")},"timestamp":${ts}`,
      `${nested(depth, '{"a":', "}")}`,
    ];
    const echoes: number[] = [];
    client.on("message", (m) => echoes.push(m.sequence));
    const parts: Buffer[] = [];
    for (const [i, b] of bodies.entries())
      parts.push(rawJsonFrame(b), jsonKit.frame(100 + i, "after"));
    await write(client.socket as net.Socket, Buffer.concat(parts));
    await until(
      () => echoes.filter((s) => s >= 100).length === bodies.length,
      10_000,
      "frames after each",
    );
    const id = await serverId(h, client.socket as net.Socket);
    const handled = h.handled.get(id) ?? [];
    const deepHandled = handled.filter((m) => m.sequence === 1).length;
    const drops = (h.errorsByConn.get(id) ?? []).filter((c) => DROP_CODES.includes(c)).length;
    // Each deep body is either handled or dropped: never both, never neither.
    expect(deepHandled + drops).toBe(bodies.length);
    expect(handled.filter((m) => m.sequence >= 100).map((m) => m.sequence)).toEqual(
      bodies.map((_, i) => 100 + i),
    );
    expectCountsAgree(h);
    const report = await witness.stop();
    expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
    record("bad-input-deep-json", {
      group: "Bad input",
      title: "json: deeply nested JSON",
      load: "one connection plus a witness",
      faults: "none",
      badInputs: `${bodies.length} bodies nested ${depth} to ${depth * 3} levels (objects, arrays, truncated)`,
      lost: report.sent - report.received,
      lostUnit: "witness echoes",
      observed: { deepHandled, deepDropped: drops, errorsByCode: h.errors.toJSON() },
    });
  });

  it("binary: deeply nested JSON payloads are opaque bytes, echoed intact", async () => {
    const h = await startServer(binaryKit);
    const client = await rawConnection(binaryKit, h.port);
    const payload = Buffer.from(nested(Math.floor((MAX_MESSAGE - 100) / 2), "[", "]"));
    const got: Uint8Array[] = [];
    client.on("message", (m) => got.push(m.data));
    client.send({ version: 1, type: 2, sequence: 1, data: payload });
    await until(() => got.length === 1, 5_000, "echo");
    expect(Buffer.from(got[0] as Uint8Array).equals(payload)).toBe(true);
    expect(h.errors.total).toBe(0);
  });

  it("json: invalid UTF-8 inside strings becomes U+FFFD; outside strings it is a malformed body", async () => {
    const h = await startServer(jsonKit);
    const client = await rawConnection(jsonKit, h.port);
    const got: Array<{ sequence: number; content: string }> = [];
    client.on("message", (m) => got.push({ sequence: m.sequence, content: jsonKit.text(m) }));
    const invalid = [
      [0xff],
      [0xc0, 0x80], // overlong NUL
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xf5, 0x80, 0x80, 0x80], // beyond U+10FFFF
      [0xe2, 0x82], // truncated sequence
      [0x80], // lone continuation byte
    ];
    const parts: Buffer[] = [];
    invalid.forEach((bytes, i) => {
      const inString = Buffer.concat([
        Buffer.from(`{"type":2,"sequence":${i + 1},"data":{"content":"a`),
        Buffer.from(bytes),
        Buffer.from('b"},"timestamp":5}'),
      ]);
      const outside = Buffer.concat([
        Buffer.from('{"type":2,"sequence":77,'),
        Buffer.from(bytes),
        Buffer.from('"data":null,"timestamp":5}'),
      ]);
      parts.push(rawJsonFrame(inString), rawJsonFrame(outside));
    });
    await write(client.socket as net.Socket, Buffer.concat(parts));
    await until(() => got.length === invalid.length, 5_000, "echo of each in-string case");
    await until(
      () => h.errors.get("MALFORMED_BODY") === invalid.length,
      5_000,
      "drop of each outside case",
    );
    expect(got.map((g) => g.sequence)).toEqual(invalid.map((_, i) => i + 1));
    for (const g of got) {
      expect(g.content.startsWith("a") && g.content.endsWith("b")).toBe(true);
      expect(g.content).toContain("\ufffd");
    }
    expect(h.errors.toJSON()).toEqual({ MALFORMED_BODY: invalid.length });
    expectCountsAgree(h);
    record("bad-input-utf8-json", {
      group: "Bad input",
      title: "json: invalid UTF-8",
      load: "one connection",
      faults: "none",
      badInputs: `${invalid.length} invalid sequences, each inside a string and between tokens`,
      lost: invalid.length - got.length,
      lostUnit: "frames with invalid UTF-8 inside a string (must be delivered with U+FFFD)",
      observed: { errorsByCode: h.errors.toJSON() },
    });
  });

  it("binary: invalid UTF-8 payloads are echoed byte for byte", async () => {
    const h = await startServer(binaryKit);
    const client = await rawConnection(binaryKit, h.port);
    const payloads = [
      [0xff],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0xf5, 0x80, 0x80, 0x80],
      [0xe2, 0x82],
      [0x80],
    ].map((b) => Buffer.from(b));
    const got: Uint8Array[] = [];
    client.on("message", (m) => got.push(m.data));
    for (const [i, data] of payloads.entries())
      client.send({ version: 1, type: 2, sequence: i + 1, data });
    await until(() => got.length === payloads.length, 5_000, "every echo");
    for (const [i, data] of got.entries()) {
      expect(Buffer.from(data).equals(payloads[i] as Buffer)).toBe(true);
    }
    expect(h.errors.total).toBe(0);
  });
});
