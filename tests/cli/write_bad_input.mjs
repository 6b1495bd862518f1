// Bad input to `lancec write` / `lancec delete` gives a clear one-line error
// and writes nothing (no new version, no new data files).
//
//   node write_bad_input.mjs --lancec PATH
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-wbad-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
let passed = 0, failed = 0;

const files = (ds, sub) => (fs.existsSync(path.join(ds, sub)) ? fs.readdirSync(path.join(ds, sub)).sort() : []);
const snapshot = (ds) => JSON.stringify(["_versions", "data", "_deletions", "_transactions"].map((s) => files(ds, s)));
const put = (name, text) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};

function expectError(label, argv, expect, ds) {
  const before = ds && fs.existsSync(ds) ? snapshot(ds) : null;
  const r = spawnSync(lancec, argv, { timeout: 60000 });
  const lines = r.stderr.toString().trim().split("\n").filter((l) => l);
  let why = null;
  if (r.signal) why = `killed by ${r.signal}`;
  else if (r.status === 0) why = "exit status 0 (expected an error)";
  else if (lines.length !== 1 || !/^lancec: /.test(lines[0])) why = `expected one 'lancec: ' line on stderr, got: ${r.stderr}`;
  else if (expect && !expect.test(lines[0])) why = `message does not match ${expect}: ${lines[0]}`;
  else if (before !== null && snapshot(ds) !== before) why = `files changed: ${before} -> ${snapshot(ds)}`;
  if (why) {
    failed++;
    console.log(`FAIL ${label}: ${why}`);
  } else {
    passed++;
    console.log(`ok   ${label}: ${lines[0]}`);
  }
}
function mustWork(argv) {
  const r = spawnSync(lancec, argv);
  if (r.status !== 0) {
    console.log(`FAIL setup ${argv.join(" ")}: ${r.stderr}`);
    failed++;
  }
}

const ds = path.join(tmp, "t.lance");
mustWork(["write", ds, "--input", put("a.csv", "id,name,score\n1,a,0.5\n2,b,1.5\n"), "--schema", "id:int64 not null,name:string,score:double"]);

expectError("create on an existing dataset", ["write", ds, "--input", put("b.csv", "id,name,score\n3,c,2.5\n")], /exist/i, ds);
expectError("append with a column of another type", ["write", ds, "--mode", "append", "--input", put("c.jsonl", '{"id": [1, 2], "name": "x", "score": 1.0}\n')], /'?id'?.*list.*int64|int64.*list/i, ds);
expectError("append with a string that is not a number", ["write", ds, "--mode", "append", "--input", put("c2.jsonl", '{"id": 5, "name": "x", "score": "high"}\n'), "--input-format", "jsonl"], /score/, ds);
expectError("append with an unknown column", ["write", ds, "--mode", "append", "--input", put("d.csv", "id,name,score,extra\n3,c,2.5,9\n")], /extra/, ds);
expectError("null into a non-nullable column", ["write", ds, "--mode", "append", "--input", put("e.jsonl", '{"id": null, "name": "x", "score": 1.0}\n')], /id/, ds);
expectError("malformed CSV line (line number)", ["write", ds, "--mode", "append", "--input", put("f.csv", "id,name,score\n3,c,2.5\n4,d\n5,e,1.0\n")], /line 3/, ds);
expectError("unknown type name in --schema", ["write", path.join(tmp, "u.lance"), "--input", put("g.csv", "id\n1\n"), "--schema", "id:int65"], /int65/);
expectError("append to a missing dataset", ["write", path.join(tmp, "missing.lance"), "--mode", "append", "--input", put("h.csv", "id\n1\n")], /missing|not found|exist/i);
expectError("delete with a bad filter", ["delete", ds, "--where", "id >>> 3"], /position|filter/i, ds);
expectError("delete with an unknown column", ["delete", ds, "--where", "nope = 3"], /nope/, ds);
expectError("bad --mode", ["write", ds, "--mode", "upsert", "--input", put("i.csv", "id\n1\n")], /mode/, ds);
expectError("missing input file", ["write", ds, "--mode", "append", "--input", path.join(tmp, "nope.csv")], /nope\.csv/, ds);
expectError("bad --data-storage-version", ["write", path.join(tmp, "v.lance"), "--input", put("j.csv", "id\n1\n"), "--data-storage-version", "9.9"], /9\.9/);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
