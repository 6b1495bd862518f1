// Crash test: many appends, each writer killed with SIGKILL at a random
// moment. Afterwards (and after every kill) the dataset opens in lancec and in
// real Lance at the last committed version, with no partial version: every
// committed append added exactly its whole batch.
//
//   node crash_writes.mjs --lancec PATH [--rounds 40] [--rows 20000] [--seed N]
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
const rounds = Number(opt("--rounds", 40));
const rows = Number(opt("--rows", 20000));
let seed = Number(opt("--seed", Date.now() % 100000));
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
console.log(`seed ${opt("--seed", "")}${seed}`);
const require = createRequire(path.join(here, "package.json"));
const lancedb = require("@lancedb/lancedb");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-crash-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
const ds = path.join(tmp, "t.lance");
let passed = 0, failed = 0;
const check = (cond, label, why) => {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL ${label}: ${why}`);
  }
};

// one input file; every append writes all of it (rows ids 0..rows-1, a long string to make writes take time)
const input = path.join(tmp, "batch.jsonl");
const lines = [];
for (let i = 0; i < rows; i++) lines.push(JSON.stringify({ id: i, s: `value ${i} `.repeat(8), x: i * 0.5 }));
fs.writeFileSync(input, lines.join("\n") + "\n");
let r = spawnSync(lancec, ["write", ds, "--input", input]);
if (r.status !== 0) {
  console.log(`FAIL create: ${r.stderr}`);
  process.exit(1);
}

function lancecState() {
  const v = spawnSync(lancec, ["versions", ds]);
  const i = spawnSync(lancec, ["info", ds]);
  if (v.status !== 0 || i.status !== 0) return { error: (v.stderr.toString() + i.stderr.toString()).trim() };
  const vl = v.stdout.toString().trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
  const rowsNow = Number((i.stdout.toString().match(/^rows: (\d+)/m) || [])[1]);
  return { versions: vl.length, latest: Number(vl[vl.length - 1][0]), rows: rowsNow, list: vl };
}

let killed = 0, completed = 0;
for (let k = 0; k < rounds; k++) {
  const delay = Math.floor(rnd() * 400);
  const res = await new Promise((resolve) => {
    const c = spawn(lancec, ["write", ds, "--input", input, "--mode", "append"], { stdio: "ignore" });
    const timer = setTimeout(() => c.kill("SIGKILL"), delay);
    c.on("exit", (code, sig) => {
      clearTimeout(timer);
      resolve({ code, sig });
    });
  });
  if (res.sig === "SIGKILL") killed++;
  else if (res.code === 0) completed++;
  else check(false, `round ${k}`, `writer failed with status ${res.code}`);
  const st = lancecState();
  check(!st.error, `round ${k}: lancec opens the dataset`, st.error);
  if (st.error) break;
  // no partial version: every version holds a whole number of batches, versions are 1..latest
  check(st.rows % rows === 0, `round ${k}: whole batches only`, `${st.rows} rows`);
  check(st.list.every((x, i) => Number(x[0]) === i + 1), `round ${k}: versions 1..${st.latest} without gaps`, JSON.stringify(st.list.map((x) => x[0])));
  check(st.rows === rows * st.latest, `round ${k}: version ${st.latest} has ${st.latest} batches`, `${st.rows} rows`);
  // lancec can read every row of the latest version
  const s = spawnSync(lancec, ["scan", ds, "--format", "csv", "--columns", "id"], { maxBuffer: 1 << 28 });
  check(s.status === 0 && s.stdout.toString().split("\n").filter((l) => l).length === st.rows + 1, `round ${k}: lancec scans all rows`, s.stderr.toString());
}
const st = lancecState();
console.log(`${rounds} writers: ${killed} killed, ${completed} completed; dataset at version ${st.latest} with ${st.rows} rows`);
check(killed > 0, "some writers were killed mid-write", "none was");
try {
  const db = await lancedb.connect(tmp);
  const t = await db.openTable("t");
  const n = await t.countRows();
  const versions = await t.listVersions();
  check(n === st.rows, "real Lance counts the same rows", `${n} vs ${st.rows}`);
  check(versions.length === st.versions, "real Lance lists the same versions", `${versions.length} vs ${st.versions}`);
  const tbl = await t.query().select(["id"]).toArrow();
  check(tbl.numRows === st.rows, "real Lance scans every row", `${tbl.numRows}`);
} catch (e) {
  check(false, "real Lance opens the dataset", e.message);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
