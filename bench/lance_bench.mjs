#!/usr/bin/env node
// Real Lance's side of the benchmark suite (bench/run.sh): @lancedb/lancedb
// 0.39 + apache-arrow from tests/interop/node_modules, every result as Arrow
// (the batch iterator `execute({maxBatchLength: 65536})` or
// `toArrow({maxBatchLength: 65536})`, never toArray()).
//
//   node bench/lance_bench.mjs serve              requests on stdin, one JSON answer per line
//   node bench/lance_bench.mjs run KEY=VALUE ...  one request (reps=N times)
//
// The thread counts are LANCE_CPU_THREADS / LANCE_IO_THREADS, read once by the
// Lance runtime when lancedb loads: the suite starts one process per thread
// count with both set (threads=N in a request is ignored here).
//
// Requests are the same tab-separated KEY=VALUE lines bench/lancec_bench.c
// reads, with the same answers (seconds of the timed part only; the table is
// opened once per process and kept) and the same checksum definition:
//   scan   ds= [cols=*|a,b|-] [filter=SQL] [limit=N] [check=1] [fresh=1]
//          query().where().select().limit(), batches from execute({maxBatchLength: 65536})
//   count  ds= filter=                                             table.countRows(filter)
//   take   ds= kind=offsets|rowids n=N [cols=..] [check=1]        takeOffsets / takeRowIds
//          (row ids: looked up untimed with takeOffsets(...).withRowId())
//   write  src= out= rows=N [fmt=2.2]   first N rows of src in memory (untimed), then
//          db.createTable(name, arrowTable, {storageOptions: {new_table_data_storage_version}})
//   append src= out= batches=K batch_rows=B [fmt=2.2]   createTable with one batch (untimed),
//          then K table.add(batch) calls
//   io     ds= [cols=..] [filter=..]   analyzePlan() of the query: bytes_read / iops summed
//   index  src= out= col=C   a copy of src (data files hard-linked) with a BTree index on C
//   gen is bench/gen_bench_data.mjs (a separate process).

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INTEROP = path.resolve(HERE, "../tests/interop");

if (!fs.existsSync(path.join(INTEROP, "node_modules", "@lancedb", "lancedb"))) {
  console.error(`lance_bench: ${INTEROP}/node_modules is missing: run scripts/bootstrap.sh (or npm ci in tests/interop)`);
  process.exit(2);
}
const req = createRequire(path.join(INTEROP, "package.json"));
const lancedb = req("@lancedb/lancedb");
const arrow = req("apache-arrow");
const LANCEDB_VERSION = JSON.parse(fs.readFileSync(path.join(INTEROP, "node_modules/@lancedb/lancedb/package.json"), "utf8")).version;
const BATCH = 65536;

const now = () => Number(process.hrtime.bigint()) / 1e9;

// ---- tables: one connection per folder, each table opened once ---------------------

const conns = new Map();
const tables = new Map();

function splitDs(ds) {
  const abs = path.resolve(ds);
  if (!abs.endsWith(".lance")) throw new Error(`${abs} is not a <name>.lance dataset folder`);
  return { dir: path.dirname(abs), name: path.basename(abs).slice(0, -".lance".length), abs };
}

async function connect(dir) {
  if (!conns.has(dir)) conns.set(dir, await lancedb.connect(dir));
  return conns.get(dir);
}

async function openTable(ds) {
  const { dir, name, abs } = splitDs(ds);
  if (!tables.has(abs)) tables.set(abs, await (await connect(dir)).openTable(name));
  return tables.get(abs);
}

function forget(ds) {
  const { abs } = splitDs(ds);
  const t = tables.get(abs);
  if (t) { try { t.close(); } catch { /* already closed */ } }
  tables.delete(abs);
}

function colsOf(spec) {
  if (spec === undefined || spec === "" || spec === "*") return null;
  if (spec === "-") return [];
  return spec.split(",");
}

function buildQuery(q, r) {
  const cols = colsOf(r.cols);
  if (r.filter) q = q.where(r.filter);
  if (cols) q = q.select(cols);
  if (r.limit !== undefined && Number(r.limit) >= 0) q = q.limit(Number(r.limit));
  return q;
}

// ---- checksum (the same definition as bench/lancec_bench.c) ------------------------

function newChecksum(schema) {
  const cols = schema.fields.map((f) => {
    const t = f.type;
    let kind = "none";
    if (arrow.DataType.isInt(t) && t.bitWidth === 64) kind = "int";
    else if (arrow.DataType.isFloat(t) && t.precision === arrow.Precision.DOUBLE) kind = "f64";
    else if (arrow.DataType.isFloat(t) && t.precision === arrow.Precision.SINGLE) kind = "f32";
    else if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) kind = "utf8";
    else if (arrow.DataType.isFixedSizeList(t) && arrow.DataType.isFloat(t.children[0].type) && t.children[0].type.precision === arrow.Precision.SINGLE) kind = "vec";
    return { name: f.name, kind, nulls: 0, sum: 0n, rsum: 0, bytes: 0, bytesum: 0 };
  });
  return { rows: 0, cols };
}

function validAt(d, i) {
  if (!d.nullBitmap || d.nullCount === 0) return true;
  const j = d.offset + i;
  return ((d.nullBitmap[j >> 3] >> (j & 7)) & 1) === 1;
}

// sum of int64 / uint64 values of `d` modulo 2^64 (low and high 32-bit words summed separately)
function sum64(d) {
  const v = d.values;
  const w = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  let lo = 0, hi = 0, acc = 0n;
  const all = !d.nullBitmap || d.nullCount === 0;
  for (let i = 0; i < d.length; i++) {
    if (all || validAt(d, i)) { lo += w[2 * i]; hi += w[2 * i + 1]; }
    if ((i & 0xfffff) === 0xfffff) { acc += BigInt(lo) + (BigInt(hi) << 32n); lo = 0; hi = 0; } // stay below 2^53
  }
  return BigInt.asUintN(64, acc + BigInt(lo) + (BigInt(hi) << 32n));
}

function checksumBatch(ck, batch) {
  ck.rows += batch.numRows;
  ck.cols.forEach((c, idx) => {
    const vec = batch.getChildAt(idx);
    for (const d of vec.data) {
      c.nulls += d.nullCount;
      if (c.kind === "int") c.sum = BigInt.asUintN(64, c.sum + sum64(d));
      else if (c.kind === "f64" || c.kind === "f32") {
        const scale = c.kind === "f64" ? 100 : 1e6;
        const v = d.values;
        for (let i = 0; i < d.length; i++) if (validAt(d, i)) c.rsum += Math.floor(v[i] * scale + 0.5);
      } else if (c.kind === "vec") {
        const ch = d.children[0];
        const dim = d.type.listSize;
        const v = ch.values;
        // arrow-js slices a fixed_size_list's child with its parent: the child's values
        // start at the first row in range
        let s = 0;
        for (let i = 0; i < d.length * dim; i++) s += Math.floor(v[i] * 1e6 + 0.5);
        c.rsum += s;
      } else if (c.kind === "utf8") {
        const o = d.valueOffsets;
        const lo = Number(o[0]), hi = Number(o[d.length]);
        const bytes = d.values;
        let s = 0;
        for (let j = lo; j < hi; j++) s += bytes[j];
        c.bytesum += s;
        c.bytes += hi - lo;
      }
    }
  });
}

function checksumJson(ck) {
  const out = { rows: String(ck.rows) };
  for (const c of ck.cols) {
    const e = { nulls: String(c.nulls) };
    if (c.kind === "int") e.sum = c.sum.toString();
    else if (c.kind === "f64") e.sum_r2 = String(c.rsum);
    else if (c.kind === "f32" || c.kind === "vec") e.sum_r6 = String(c.rsum);
    else if (c.kind === "utf8") { e.bytes = String(c.bytes); e.bytesum = String(c.bytesum); }
    out[c.name] = e;
  }
  return out;
}

// ---- take positions (the same list as take_offsets() in lancec_bench.c) -----------

function gcd(a, b) { while (b) [a, b] = [b, a % b]; return a; }

export function takeOffsets(n, rows) {
  let p = Math.floor(rows * 0.6180339887);
  if (p === 0) p = 1;
  while (gcd(p, rows) !== 1) p++;
  const start = Math.floor(rows / 3);
  const out = new Array(n);
  const P = BigInt(p), R = BigInt(rows), S = BigInt(start);
  for (let k = 0; k < n; k++) out[k] = Number((S + BigInt(k) * P) % R);
  return out;
}

// ---- requests ---------------------------------------------------------------------

async function opScan(r) {
  if (r.fresh === "1") forget(r.ds);
  const t = await openTable(r.ds);
  const check = r.check === "1";
  let ck = null, rows = 0, batches = 0;
  const t0 = now();
  const q = buildQuery(t.query(), r);
  for await (const b of q.execute({ maxBatchLength: BATCH })) {
    rows += b.numRows;
    batches++;
    if (check) { if (!ck) ck = newChecksum(b.schema); checksumBatch(ck, b); }
  }
  const seconds = now() - t0;
  const out = { ok: true, seconds, rows, batches };
  if (check) {
    if (!ck) { // no batch at all: the checksum of nothing, with the output schema
      ck = newChecksum(await buildQuery(t.query(), r).outputSchema());
    }
    out.checksum = checksumJson(ck);
  }
  return out;
}

async function opCount(r) {
  const t = await openTable(r.ds);
  const t0 = now();
  const n = await t.countRows(r.filter || undefined);
  const seconds = now() - t0;
  return { ok: true, seconds, rows: n, checksum: { rows: String(n) } };
}

const rowIdCache = new Map();

async function opTake(r) {
  const t = await openTable(r.ds);
  const n = Number(r.n || 1);
  const total = await t.countRows();
  const offs = takeOffsets(n, total);
  let q;
  if (r.kind === "rowids") {
    const key = `${splitDs(r.ds).abs}:${n}`;
    if (!rowIdCache.has(key)) {
      const tb = await t.takeOffsets(offs).withRowId().select(["id"]).toArrow({ maxBatchLength: BATCH });
      rowIdCache.set(key, Array.from(tb.getChild("_rowid").toArray()));
    }
    const ids = rowIdCache.get(key);
    const t0 = now();
    q = t.takeRowIds(ids);
    return finishTake(q, r, t0);
  }
  if (r.kind && r.kind !== "offsets") throw new Error("take: kind= must be offsets or rowids");
  const t0 = now();
  q = t.takeOffsets(offs);
  return finishTake(q, r, t0);
}

async function finishTake(q, r, t0) {
  const cols = colsOf(r.cols);
  if (cols) q = q.select(cols);
  const tb = await q.toArrow({ maxBatchLength: BATCH });
  const seconds = now() - t0;
  const out = { ok: true, seconds, rows: tb.numRows };
  if (r.check === "1") {
    const ck = newChecksum(tb.schema);
    for (const b of tb.batches) checksumBatch(ck, b);
    out.checksum = checksumJson(ck);
  }
  return out;
}

function du(p) {
  let n = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const q = path.join(p, e.name);
    if (e.isDirectory()) n += du(q);
    else if (e.isFile()) n += fs.statSync(q).size;
  }
  return n;
}

async function loadRows(src, rows) {
  const t = await openTable(src);
  let q = t.query();
  if (rows >= 0) q = q.limit(rows);
  return q.toArrow({ maxBatchLength: BATCH });
}

async function dropDest(out) {
  forget(out);
  const { dir, name, abs } = splitDs(out);
  fs.mkdirSync(dir, { recursive: true });
  const db = await connect(dir);
  try { await db.dropTable(name); } catch { /* not there */ }
  fs.rmSync(abs, { recursive: true, force: true });
  return { db, name, abs };
}

async function opWrite(r) {
  const data = await loadRows(r.src, Number(r.rows ?? -1));
  const { db, name, abs } = await dropDest(r.out);
  const storageOptions = r.fmt ? { new_table_data_storage_version: r.fmt } : undefined;
  const t0 = now();
  const tbl = await db.createTable(name, data, { mode: "create", storageOptions });
  const seconds = now() - t0;
  tbl.close();
  return { ok: true, seconds, rows: data.numRows, bytes_on_disk: du(abs) };
}

async function opAppend(r) {
  const k = Number(r.batches || 10), b = Number(r.batch_rows || 1000);
  const data = await loadRows(r.src, (k + 1) * b);
  if (data.numRows < 2 * b) throw new Error("append: the source table is too small");
  const { db, name, abs } = await dropDest(r.out);
  const storageOptions = r.fmt ? { new_table_data_storage_version: r.fmt } : undefined;
  const tbl = await db.createTable(name, data.slice(0, b), { mode: "create", storageOptions });
  const parts = [];
  for (let i = 1; i * b < data.numRows; i++) parts.push(data.slice(i * b, Math.min((i + 1) * b, data.numRows)));
  let rows = 0;
  const t0 = now();
  for (const p of parts) { await tbl.add(p); rows += p.numRows; }
  const seconds = now() - t0;
  tbl.close();
  return { ok: true, seconds, rows, appends: parts.length, bytes_on_disk: du(abs) };
}

// "53.93 M" / "2.64 K" / "1234" (DataFusion's metric formatting) -> number
function metricValue(s) {
  const m = /^([0-9.]+)\s*([KMGT]?)/.exec(s.trim());
  if (!m) return 0;
  return Number(m[1]) * ({ "": 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]]);
}

async function opIo(r) {
  const t = await openTable(r.ds);
  const plan = await buildQuery(t.query(), r).analyzePlan();
  let bytes = 0, iops = 0;
  for (const m of plan.matchAll(/bytes_read=([0-9.]+\s*[KMGT]?)/g)) bytes += metricValue(m[1]);
  for (const m of plan.matchAll(/iops=([0-9.]+\s*[KMGT]?)/g)) iops += metricValue(m[1]);
  return { ok: true, io_bytes: Math.round(bytes), io_calls: Math.round(iops), plan };
}

// copy src (data files hard-linked, everything else copied) and build a BTree index on col
async function opIndex(r) {
  const src = splitDs(r.src).abs;
  const out = splitDs(r.out);
  forget(r.out);
  fs.rmSync(out.abs, { recursive: true, force: true });
  const copy = (from, to) => {
    fs.mkdirSync(to, { recursive: true });
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
      const a = path.join(from, e.name), b = path.join(to, e.name);
      if (e.isDirectory()) copy(a, b);
      else if (path.basename(from) === "data" && e.name.endsWith(".lance")) fs.linkSync(a, b);
      else fs.copyFileSync(a, b);
    }
  };
  copy(src, out.abs);
  const t = await openTable(out.abs);
  const t0 = now();
  await t.createIndex(r.col, { config: lancedb.Index.btree() });
  const seconds = now() - t0;
  const indices = await t.listIndices();
  return { ok: true, seconds, indices: indices.map((i) => ({ name: i.name, type: i.indexType, columns: i.columns })) };
}

async function handle(r) {
  try {
    switch (r.op) {
      case "scan": return await opScan(r);
      case "count": return await opCount(r);
      case "take": return await opTake(r);
      case "write": return await opWrite(r);
      case "append": return await opAppend(r);
      case "io": return await opIo(r);
      case "index": return await opIndex(r);
      case "ping": return { ok: true, lancedb: LANCEDB_VERSION, threads: { LANCE_CPU_THREADS: process.env.LANCE_CPU_THREADS || null, LANCE_IO_THREADS: process.env.LANCE_IO_THREADS || null } };
      default: return { ok: false, error: `unknown op '${r.op}'` };
    }
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e).slice(0, 2000) };
  }
}

function parseKv(parts) {
  const r = {};
  for (const p of parts) {
    const i = p.indexOf("=");
    if (i < 0) throw new Error(`malformed request part '${p}' (key=value expected)`);
    r[p.slice(0, i)] = p.slice(i + 1);
  }
  return r;
}

async function main() {
  const mode = process.argv[2];
  if (mode === "serve") {
    const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line.trim()) continue;
      let ans;
      try { ans = await handle(parseKv(line.split("\t"))); } catch (e) { ans = { ok: false, error: String(e.message || e) }; }
      process.stdout.write(JSON.stringify(ans) + "\n");
    }
    for (const t of tables.values()) { try { t.close(); } catch { /* closed */ } }
  } else if (mode === "run") {
    const r = parseKv(process.argv.slice(3));
    const reps = Number(r.reps || 1);
    for (let i = 0; i < reps; i++) {
      const ans = await handle(r);
      process.stdout.write(JSON.stringify(ans) + "\n");
      if (!ans.ok) process.exit(1);
    }
    for (const t of tables.values()) { try { t.close(); } catch { /* closed */ } }
  } else {
    console.error("usage: node bench/lance_bench.mjs serve | run KEY=VALUE ...");
    process.exit(2);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error("lance_bench: " + (e && e.stack ? e.stack : e)); process.exit(1); });
}
