// Builds the documentation site into site/: the TypeDoc reference of every package, the
// repository README as its home page, every Markdown file of docs/ and docs/guides/, and
// two generated pages (.build/): the benchmarks guide with charts drawn from
// bench/results/latest.json, and the guides overview with the delivery and scale-out
// pointers. TypeDoc fails the build on an undocumented export or a broken link.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { benchCharts } from "./charts.mjs";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(here, "../..");
const build = join(here, ".build");
rmSync(build, { recursive: true, force: true });
mkdirSync(join(build, "charts"), { recursive: true });

const fill = (template, values) =>
  template.replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (!(key in values)) throw new Error(`docs: no value for {{${key}}}`);
    return values[key];
  });

// 1. The benchmarks guide, its charts drawn from the committed results.
const latest = JSON.parse(readFileSync(join(root, "bench/results/latest.json"), "utf8"));
const charts = benchCharts(latest);
for (const c of charts) writeFileSync(join(build, "charts", c.file), c.svg);
const m = latest.machine ?? {};
writeFileSync(
  join(build, "benchmarks.md"),
  fill(readFileSync(join(here, "guides/benchmarks.md"), "utf8"), {
    date: String(latest.date ?? "").slice(0, 10),
    machine: `${m.cpuCount ?? "?"} cores (${m.cpuModel ?? "?"}), Node.js ${m.node ?? "?"}`,
    charts: charts.map((c) => `![${c.title}](./charts/${c.file})`).join("\n\n"),
    targets: [
      "| target | value | threshold | met |",
      "| --- | --- | --- | --- |",
      ...(latest.targets ?? []).map(
        (t) => `| ${t.target} | ${t.value} | ${t.threshold} | ${t.met ? "yes" : "no"} |`,
      ),
    ].join("\n"),
  }),
);

// 2. The guides overview: every document found, and pointers to the ones on delivery and scale-out.
const docs = [join(root, "docs"), join(root, "docs/guides")].flatMap((dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".md"))
        .sort()
        .map((f) => join(dir, f))
    : [],
);
const titleOf = (file) => {
  const text = readFileSync(file, "utf8");
  const front = /^---\n[\s\S]*?^title:\s*(.+)$/m.exec(text);
  return (front?.[1] ?? /^#\s+(.+)$/m.exec(text)?.[1] ?? file).trim().replace(/^["']|["']$/g, "");
};
const link = (file) => `[${titleOf(file)}](./${relative(root, file)})`;
const find = (re) => docs.find((f) => re.test(f.slice(root.length)));
const repoLink = (path, text) => `[${text}](${relative(build, join(root, path))})`;
const scaleOut = find(/scale-?out/i);
const security = find(/security/i);
const reliability = find(/reliability/i);
const protocolGuide = find(/protocol/i);
writeFileSync(
  join(build, "guides.md"),
  fill(readFileSync(join(here, "guides/guides.md"), "utf8"), {
    list: [...docs.map((f) => `- ${link(f)}`), "- [Benchmarks](./benchmarks.md)"].join("\n"),
    delivery: [
      reliability ? `${link(reliability)} (what each fault case lost, counted)` : undefined,
      repoLink("packages/client/README.md", "the client's README"),
      repoLink("packages/adapter-redis/README.md", "the Redis backplane's README"),
    ]
      .filter(Boolean)
      .join(", "),
    scaleOut: scaleOut
      ? link(scaleOut)
      : `${repoLink("packages/adapter-redis/README.md", "the Redis backplane")} and \`chat-server --help\``,
    security: security ? `Security: ${link(security)}.` : "",
    protocol: protocolGuide
      ? link(protocolGuide)
      : repoLink("packages/core-conn/README.md", "the core-conn README (the Protocol contract)"),
  }),
);

// 3. The README and every document, staged under .build/ with a title (from its first
// heading) and links rewritten to reach the same files from there.
const staged = new Map([[join(root, "README.md"), join(build, "README.md")]]);
for (const f of docs) staged.set(f, join(build, relative(root, f)));
for (const [from, to] of staged) {
  mkdirSync(dirname(to), { recursive: true });
  const text = readFileSync(from, "utf8").replace(
    /\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)/g,
    (_, target, hash = "") => {
      const abs = join(dirname(from), target);
      const dest = staged.get(abs) ?? abs;
      return `](${relative(dirname(to), dest)}${hash})`;
    },
  );
  const title = from.endsWith("README.md") ? undefined : titleOf(from);
  writeFileSync(to, title ? `---\ntitle: ${JSON.stringify(title)}\n---\n\n${text}` : text);
}
for (const page of ["benchmarks.md", "guides.md"]) {
  const file = join(build, page);
  const text = readFileSync(file, "utf8");
  writeFileSync(
    file,
    `---\ntitle: ${JSON.stringify(/^#\s+(.+)$/m.exec(text)?.[1] ?? page)}\n---\n\n${text}`,
  );
}

// 4. TypeDoc.
const result = spawnSync("pnpm", ["exec", "typedoc"], { cwd: here, stdio: "inherit" });
process.exit(result.status ?? 1);
