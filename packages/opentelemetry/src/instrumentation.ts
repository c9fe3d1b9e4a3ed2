import { AsyncLocalStorage } from "node:async_hooks";
import diagnostics from "node:diagnostics_channel";
import {
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
  type UpDownCounter,
} from "@opentelemetry/api";
import {
  CHANNELS,
  type CloseMessage,
  type ConnectionLike,
  type DropMessage,
  type MessageContext,
  type ReconnectMessage,
  type RefusedMessage,
  type RequestContext,
} from "./channels";

/** The instrumentation scope name of the tracer and meter. */
export const INSTRUMENTATION_NAME = "@taurus/opentelemetry";

/** Options of {@link TaurusInstrumentation}. */
export interface TaurusInstrumentationOptions {
  /** Where spans go. @defaultValue the global tracer provider of `@opentelemetry/api` */
  tracerProvider?: TracerProvider;
  /** Where metrics go. @defaultValue the global meter provider of `@opentelemetry/api` */
  meterProvider?: MeterProvider;
  /** A span per `client.request()` (`taurus.request`, kind CLIENT). @defaultValue `true` */
  requestSpans?: boolean;
  /** A span per server `onMessage` call (`taurus.message`, kind SERVER). @defaultValue `true` */
  messageSpans?: boolean;
}

interface Instruments {
  opened: Counter;
  closed: Counter;
  active: UpDownCounter;
  dropped: Counter;
  refused: Counter;
  reconnects: Counter;
  requestDuration: Histogram;
  messageDuration: Histogram;
}

interface Timed {
  span: Span | undefined;
  started: number;
}

type Listener = (message: unknown, name: string | symbol) => void;

/**
 * The `AsyncLocalStorage` behind OpenTelemetry's global context manager, when
 * it has one (`AsyncLocalStorageContextManager` of
 * `@opentelemetry/context-async-hooks`, which the Node SDK registers, does).
 * Entering it is what `context.with()` does: binding it to a tracing
 * channel's `start` makes a span the active context of the traced call.
 */
function contextStore(): AsyncLocalStorage<Context> | undefined {
  const api = otelContext as unknown as { _getContextManager?: () => unknown };
  const manager = api._getContextManager?.();
  if (typeof manager !== "object" || manager === null) return undefined;
  for (const value of Object.values(manager)) {
    if (value instanceof AsyncLocalStorage) return value as AsyncLocalStorage<Context>;
  }
  return undefined;
}

function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "Error";
}

function connectionAttributes(conn: ConnectionLike): Attributes {
  const attributes: Attributes = {
    "taurus.connection.id": conn.id,
    "taurus.protocol": conn.protocol.name,
  };
  if (conn.remoteAddress !== undefined) attributes["network.peer.address"] = conn.remoteAddress;
  if (conn.remotePort !== undefined) attributes["network.peer.port"] = conn.remotePort;
  return attributes;
}

/**
 * Turns the `node:diagnostics_channel` channels of Taurus (docs/DIAGNOSTICS.md)
 * into OpenTelemetry spans and metrics. It imports no Taurus package: it only
 * subscribes to the channels, so it sees every server and client of the
 * process whatever their versions. Nothing is subscribed until
 * {@link TaurusInstrumentation.enable}.
 *
 * Spans: `taurus.request` (kind CLIENT) per `client.request()`, ended with
 * the reply or the rejection (status ERROR and `error.type` = the error code);
 * `taurus.message` (kind SERVER) per call of the server's `onMessage`, ended
 * when it returns or, for an async handler, when its promise settles. Each
 * span's parent is the context active where the call began. With a context
 * manager backed by `AsyncLocalStorage` (the Node SDK's default), the
 * `taurus.message` span is also the active context while the handler runs, so
 * the spans the handler makes (a database call, an outgoing request) are its
 * children, across `await`s too: the tracing channel's `start` is bound to
 * the context manager's store, as undici's and Node's own instrumentations do.
 *
 * Metrics: `taurus.connection.opened`, `taurus.connection.closed`
 * (`taurus.close.reason`), `taurus.connection.active`, `taurus.frame.dropped`
 * (`taurus.drop.reason`), `taurus.server.refused`, `taurus.client.reconnects`,
 * and the histograms `taurus.client.request.duration` and
 * `taurus.server.message.duration` (seconds).
 *
 * @example
 * ```ts
 * const instrumentation = new TaurusInstrumentation();
 * instrumentation.enable();
 * // ... later
 * instrumentation.disable();
 * ```
 */
export class TaurusInstrumentation {
  private readonly tracer: Tracer;
  private readonly meter: Meter;
  private readonly requestSpans: boolean;
  private readonly messageSpans: boolean;
  private instruments: Instruments | undefined;
  private readonly timing = new WeakMap<object, Timed>();
  private subscriptions: Array<() => void> = [];

  /**
   * @param options - providers and which spans to make; see {@link TaurusInstrumentationOptions}
   */
  constructor(options: TaurusInstrumentationOptions = {}) {
    const tracerProvider = options.tracerProvider ?? trace.getTracerProvider();
    const meterProvider = options.meterProvider ?? metrics.getMeterProvider();
    this.tracer = tracerProvider.getTracer(INSTRUMENTATION_NAME);
    this.meter = meterProvider.getMeter(INSTRUMENTATION_NAME);
    this.requestSpans = options.requestSpans ?? true;
    this.messageSpans = options.messageSpans ?? true;
  }

  /** Whether the channels are subscribed to. */
  get enabled(): boolean {
    return this.subscriptions.length > 0;
  }

  /** Subscribes to every channel; calling it again does nothing. */
  enable(): void {
    if (this.enabled) return;
    const m = this.meter;
    const instruments: Instruments = {
      opened: m.createCounter("taurus.connection.opened", {
        description: "Connections opened (server and client side)",
      }),
      closed: m.createCounter("taurus.connection.closed", {
        description: "Connections closed, by reason (an error code, or NORMAL)",
      }),
      active: m.createUpDownCounter("taurus.connection.active", {
        description: "Connections open now",
      }),
      dropped: m.createCounter("taurus.frame.dropped", {
        description: "Inbound frames dropped, by reason",
      }),
      refused: m.createCounter("taurus.server.refused", {
        description: "Sockets refused by a server's connection limits",
      }),
      reconnects: m.createCounter("taurus.client.reconnects", {
        description: "Reconnection attempts scheduled by clients",
      }),
      requestDuration: m.createHistogram("taurus.client.request.duration", {
        description: "Time from client.request() to its reply or rejection",
        unit: "s",
      }),
      messageDuration: m.createHistogram("taurus.server.message.duration", {
        description: "Time the server's onMessage handler took",
        unit: "s",
      }),
    };
    this.instruments = instruments;
    this.on(CHANNELS.connectionOpen, () => {
      instruments.opened.add(1);
      instruments.active.add(1);
    });
    this.on(CHANNELS.connectionClose, (message) => {
      const { reason } = message as CloseMessage;
      instruments.closed.add(1, { "taurus.close.reason": reason });
      instruments.active.add(-1);
    });
    this.on(CHANNELS.frameDropped, (message) => {
      const { reason } = message as DropMessage;
      instruments.dropped.add(1, { "taurus.drop.reason": reason });
    });
    this.on(CHANNELS.serverRefused, (message) => {
      instruments.refused.add(1, { "error.type": (message as RefusedMessage).error.code });
    });
    this.on(CHANNELS.clientReconnect, (message) => {
      instruments.reconnects.add(1, { "error.type": (message as ReconnectMessage).error.code });
    });
    this.traceRequests();
    this.traceMessages();
  }

  /** Unsubscribes from every channel; spans in flight are not ended. */
  disable(): void {
    for (const off of this.subscriptions.splice(0)) off();
    this.instruments = undefined;
  }

  /** Same as {@link TaurusInstrumentation.disable}, for `using`. */
  [Symbol.dispose](): void {
    this.disable();
  }

  private on(name: string, listener: Listener): void {
    diagnostics.subscribe(name, listener);
    this.subscriptions.push(() => diagnostics.unsubscribe(name, listener));
  }

  private onTrace<C extends object>(
    name: string,
    handlers: {
      start: (context: C) => void;
      end: (context: C) => void;
      asyncEnd: (context: C) => void;
      error: (context: C) => void;
    },
    activate?: (context: C) => Context,
  ): void {
    const channel = diagnostics.tracingChannel<unknown, C>(name);
    const subscribers = { ...handlers, asyncStart: noop };
    channel.subscribe(subscribers);
    this.subscriptions.push(() => channel.unsubscribe(subscribers));
    const store = activate ? contextStore() : undefined;
    if (store && activate) {
      // The traced call runs inside store.run(activate(context), ...): the span is active.
      channel.start.bindStore(store, (context) => activate(context as C));
      this.subscriptions.push(() => channel.start.unbindStore(store));
    }
  }

  private traceRequests(): void {
    this.onTrace<RequestContext>(CHANNELS.clientRequest, {
      start: (context) => {
        const { client } = context;
        const span = this.requestSpans
          ? this.tracer.startSpan("taurus.request", {
              kind: SpanKind.CLIENT,
              attributes: {
                "server.address": client.host,
                "server.port": client.port,
                "network.transport": "tcp",
                "taurus.protocol": client.protocol.name,
              },
            })
          : undefined;
        this.timing.set(context, { span, started: performance.now() });
      },
      end: noop,
      error: (context) => this.failed(context, context.error),
      asyncEnd: (context) => this.finish(context, this.instruments?.requestDuration),
    });
  }

  private traceMessages(): void {
    /** Starts the span (a child of the active context) and returns the context it is active in. */
    const begin = (context: MessageContext): Context => {
      const parent = otelContext.active();
      const span = this.messageSpans
        ? this.tracer.startSpan(
            "taurus.message",
            { kind: SpanKind.SERVER, attributes: connectionAttributes(context.connection) },
            parent,
          )
        : undefined;
      this.timing.set(context, { span, started: performance.now() });
      return span ? trace.setSpan(parent, span) : parent;
    };
    this.onTrace<MessageContext>(
      CHANNELS.serverMessage,
      {
        // Already begun when the start channel is bound to the context store.
        start: (context) => void (this.timing.has(context) || begin(context)),
        end: (context) => {
          if (context.async !== true) this.finish(context, this.instruments?.messageDuration);
        },
        error: (context) => this.failed(context, context.error),
        asyncEnd: (context) => this.finish(context, this.instruments?.messageDuration),
      },
      begin,
    );
  }

  private failed(context: object, error: unknown): void {
    const timed = this.timing.get(context);
    if (!timed?.span) return;
    const type = errorType(error);
    timed.span.setAttribute("error.type", type);
    if (error instanceof Error) timed.span.recordException(error);
    timed.span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }

  private finish(context: object & { error?: unknown }, histogram: Histogram | undefined): void {
    const timed = this.timing.get(context);
    if (!timed) return;
    this.timing.delete(context);
    const attributes: Attributes =
      context.error === undefined ? {} : { "error.type": errorType(context.error) };
    histogram?.record((performance.now() - timed.started) / 1000, attributes);
    timed.span?.end();
  }
}

function noop(): void {}
