// Reads V8 heap snapshots (node:v8 writeHeapSnapshot) into bytes and objects by kind, and
// compares two of one process: what each of `n` connections added, by kind of object.
import { readFileSync } from "node:fs";

/**
 * @typedef {{ count: number, bytes: number }} Tally
 * @typedef {{ kind: string, count: number, bytes: number }} KindRow
 */

/**
 * The kind of a heap node: its constructor for objects ("Socket", "_Connection"), its
 * type for the rest ("(string)", "(array)", "(code)"...).
 * @param {string} type
 * @param {string} name
 */
function kindOf(type, name) {
  if (type === "object") return name;
  if (type === "closure") return `${name || "(anonymous)"}()`;
  if (type === "synthetic" || type === "native") return `(native) ${name}`;
  if (type.endsWith("string")) return "(string)";
  return `(${type})`;
}

/**
 * Objects and bytes of a snapshot file, by kind.
 * @param {string} file
 * @returns {Map<string, Tally>}
 */
export function heapByKind(file) {
  const snapshot = JSON.parse(readFileSync(file, "utf8"));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  /** @type {Map<string, Tally>} */
  const kinds = new Map();
  const nodes = snapshot.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const kind = kindOf(types[nodes[i + typeAt]], snapshot.strings[nodes[i + nameAt]]);
    const tally = kinds.get(kind) ?? { count: 0, bytes: 0 };
    tally.count++;
    tally.bytes += nodes[i + sizeAt];
    kinds.set(kind, tally);
  }
  return kinds;
}

/**
 * What `n` connections added between two snapshots of one process, per connection, by
 * kind: the kinds that grew by at least `minBytes` per connection, largest first. The heap's
 * own native wrappers and compiled code are left out (not on the JS heap, or not per connection).
 * @param {Map<string, Tally>} before
 * @param {Map<string, Tally>} after
 * @param {number} n
 * @param {number} [minBytes]
 * @returns {KindRow[]}
 */
export function perConnection(before, after, n, minBytes = 8) {
  /** @type {KindRow[]} */
  const rows = [];
  for (const [kind, a] of after) {
    if (kind.startsWith("(native)") || kind === "(code)") continue;
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    const bytes = (a.bytes - b.bytes) / n;
    if (bytes < minBytes) continue;
    rows.push({
      kind,
      count: Math.round(((a.count - b.count) / n) * 100) / 100,
      bytes: Math.round(bytes),
    });
  }
  return rows.sort((x, y) => y.bytes - x.bytes);
}
