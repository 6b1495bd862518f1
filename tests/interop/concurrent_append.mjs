// 8 processes append 1,000 batches in total to one dataset at the same time;
// afterwards every row is present exactly once, as read by lancec and by real
// Lance.
//
//   node concurrent_append.mjs --lancec PATH [--procs 8] [--batches 1000] [--rows 10]
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(url.fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const procs = Number(opt("--procs", 8));
const batches = Number(opt("--batches", 1000));
const rowsPer = Number(opt("--rows", 10));
const require = createRequire(path.join(here, "package.json"));
const lancedb = require("@lancedb/lancedb");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-concurrent-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const ds = path.join(tmp, "t.lance");
let failed = 0, passed = 0;
const check = (cond, label, why) => {
  if (cond) {
    passed++;
    console.log(`ok   ${label}`);
  } else {
    failed++;
    console.log(`FAIL ${label}: ${why}`);
  }
};

// the dataset: created empty with an explicit schema
const empty = path.join(tmp, "empty.csv");
fs.writeFileSync(empty, "id,proc,batch\n");
let r = spawnSync(lancec, ["write", ds, "--input", empty, "--schema", "id:int64 not null,proc:int32,batch:int32"]);
if (r.status !== 0) {
  console.log(`FAIL create: ${r.stderr}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

// each process: a shell loop of `lancec write --mode append` with its share of batches
const t0 = Date.now();
const children = [];
for (let p = 0; p < procs; p++) {
  const mine = [];
  for (let b = p; b < batches; b += procs) mine.push(b);
  const script = mine
    .map((b) => {
      const lines = [];
      for (let k = 0; k < rowsPer; k++) lines.push(JSON.stringify({ id: b * rowsPer + k, proc: p, batch: b }));
      const f = path.join(tmp, `b${b}.jsonl`);
      fs.writeFileSync(f, lines.join("\n") + "\n");
      return `"$LANCEC" write "$DS" --input "${f}" --mode append > /dev/null || { echo "batch ${b} failed" >&2; exit 1; }`;
    })
    .join("\n");
  const sf = path.join(tmp, `p${p}.sh`);
  fs.writeFileSync(sf, "set -u\n" + script + "\n");
  children.push(
    new Promise((resolve) => {
      const c = spawn("bash", [sf], { env: { ...process.env, LANCEC: lancec, DS: ds }, stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      c.stderr.on("data", (d) => (err += d));
      c.on("exit", (code) => resolve({ code, err }));
    }),
  );
}
const results = await Promise.all(children);
const secs = ((Date.now() - t0) / 1000).toFixed(1);
check(results.every((x) => x.code === 0), `${procs} processes appended ${batches} batches (${secs} s)`,
  results.filter((x) => x.code !== 0).map((x) => x.err.trim()).join(" | "));

const want = batches * rowsPer;
// lancec's view
r = spawnSync(lancec, ["scan", ds, "--format", "jsonl", "--columns", "id"], { maxBuffer: 1 << 28 });
const ids = r.stdout.toString().split("\n").filter((l) => l).map((l) => Number(JSON.parse(l).id));
const uniq = new Set(ids);
check(r.status === 0 && ids.length === want && uniq.size === want && ids.every((i) => i >= 0 && i < want),
  `lancec reads ${want} rows, each id once`, `status ${r.status}, ${ids.length} rows, ${uniq.size} distinct ${r.stderr}`);
const v = spawnSync(lancec, ["versions", ds]).stdout.toString().trim().split("\n").length - 1;
check(v === batches + 1, `lancec lists ${batches + 1} versions`, `${v} versions`);

// real Lance's view
try {
  const db = await lancedb.connect(tmp);
  const t = await db.openTable("t");
  const n = await t.countRows();
  const tbl = await t.query().select(["id"]).toArrow();
  const col = tbl.getChild("id");
  const seen = new Set();
  for (let i = 0; i < col.length; i++) seen.add(Number(col.get(i)));
  check(n === want && seen.size === want, `real Lance reads ${want} rows, each id once`, `count ${n}, distinct ${seen.size}`);
  const versions = await t.listVersions();
  check(versions.length === batches + 1, `real Lance lists ${batches + 1} versions`, `${versions.length}`);
} catch (e) {
  check(false, "real Lance opens the dataset", e.message);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
