// The sentence for a port that speaks another protocol than the one asked for.
import type { Spoken } from "./sniff";

const NAMES: Record<Exclude<Spoken, "unknown">, string> = {
  json: "the Taurus JSON protocol (FE FF)",
  binary: "the Taurus binary protocol (CA FE)",
  http: "HTTP, not a Taurus protocol",
};

/** "127.0.0.1:8081 speaks the Taurus binary protocol (CA FE), not json: use --protocol binary". */
export function mismatch(where: string, asked: string, spoken: Exclude<Spoken, "unknown">): string {
  const fix = spoken === "http" ? "is it the metrics port?" : `use --protocol ${spoken}`;
  return `${where} speaks ${NAMES[spoken]}, not ${asked}: ${fix}`;
}
