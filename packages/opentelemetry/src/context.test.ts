import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createClient } from "@taurus/client";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, reply } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { TaurusInstrumentation } from "./instrumentation";

const binary = createBinaryProtocol();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const msg = (type: number, text: string): BinaryMessage => ({
  version: 1,
  type,
  sequence: 0,
  data: Buffer.from(text),
});

describe("handler spans and the active context", () => {
  it("makes taurus.message the parent of the spans its handler makes, across awaits", async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    cleanups.push(() => context.disable());
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(spans)],
    });
    cleanups.push(() => tracerProvider.shutdown());
    const instrumentation = new TaurusInstrumentation({ tracerProvider });
    instrumentation.enable();
    cleanups.push(() => instrumentation.disable());
    const tracer = tracerProvider.getTracer("app");

    const server = createServer({
      protocol: binary,
      rateLimit: Infinity,
      handler: {
        async onMessage(m, conn) {
          tracer.startSpan("before-await").end();
          await new Promise((resolve) => setImmediate(resolve));
          await tracer.startActiveSpan("after-await", async (span) => {
            await Promise.resolve();
            span.end();
          });
          reply(conn, m, msg(3, "pong"));
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    cleanups.push(() => server.close());
    const client = createClient({ address: `127.0.0.1:${port}`, protocol: binary });
    cleanups.push(() => client.close());
    await client.connect();
    // The client's request runs in the caller's span: taurus.request is its child.
    const caller = tracer.startSpan("caller");
    await context.with(trace.setSpan(context.active(), caller), () =>
      client.request(msg(2, "ping")),
    );
    caller.end();
    // A second message: each handler call has its own span.
    await client.request(msg(2, "again"));

    const finished = spans.getFinishedSpans();
    const byName = (name: string) => finished.filter((s) => s.name === name);
    const messages = byName("taurus.message");
    expect(messages).toHaveLength(2);
    const [first, second] = messages;
    const parentOf = (name: string, i: number) => byName(name)[i]?.parentSpanContext?.spanId;
    expect(parentOf("before-await", 0)).toBe(first?.spanContext().spanId);
    expect(parentOf("after-await", 0)).toBe(first?.spanContext().spanId);
    expect(parentOf("before-await", 1)).toBe(second?.spanContext().spanId);
    expect(parentOf("after-await", 1)).toBe(second?.spanContext().spanId);
    expect(first?.spanContext().spanId).not.toBe(second?.spanContext().spanId);
    // Each handler span is a root of its own trace here (TCP carries no trace context).
    expect(first?.spanContext().traceId).not.toBe(second?.spanContext().traceId);
    expect(parentOf("taurus.request", 0)).toBe(caller.spanContext().spanId);
    // And nothing leaks out of the handler: the test's context has no taurus span.
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
