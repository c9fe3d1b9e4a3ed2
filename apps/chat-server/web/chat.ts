// The web chat page's script: joins the room over WebSocket with the JSON protocol, as a Go or
// Taurus TCP client would, and shows what the room says. Text is inserted with textContent only.
// It asks for a session (issue 13): where the server grants one, a WebSocket cut for a moment
// misses nothing and shows nothing twice; where it does not, the page carries on without.
import { createWebClient } from "@taurus/client-web";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";

const SYSTEM = 1;
const USER = 2;
const JOINED = "加入了聊天室";

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const log = byId<HTMLUListElement>("log");
const status = byId<HTMLSpanElement>("status");
const joinForm = byId<HTMLFormElement>("join-form");
const sendForm = byId<HTMLFormElement>("send-form");
const nameInput = byId<HTMLInputElement>("name");
const textInput = byId<HTMLInputElement>("text");

/** Control characters (C0, DEL, C1) never reach the page. */
function clean(value: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return String(value ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, "");
}

function show(from: string, content: string, system: boolean): void {
  const item = document.createElement("li");
  if (system) item.className = "system";
  const who = document.createElement("span");
  who.className = "from";
  who.textContent = `${from}:`;
  const text = document.createElement("span");
  text.className = "content";
  text.textContent = content;
  item.append(who, text);
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

let sequence = 0;
function chat(type: number, from: string, content: string, to = ""): JsonMessage {
  sequence = sequence >= 0xfffffffe ? 1 : sequence + 1;
  return { type, sequence, data: { from, to, content }, timestamp: 0n };
}

const scheme = location.protocol === "https:" ? "wss:" : "ws:";
const client = createWebClient({
  url: `${scheme}//${location.host}/ws`,
  protocol: createJsonProtocol(),
  session: true,
});
let name = "";

client.on("open", (resumed) => {
  status.textContent = `connected as ${name}`;
  // A new connection joins: after a reconnection the name is bound again. A resumed session
  // is still joined (and got what the room said meanwhile).
  if (!resumed) client.send(chat(SYSTEM, name, JOINED));
});
client.on("sessionLost", ({ reason, unacknowledged }) => {
  if (reason === "closed") return;
  // Never silent: the room may have said things this page did not get, and the other way.
  show(
    "page",
    `session lost (${reason}): ${unacknowledged} of your messages may not have arrived`,
    true,
  );
});
client.on("reconnecting", ({ attempt, delay }) => {
  status.textContent = `reconnecting (attempt ${attempt}, in ${Math.round(delay)} ms)`;
});
client.on("message", (m) => {
  const data = (m.data ?? {}) as Record<string, unknown>;
  show(clean(data.from), clean(data.content), m.type !== USER);
});
client.on("close", () => {
  status.textContent = "disconnected";
});

joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  name = clean(nameInput.value).trim();
  if (!name) return;
  joinForm.hidden = true;
  sendForm.hidden = false;
  status.textContent = "connecting";
  void client.connect();
  textInput.focus();
});

sendForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const content = clean(textInput.value);
  if (!content) return;
  textInput.value = "";
  client.send(chat(content.startsWith("/") ? SYSTEM : USER, name, content));
});
