#!/usr/bin/env node
// End to end through the CLI: for every case gen_index.mjs recorded, the
// row count `lancec scan --where F --count` returns (scalar indices used)
// must equal the count with --no-index and real Lance's count.
//
// usage: node check_cli.mjs --lancec BIN DIR CASESET:DATASET ...
// Exit status: 0 all equal, 1 a mismatch, 2 usage.
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const li = args.indexOf("--lancec");
if (li < 0 || args.length < li + 3) {
  console.error("usage: node check_cli.mjs --lancec BIN DIR CASESET:DATASET ...");
  process.exit(2);
}
const lancec = args[li + 1];
const rest = args.filter((_, i) => i !== li && i !== li + 1);
const dir = rest[0];
let checked = 0, bad = 0;
const count = (ds, filter, version, extra) => {
  const r = spawnSync(lancec, ["scan", ds, "--where", filter, "--count", "--version", String(version), ...extra]);
  return r.status === 0 ? r.stdout.toString().trim() : "error: " + r.stderr.toString().trim();
};
for (const spec of rest.slice(1)) {
  const [set, name] = spec.split(":");
  const ds = path.join(dir, `${name}.lance`);
  for (const line of fs.readFileSync(path.join(dir, `${set}.cases.jsonl`), "utf8").split("\n")) {
    if (!line) continue;
    const c = JSON.parse(line);
    if (!c.rowids) continue;
    const withIx = count(ds, c.filter, c.version, []);
    const without = count(ds, c.filter, c.version, ["--no-index"]);
    checked++;
    if (withIx !== without || withIx !== String(c.rowids.length)) {
      bad++;
      console.log(`FAIL ${set}: ${c.filter}: with index ${withIx}, without ${without}, real Lance ${c.rowids.length}`);
    }
  }
}
console.log(`cli: ${checked} filters counted with and without indices, ${bad} mismatch(es)`);
process.exit(bad ? 1 : 0);
