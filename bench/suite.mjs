#!/usr/bin/env node
// The benchmark suite: lancec against real Lance, same datasets, same run.
// Started by bench/run.sh (see bench/README.md); options:
//
//   --rows N          rows of the benchmark table (default 5000000)
//   --reps N          timed repetitions per workload, engine and thread count (default 3),
//                     after one untimed run that also checks the results
//   --cold-reps N     cold repetitions of the workloads marked cold (default 2; 0: none)
//   --threads "1 2"   thread counts (lancec num_threads; real Lance LANCE_CPU_THREADS and
//                     LANCE_IO_THREADS)
//   --write-rows N    rows of the write (create) workload (default 500000)
//   --append B,R      append workload: B appends of R rows (default 100,1000)
//   --formats "2.2 2.0"  data storage versions of the scanned tables (2.2 first: the main one)
//   --data DIR        cache of generated tables (default $LANCEC_BENCH_DATA or /tmp/lancec-bench-data)
//   --build DIR       lancec build folder (default $LANCEC_BUILD_DIR or ./build)
//   --out FILE        write the report there (default bench/RESULTS.md; "-" for none)
//   --only REGEX      run only the workloads whose id matches
//   --smoke           tiny sizes, checks only (what tests/bench/test_bench_smoke.sh runs)
//
// Exit status: 0 all results equal on both sides, 1 a result differed or a run
// failed, 2 usage / missing build.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { renderText, renderMarkdown } from "./report.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const now = () => Number(process.hrtime.bigint()) / 1e9;

// ---------------------------------------------------------------------------
// options
// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const a = {
    rows: 5000000, reps: 3, coldReps: 2, threads: [1, 2], writeRows: 500000, appendBatches: 100, appendRows: 1000,
    formats: ["2.2", "2.0"], data: process.env.LANCEC_BENCH_DATA || "/tmp/lancec-bench-data",
    build: process.env.LANCEC_BUILD_DIR || path.join(ROOT, "build"), out: path.join(HERE, "RESULTS.md"),
    only: null, smoke: false,
  };
  const set = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => { if (i + 1 >= argv.length) usage(`${k} needs a value`); set[k] = true; return argv[++i]; };
    if (k === "--rows") a.rows = Number(v());
    else if (k === "--reps") a.reps = Number(v());
    else if (k === "--cold-reps") a.coldReps = Number(v());
    else if (k === "--threads") a.threads = v().split(/[ ,]+/).filter(Boolean).map(Number);
    else if (k === "--write-rows") a.writeRows = Number(v());
    else if (k === "--append") { const [b, r] = v().split(",").map(Number); a.appendBatches = b; a.appendRows = r; }
    else if (k === "--formats") a.formats = v().split(/[ ,]+/).filter(Boolean);
    else if (k === "--data") a.data = v();
    else if (k === "--build") a.build = v();
    else if (k === "--out") a.out = v();
    else if (k === "--only") a.only = new RegExp(v());
    else if (k === "--smoke") a.smoke = true;
    else if (k === "-h" || k === "--help") usage(null);
    else usage(`unknown argument ${k}`);
  }
  if (a.smoke) {
    // tiny and quick; explicit options still win
    if (!set["--rows"]) a.rows = 20000;
    if (!set["--reps"]) a.reps = 1;
    if (!set["--cold-reps"]) a.coldReps = 1;
    if (!set["--threads"]) a.threads = [1, 2];
    if (!set["--write-rows"]) a.writeRows = 5000;
    if (!set["--append"]) { a.appendBatches = 3; a.appendRows = 100; }
    if (!set["--out"]) a.out = "-";
  }
  if (!(a.rows >= 1000) || !(a.reps >= 1) || !(a.coldReps >= 0) || !a.threads.length || a.threads.some((t) => !(t >= 1)) ||
      !(a.writeRows >= 1) || !(a.appendBatches >= 1) || !(a.appendRows >= 1) || a.formats[0] !== "2.2")
    usage("bad option value (rows >= 1000, reps >= 1, threads >= 1, the first format must be 2.2)");
  return a;
}

function usage(msg) {
  const text = fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 21).map((l) => l.replace(/^\/\/ ?/, "")).join("\n");
  if (msg) { console.error(`suite: ${msg}\n${text}`); process.exit(2); }
  console.log(text);
  process.exit(0);
}

const log = (...m) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m.join(" ")}\n`);

// ---------------------------------------------------------------------------
// drivers: long-lived processes answering one JSON line per request
// ---------------------------------------------------------------------------

class Driver {
  constructor(name, cmd, args, env, logFile) {
    this.name = name;
    this.proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    this.waiting = [];
    this.exited = false;
    const err = fs.createWriteStream(logFile, { flags: "a" });
    this.proc.stderr.pipe(err);
    readline.createInterface({ input: this.proc.stdout }).on("line", (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      let ans;
      try { ans = JSON.parse(line); } catch { ans = { ok: false, error: `not JSON: ${line.slice(0, 300)}` }; }
      w.resolve(ans);
    });
    this.proc.on("exit", (code, sig) => {
      this.exited = true;
      for (const w of this.waiting.splice(0)) w.resolve({ ok: false, error: `${name} exited (${code ?? sig}); see ${logFile}` });
    });
  }

  // obj: { key: value } -> tab-separated key=value line; resolves to the answer object
  request(obj, timeoutS = 900) {
    if (this.exited) return Promise.resolve({ ok: false, error: `${this.name} is not running` });
    const line = Object.entries(obj).filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k}=${String(v).replace(/[\t\n]/g, " ")}`).join("\t");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.proc.kill("SIGKILL");
        resolve({ ok: false, error: `${this.name}: no answer within ${timeoutS} s (killed): ${line.slice(0, 200)}`, timeout: true });
      }, timeoutS * 1000);
      this.waiting.push({ resolve: (a) => { clearTimeout(timer); resolve(a); } });
      this.proc.stdin.write(line + "\n");
    });
  }

  async stop() {
    if (this.exited) return;
    const done = new Promise((r) => this.proc.on("exit", r));
    this.proc.stdin.end();
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 20000);
    await done;
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null; };

function canon(v) {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + canon(v[k])).join(",") + "}";
}

function cpuSnapshot() {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((x, y) => x + y, 0);
  const idle = line[3] + (line[4] || 0);
  const self = fs.readFileSync("/proc/self/stat", "utf8");
  const f = self.slice(self.lastIndexOf(")") + 2).split(" ").map(Number);
  // fields 14..17 (utime stime cutime cstime) are f[11..14] after the command name
  const mine = f[11] + f[12] + f[13] + f[14];
  return { busy: total - idle, total, mine, load: os.loadavg(), t: now() };
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  return { code: r.status, out: (r.stdout || "").trim(), err: (r.stderr || "").trim() };
}

function machineInfo(cfg) {
  const cpu = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [, os.cpus()[0]?.model || "?"])[1];
  const pkg = (p) => { try { return JSON.parse(fs.readFileSync(path.join(ROOT, "tests/interop/node_modules", p, "package.json"), "utf8")).version; } catch { return "?"; } };
  const git = sh("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).out || "?";
  const dirty = sh("git", ["-C", ROOT, "status", "--porcelain", "--", "src", "include", "bench"]).out.split("\n").filter(Boolean).length;
  const df = sh("df", ["-hT", cfg.data]).out.split("\n")[1]?.split(/\s+/) || [];
  return {
    cpu, cores: os.cpus().length, memory_gib: Math.round(os.totalmem() / 2 ** 30 * 10) / 10, kernel: `${os.type()} ${os.release()}`,
    node: process.version, lancedb: pkg("@lancedb/lancedb"), apache_arrow: pkg("apache-arrow"),
    lancec_commit: git + (dirty ? ` (+${dirty} uncommitted changes in src/ include/ bench/)` : ""),
    data_fs: df.length ? `${df[1]} on ${df[0]}` : "?", data_dir: cfg.data,
  };
}

// ---------------------------------------------------------------------------
// datasets
// ---------------------------------------------------------------------------

function tableName(rows, fmt) { return `bench_${rows}_${fmt.replace(/\./g, "_")}`; }

// The benchmark table, written by real Lance (bench/gen_bench_data.mjs), cached with a stamp.
function ensureGenerated(cfg, fmt) {
  const name = tableName(cfg.rows, fmt);
  const dir = path.join(cfg.data, name + ".lance");
  const stamp = path.join(cfg.data, name + ".json");
  if (fs.existsSync(stamp) && fs.existsSync(dir)) return { dir, stamp: JSON.parse(fs.readFileSync(stamp, "utf8")), cached: true };
  log(`data: generating ${cfg.rows} rows in format ${fmt} with real Lance -> ${dir}`);
  fs.mkdirSync(cfg.data, { recursive: true });
  fs.rmSync(stamp, { force: true });
  const r = sh(process.execPath, [path.join(HERE, "gen_bench_data.mjs"), "--rows", String(cfg.rows), "--format", fmt, "--out", cfg.data]);
  if (r.code !== 0) throw new Error(`gen_bench_data.mjs failed: ${r.err.split("\n").filter((l) => !/WARN|EBADENGINE/.test(l)).slice(-5).join("\n")}`);
  fs.writeFileSync(stamp, r.out.split("\n").pop() + "\n");
  return { dir, stamp: JSON.parse(r.out.split("\n").pop()), cached: false };
}

// ---------------------------------------------------------------------------
// workloads
// ---------------------------------------------------------------------------

// Each workload runs on both engines at every thread count. ds names a dataset
// of the run (D22: the table real Lance wrote, format 2.2; L22: the same rows
// written by lancec; D20 / L20: format 2.0; IDX: D22 plus a BTree index on id
// built by real Lance). cold: also timed after evicting the dataset's files
// from the page cache.
function workloads(cfg) {
  const N = cfg.rows;
  const a = Math.floor(N / 2), w = Math.max(1, Math.floor(N / 1000));
  const sorted = `id >= ${a} AND id < ${a + w}`;
  const list = [
    { id: "scan_all", label: "full scan, all columns", op: "scan", ds: "D22", cols: "*", cold: true, heavy: true },
    { id: "scan_all_by_lancec", label: "full scan, all columns, table written by lancec", op: "scan", ds: "L22", cols: "*", heavy: true },
    { id: "scan_numeric", label: "full scan, numeric (id int64, x float64)", op: "scan", ds: "D22", cols: "id,x" },
    { id: "scan_strings", label: "full scan, strings (s utf8)", op: "scan", ds: "D22", cols: "s" },
    { id: "scan_vectors", label: "full scan, 128-d vectors (vec)", op: "scan", ds: "D22", cols: "vec", heavy: true },
    { id: "scan_projected", label: "projected scan (id, s)", op: "scan", ds: "D22", cols: "id,s" },
    ...(cfg.formats.includes("2.0") ? [
      { id: "scan_all_v2_0", label: "full scan, all columns, format 2.0", op: "scan", ds: "D20", cols: "*", heavy: true },
      { id: "scan_all_v2_0_by_lancec", label: "full scan, all columns, format 2.0, written by lancec", op: "scan", ds: "L20", cols: "*", heavy: true },
    ] : []),
    { id: "filter_sorted", label: `filter ${sorted} (0.1 %, sorted column), all columns`, op: "scan", ds: "D22", cols: "*", filter: sorted, cold: true },
    { id: "filter_sorted_btree", label: "the same filter, BTree index on id (built by real Lance)", op: "scan", ds: "IDX", cols: "*", filter: sorted },
    { id: "filter_selective", label: "filter x > 700 (about 0.1 %), all columns", op: "scan", ds: "D22", cols: "*", filter: "x > 700" },
    { id: "filter_broad", label: "filter x > 0 (about 50 %), columns id, x, s", op: "scan", ds: "D22", cols: "id,x,s", filter: "x > 0" },
    { id: "count_filter", label: "count rows where x > 0", op: "count", ds: "D22", filter: "x > 0" },
    { id: "take_1", label: "take 1 row (offset), all columns", op: "take", ds: "D22", kind: "offsets", n: 1 },
    { id: "take_100", label: "take 100 random rows (offsets)", op: "take", ds: "D22", kind: "offsets", n: 100, cold: true },
    { id: "take_1000", label: "take 1,000 random rows (offsets)", op: "take", ds: "D22", kind: "offsets", n: 1000 },
    { id: "take_1000_rowids", label: "take 1,000 random rows (row ids)", op: "take", ds: "D22", kind: "rowids", n: 1000 },
    { id: "take_10000", label: "take 10,000 random rows (offsets)", op: "take", ds: "D22", kind: "offsets", n: 10000 },
    { id: "write", label: `write (create) ${cfg.writeRows.toLocaleString("en-US")} rows, all columns`, op: "write", rows: Math.min(cfg.writeRows, N) },
    { id: "append", label: `append ${cfg.appendBatches} batches of ${cfg.appendRows} rows`, op: "append", batches: cfg.appendBatches, batch_rows: cfg.appendRows },
    // Later (issue 4): vector search and compaction slot in here, e.g.
    //   { id: "search_flat", op: "search", ds: "D22", k: 10, ... }     flat (brute-force) nearest neighbours
    //   { id: "search_ivf_pq", op: "search", ds: "IVFPQ", ... }        with an IVF_PQ index built by real Lance
    //   { id: "compact", op: "compact", ... }                          compaction of the append workload's table
    // with the op implemented in lancec_bench.c and lance_bench.mjs under the same name.
  ];
  return list.filter((x) => !cfg.only || cfg.only.test(x.id));
}

// ---------------------------------------------------------------------------
// running
// ---------------------------------------------------------------------------

class Suite {
  constructor(cfg) {
    this.cfg = cfg;
    this.run = path.join(cfg.data, `run_${cfg.rows}`);
    this.lancecBench = path.join(cfg.build, "bench", "lancec_bench");
    this.physicalBin = path.join(cfg.build, "bench", "physical");
    this.lancecCli = process.env.LANCEC || path.join(cfg.build, "lancec");
    this.results = { config: { ...cfg, only: cfg.only ? String(cfg.only) : null }, workloads: [], failures: [], notes: [] };
    this.ds = {};
  }

  lancecDriver(T) {
    return new Driver(`lancec_bench(threads ${T})`, this.lancecBench, ["serve"], {}, path.join(this.run, "lancec_bench.log"));
  }

  lanceDriver(T, ioThreads = T) {
    return new Driver(`lance_bench.mjs(threads ${T})`, process.execPath, [path.join(HERE, "lance_bench.mjs"), "serve"],
      { LANCE_CPU_THREADS: String(T), LANCE_IO_THREADS: String(ioThreads) }, path.join(this.run, "lance_bench.log"));
  }

  fail(msg) { log("FAIL: " + msg); this.results.failures.push(msg); }

  async prepare() {
    const cfg = this.cfg;
    fs.mkdirSync(this.run, { recursive: true });
    for (const f of ["lancec_bench.log", "lance_bench.log"]) fs.rmSync(path.join(this.run, f), { force: true });
    const g22 = ensureGenerated(cfg, "2.2");
    this.ds.D22 = g22.dir;
    this.results.generated = { "2.2": g22.stamp };
    if (cfg.formats.includes("2.0")) {
      const g20 = ensureGenerated(cfg, "2.0");
      this.ds.D20 = g20.dir;
      this.results.generated["2.0"] = g20.stamp;
    }
    const L = this.lancecDriver(Math.max(...cfg.threads));
    const ping = await L.request({ op: "ping" });
    if (!ping.ok) throw new Error(`lancec_bench does not start: ${ping.error}`);
    this.results.lancec_version = ping.lancec;
    // the other engine's copies: lancec writes the table real Lance wrote, streamed from a scan
    for (const [src, dst, fmt] of [["D22", "L22", "2.2"], ["D20", "L20", "2.0"]]) {
      if (!this.ds[src]) continue;
      const out = path.join(this.run, `lancec_${cfg.rows}_${fmt.replace(".", "_")}.lance`);
      log(`data: lancec writes ${path.basename(out)} (format ${fmt})`);
      const r = await L.request({ op: "copy", src: this.ds[src], out, fmt });
      if (!r.ok) { this.fail(`lancec copy to format ${fmt}: ${r.error}`); continue; }
      this.ds[dst] = out;
      this.results.notes.push(`lancec wrote ${path.basename(out)} (${r.rows} rows, ${r.bytes_on_disk} bytes) in ${r.seconds.toFixed(2)} s`);
    }
    await L.stop();
    // D22 with a BTree index on id (real Lance builds it); cached next to D22
    const idx = path.join(cfg.data, `${tableName(cfg.rows, "2.2")}_btree_id.lance`);
    const idxStamp = idx.replace(/\.lance$/, ".json");
    const fresh = fs.existsSync(idxStamp) && fs.statSync(idxStamp).mtimeMs >= fs.statSync(path.join(cfg.data, tableName(cfg.rows, "2.2") + ".json")).mtimeMs;
    if (!fresh) {
      log(`data: real Lance builds a BTree index on id in ${path.basename(idx)}`);
      const R = this.lanceDriver(Math.max(...cfg.threads));
      const r = await R.request({ op: "index", src: this.ds.D22, out: idx, col: "id" });
      await R.stop();
      if (!r.ok) this.fail(`BTree index: ${r.error}`);
      else fs.writeFileSync(idxStamp, JSON.stringify(r) + "\n");
    }
    if (fs.existsSync(idxStamp)) this.ds.IDX = idx;
  }

  physical() {
    const cfg = this.cfg;
    const args = ["--dir", this.ds.D22, "--tmp", this.run];
    if (cfg.smoke) args.push("--memcpy-mb", "32", "--cold-mb", "16", "--sample-mb", "4");
    log("physical: memcpy, page-cache read, cold read, write, zstd / lz4");
    const r = sh(this.physicalBin, args);
    if (r.code !== 0) { this.fail(`physical: ${r.err}`); return; }
    this.results.physical = JSON.parse(r.out);
  }

  // the request one engine gets for workload w (its own output folder for writes)
  requestFor(w, engine, T) {
    const q = { op: w.op, threads: T };
    if (w.ds) q.ds = this.ds[w.ds];
    for (const k of ["cols", "filter", "kind", "n", "rows", "batches", "batch_rows"]) if (w[k] !== undefined) q[k] = w[k];
    if (w.op === "write" || w.op === "append") {
      q.src = this.ds.D22;
      q.out = path.join(this.run, `${w.op}_${engine}.lance`);
      q.fmt = "2.2";
    }
    return q;
  }

  async runWorkload(w, T, L, R) {
    const cfg = this.cfg;
    const res = { id: w.id, label: w.label, op: w.op, ds: w.ds || null, threads: T, lancec: { secs: [], io_bytes: [], io_calls: [] }, lance: { secs: [] }, check: null, errors: [] };
    if (w.ds && !this.ds[w.ds]) { res.errors.push(`dataset ${w.ds} is missing`); return res; }
    const qa = this.requestFor(w, "lancec", T), qb = this.requestFor(w, "lance", T);
    const bad = (who, a) => { res.errors.push(`${who}: ${a.error}`); this.fail(`${w.id} (threads ${T}) ${who}: ${a.error}`); };
    const record = (who, a, into) => {
      if (!a.ok) { bad(who, a); return false; }
      into.secs.push(a.seconds);
      if (who === "lancec" && a.io_bytes !== undefined) { into.io_bytes.push(a.io_bytes); into.io_calls.push(a.io_calls); }
      if (a.bytes_on_disk !== undefined) into.bytes_on_disk = a.bytes_on_disk;
      if (a.input_bytes !== undefined) into.input_bytes = a.input_bytes;
      if (a.appends !== undefined) into.appends = a.appends;
      into.rows = a.rows;
      return true;
    };
    const writes = w.op === "write" || w.op === "append";
    let okA = true, okB = true;
    if (!writes) {
      // one untimed run each, with the checksum
      const a = await L.request({ ...qa, check: 1 }), b = await R.request({ ...qb, check: 1 });
      if (!a.ok) { bad("lancec", a); okA = false; }
      if (!b.ok) { bad("lance", b); okB = false; }
      if (okA && okB) {
        res.rows = a.rows;
        res.check = canon(a.checksum) === canon(b.checksum) ? "equal" : "DIFFERENT";
        res.checksum = a.checksum;
        if (res.check !== "equal") {
          res.checksum_lance = b.checksum;
          this.fail(`${w.id} (threads ${T}): checksums differ: lancec ${canon(a.checksum)} real Lance ${canon(b.checksum)}`);
        }
      }
    }
    // timed runs, alternating which engine goes first
    for (let i = 0; i < cfg.reps; i++) {
      const order = i % 2 === 0 ? ["lancec", "lance"] : ["lance", "lancec"];
      for (const who of order) {
        // writes start from a clean page cache: lancec fsyncs what it writes, and must not pay
        // for the dirty pages of an earlier run
        if (writes) await L.request({ op: "sync", ds: this.run });
        if (who === "lancec" && okA) okA = record("lancec", await L.request(qa), res.lancec);
        if (who === "lance" && okB) okB = record("lance", await R.request(qb), res.lance);
      }
    }
    if (writes && okA && okB) await this.crossCheck(w, res, L, R, qa, qb);
    // cold runs: each engine's run right after evicting the dataset's files
    if (w.cold && cfg.coldReps > 0 && okA && okB) {
      res.cold = { lancec: { secs: [], io_bytes: [], io_calls: [] }, lance: { secs: [] }, drops: [] };
      for (let i = 0; i < cfg.coldReps; i++) {
        for (const who of i % 2 === 0 ? ["lancec", "lance"] : ["lance", "lancec"]) {
          const d = await L.request({ op: "drop", ds: qa.ds });
          if (d.ok) res.cold.drops.push({ method: d.method, resident_after: d.resident_after, bytes: d.bytes });
          if (who === "lancec") record("lancec", await L.request(qa), res.cold.lancec);
          else record("lance", await R.request(qb), res.cold.lance);
        }
      }
    }
    return res;
  }

  // after the write workloads: each engine reads what the other wrote; both must equal the source rows
  async crossCheck(w, res, L, R, qa, qb) {
    const rows = w.op === "write" ? w.rows : (w.batches + 1) * w.batch_rows;
    const key = `src:${rows}`;
    if (!this[key]) {
      const s = await L.request({ op: "scan", ds: this.ds.D22, limit: rows, check: 1 });
      this[key] = s.ok ? s.checksum : null;
    }
    const want = this[key];
    const a = await L.request({ op: "scan", ds: qb.out, check: 1, fresh: 1 }); // lancec reads real Lance's table
    const b = await R.request({ op: "scan", ds: qa.out, check: 1, fresh: 1 }); // real Lance reads lancec's table
    if (!a.ok) res.errors.push(`lancec reading real Lance's output: ${a.error}`);
    if (!b.ok) res.errors.push(`real Lance reading lancec's output: ${b.error}`);
    if (!want || !a.ok || !b.ok) { res.check = "ERROR"; this.fail(`${w.id}: cross-check failed: ${res.errors.join("; ")}`); return; }
    res.rows = rows;
    res.checksum = want;
    const same = canon(a.checksum) === canon(want) && canon(b.checksum) === canon(want);
    res.check = same ? "equal" : "DIFFERENT";
    if (!same) this.fail(`${w.id}: written tables differ from the source: lancec read ${canon(a.checksum)}, real Lance read ${canon(b.checksum)}, source ${canon(want)}`);
  }

  // issue 5a: bytes read for a selective filter on the sorted column, without and with a BTree index
  async ioStudy(L, R) {
    const N = this.cfg.rows, a = Math.floor(N / 2), w = Math.max(1, Math.floor(N / 1000));
    const filter = `id >= ${a} AND id < ${a + w}`;
    const cases = [
      { id: "full_id", label: "full scan of column id", ds: "D22", cols: "id" },
      { id: "filter_id", label: `${filter}, column id`, ds: "D22", cols: "id", filter },
      { id: "filter_all", label: `${filter}, all columns`, ds: "D22", cols: "*", filter },
      { id: "btree_filter_id", label: `${filter}, column id, BTree index on id`, ds: "IDX", cols: "id", filter },
      { id: "btree_filter_all", label: `${filter}, all columns, BTree index on id`, ds: "IDX", cols: "*", filter },
    ];
    const out = [];
    for (const c of cases) {
      if (!this.ds[c.ds]) continue;
      const q = { op: "io", ds: this.ds[c.ds], cols: c.cols, filter: c.filter };
      const a2 = await L.request(q), b2 = await R.request(q);
      out.push({
        ...c, lancec: a2.ok ? { bytes: a2.io_bytes, calls: a2.io_calls, rows: a2.rows, plan: a2.plan } : { error: a2.error },
        lance: b2.ok ? { bytes: b2.io_bytes, calls: b2.io_calls, plan: b2.plan } : { error: b2.error },
      });
    }
    this.results.io_study = out;
  }

  // one whole-command line: process start to exit, `count where x > 0`
  wholeCommand(T) {
    const filter = "x > 0";
    const script = `const lancedb=require(${JSON.stringify(path.join(ROOT, "tests/interop/node_modules/@lancedb/lancedb"))});` +
      `(async()=>{const p=process.argv[1];const db=await lancedb.connect(require("path").dirname(p));` +
      `const t=await db.openTable(require("path").basename(p).slice(0,-6));console.log(await t.countRows(process.argv[2]));})()`;
    const lancecArgs = ["scan", this.ds.D22, "--where", filter, "--count", "--threads", String(T)];
    const res = { label: `whole command: count rows where ${filter} (process start to exit)`, threads: T, lancec: { secs: [] }, lance: { secs: [] },
      lancec_cmd: `lancec ${lancecArgs.join(" ")}`, lance_cmd: "node -e '<connect, openTable, countRows(filter)>'" };
    const env = { ...process.env, LANCE_CPU_THREADS: String(T), LANCE_IO_THREADS: String(T) };
    let counts = new Set();
    for (let i = 0; i <= this.cfg.reps; i++) { // run 0 is the untimed warm-up
      for (const who of i % 2 === 0 ? ["lancec", "lance"] : ["lance", "lancec"]) {
        const t0 = now();
        const r = who === "lancec" ? sh(this.lancecCli, lancecArgs) : sh(process.execPath, ["-e", script, this.ds.D22, filter], { env });
        const secs = now() - t0;
        if (r.code !== 0) { this.fail(`whole command (${who}): ${r.err.slice(0, 300)}`); return; }
        counts.add(r.out.trim().split("\n").pop().trim());
        if (i > 0) res[who].secs.push(secs);
      }
    }
    res.check = counts.size === 1 ? "equal" : "DIFFERENT";
    res.rows = Number([...counts][0]);
    if (counts.size !== 1) this.fail(`whole command: counts differ: ${[...counts].join(" vs ")}`);
    this.results.whole_command = res;
  }

  async main() {
    const cfg = this.cfg;
    const cpu0 = cpuSnapshot();
    this.results.started = new Date().toISOString();
    this.results.machine = machineInfo(cfg);
    await this.prepare();
    this.physical();
    const list = workloads(cfg);
    for (const T of cfg.threads) {
      log(`threads ${T}: starting both drivers`);
      const L = this.lancecDriver(T);
      let R = this.lanceDriver(T);
      let Rw = null; // real Lance for writes at LANCE_IO_THREADS=1 (see below)
      const p = await R.request({ op: "ping" });
      this.results.lance_threads = p.threads;
      for (const w of list) {
        const t0 = now();
        let eng = R;
        if ((w.op === "write" || w.op === "append") && T < 2) {
          // lancedb 0.39 hangs in createTable / add with LANCE_IO_THREADS=1 (seen every time on this
          // machine): writes run with LANCE_CPU_THREADS=T, LANCE_IO_THREADS=2.
          if (!Rw) Rw = this.lanceDriver(T, 2);
          eng = Rw;
          if (!this.results.notes.some((n) => n.includes("LANCE_IO_THREADS=2")))
            this.results.notes.push("real Lance's writes at 1 thread ran with LANCE_IO_THREADS=2: lancedb 0.39 hangs in createTable/add when LANCE_IO_THREADS=1");
        }
        const r = await this.runWorkload(w, T, L, eng);
        this.results.workloads.push(r);
        log(`threads ${T}: ${w.id}: lancec ${fmt(median(r.lancec.secs))}, real Lance ${fmt(median(r.lance.secs))}, check ${r.check} (${(now() - t0).toFixed(1)} s)`);
        // a driver killed by a timeout is restarted for the next workload
        if (R.exited) R = this.lanceDriver(T);
      }
      if (T === Math.max(...cfg.threads) && !cfg.only) await this.ioStudy(L, R);
      await L.stop();
      await R.stop();
      if (Rw) await Rw.stop();
    }
    if (this.ds.D22 && !cfg.only) this.wholeCommand(Math.max(...cfg.threads));
    const cpu1 = cpuSnapshot();
    this.results.finished = new Date().toISOString();
    const ticks = 100; // USER_HZ
    this.results.cpu = {
      wall_s: cpu1.t - cpu0.t,
      machine_busy_s: (cpu1.busy - cpu0.busy) / ticks,
      suite_cpu_s: (cpu1.mine - cpu0.mine) / ticks,
      load_start: cpu0.load, load_end: cpu1.load,
    };
    this.results.cpu.others_cpu_s = Math.max(0, this.results.cpu.machine_busy_s - this.results.cpu.suite_cpu_s);
    fs.writeFileSync(path.join(this.run, "results.json"), JSON.stringify(this.results, null, 1) + "\n");
    process.stdout.write(renderText(this.results));
    if (cfg.out !== "-") {
      fs.writeFileSync(cfg.out, renderMarkdown(this.results));
      log(`wrote ${cfg.out} (raw results: ${path.join(this.run, "results.json")})`);
    }
    return this.results.failures.length ? 1 : 0;
  }
}

function fmt(s) { return s === null || s === undefined ? "-" : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`; }

async function main() {
  const cfg = parseArgs(process.argv.slice(2));
  for (const bin of ["lancec_bench", "physical"]) {
    if (!fs.existsSync(path.join(cfg.build, "bench", bin))) {
      console.error(`suite: ${path.join(cfg.build, "bench", bin)} is missing: build the project (cmake --build ${cfg.build}) or pass --build`);
      process.exit(2);
    }
  }
  if (!fs.existsSync(path.join(ROOT, "tests/interop/node_modules/@lancedb/lancedb"))) {
    console.error("suite: tests/interop/node_modules is missing: run scripts/bootstrap.sh (or npm ci in tests/interop)");
    process.exit(2);
  }
  const s = new Suite(cfg);
  process.exit(await s.main());
}

main().catch((e) => { console.error("suite: " + (e && e.stack ? e.stack : e)); process.exit(1); });
