// `lancec scan` options of the scan engine over every corpus dataset:
// --take (every type and encoding through the page/chunk-level take path)
// against the rows of the plain scan, --count, --where on a column,
// --with-row-addr, --explain, --fragments, and the errors of bad usage.
//
//   node scan_options.mjs --lancec PATH --shared DIR
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR);
let passed = 0, failed = 0;
const check = (cond, label, why) => {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL ${label}: ${why}`);
  }
};
const run = (argv) => {
  const r = spawnSync(lancec, argv, { maxBuffer: 1 << 28 });
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
};
const lines = (s) => (s.length ? s.replace(/\n$/, "").split("\n") : []);

for (const corpus of ["public", "public-2.2"]) {
  const dir = path.join(shared, "corpus", corpus);
  for (const mf of fs.readdirSync(dir).filter((f) => f.endsWith(".meta.json")).sort()) {
    const name = mf.replace(/\.meta\.json$/, "");
    if (name === "fmt_v2_3_next") continue;
    const meta = JSON.parse(fs.readFileSync(path.join(dir, mf), "utf8"));
    const ds = path.join(dir, meta.dataset_dir || `${name}.lance`);
    const label = `${corpus}/${name}`;
    const full = run(["scan", ds, "--format", "jsonl", "--with-row-addr"]);
    if (full.status !== 0) {
      check(false, label, `scan failed: ${full.err.trim()}`);
      continue;
    }
    const rows = lines(full.out);
    const n = rows.length;
    // --count from the manifest and through a scan
    const cnt = run(["scan", ds, "--count"]);
    check(cnt.status === 0 && Number(cnt.out.trim()) === n, `${label} --count`, `${cnt.out.trim()} ${cnt.err.trim()} vs ${n}`);
    if (n === 0) {
      const t = run(["scan", ds, "--take", "0"]);
      check(t.status === 1 && /past the last row/.test(t.err), `${label} --take on empty`, t.err.trim());
      continue;
    }
    // --take: positions in any order, with duplicates, equal the scan's rows
    const offs = [...new Set([0, n - 1, Math.floor(n / 2), Math.min(1, n - 1), Math.floor(n / 3)])];
    offs.push(Math.floor(n / 2));
    const take = run(["scan", ds, "--take", offs.join(","), "--format", "jsonl", "--with-row-addr"]);
    if (take.status !== 0) check(false, `${label} --take`, take.err.trim());
    else {
      const got = lines(take.out);
      const want = offs.map((o) => rows[o]);
      const bad = got.findIndex((l, i) => l !== want[i]);
      check(got.length === want.length && bad < 0, `${label} --take ${offs.join(",")}`,
        `row ${bad}: got ${got[bad]?.slice(0, 200)} want ${want[bad]?.slice(0, 200)}`);
      // the same rows by address
      const addrs = want.map((l) => JSON.parse(l)._rowaddr);
      const ta = run(["scan", ds, "--take-row-addrs", addrs.join(","), "--format", "jsonl", "--with-row-addr"]);
      check(ta.status === 0 && ta.out === take.out, `${label} --take-row-addrs`, ta.err.trim());
    }
    // --where on _rowaddr of the middle row selects exactly it
    const mid = JSON.parse(rows[Math.floor(n / 2)])._rowaddr;
    const w = run(["scan", ds, "--where", `_rowaddr = ${mid}`, "--format", "jsonl", "--with-row-addr"]);
    check(w.status === 0 && w.out === rows[Math.floor(n / 2)] + "\n", `${label} --where _rowaddr`, w.err.trim());
    // --where ... --count: _rowaddr >= the middle one → the second half
    const wc = run(["scan", ds, "--where", `_rowaddr >= ${mid}`, "--count"]);
    check(wc.status === 0 && Number(wc.out.trim()) === n - Math.floor(n / 2), `${label} --where --count`, `${wc.out.trim()} ${wc.err.trim()}`);
    // --fragments: the first fragment's rows, in order
    const fid = Number(BigInt(JSON.parse(rows[0])._rowaddr) >> 32n);
    const fr = run(["scan", ds, "--fragments", String(fid), "--format", "jsonl", "--with-row-addr"]);
    const firstFrag = rows.filter((l) => Number(BigInt(JSON.parse(l)._rowaddr) >> 32n) === fid);
    check(fr.status === 0 && fr.out === firstFrag.join("\n") + "\n", `${label} --fragments ${fid}`, fr.err.trim());
    // --explain
    const ex = run(["scan", ds, "--where", `_rowaddr >= ${mid}`, "--explain"]);
    check(ex.status === 0 && /^filter: _rowaddr >= /m.test(ex.out) && /^fragments: /m.test(ex.out), `${label} --explain`, ex.err.trim());
  }
}

// usage and filter errors
const ds = path.join(shared, "corpus", "public", "deletions_arrow.lance");
const e1 = run(["scan", ds, "--where", "nope = 1"]);
check(e1.status === 1 && /unknown column 'nope'/.test(e1.err) && e1.out === "", "bad column", e1.err.trim());
const e2 = run(["scan", ds, "--where", "id >"]);
check(e2.status === 1 && /position/.test(e2.err), "syntax error names the position", e2.err.trim());
const e3 = run(["scan", ds, "--take", "1", "--where", "id > 1"]);
check(e3.status === 2, "--take with --where is a usage error", e3.err.trim());
const e4 = run(["scan", ds, "--take", "1,x"]);
check(e4.status === 2 && /not a non-negative integer/.test(e4.err), "--take parse error", e4.err.trim());
const e5 = run(["scan", ds, "--take", "99999999"]);
check(e5.status === 1 && /past the last row/.test(e5.err), "--take past the end", e5.err.trim());

const e6 = run(["scan", ds, "--fragments", "77"]);
check(e6.status === 1 && /fragment 77 is not in version/.test(e6.err), "unknown fragment id", e6.err.trim());

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
