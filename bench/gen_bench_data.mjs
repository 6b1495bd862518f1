#!/usr/bin/env node
// Writes the scan-benchmark table with real Lance (@lancedb/lancedb from
// tests/interop/node_modules).
//
// usage: node bench/gen_bench_data.mjs [--rows N] [--out DIR] [--format 2.2|2.1]
//                                      [--seed S] [--add-rows N] [--batch-rows N]
//   --rows       rows to write (default 5000000)
//   --out        folder of the lancedb database (default $LANCEC_BENCH_DATA or /tmp/lancec-bench-data)
//   --format     data storage version (default 2.2)
//   --seed       PRNG seed (default 42): the data is a pure function of (seed, rows)
//   --add-rows   rows per createTable/add call = per fragment (default 1048576, the
//                size at which Lance cuts data files anyway); bounds memory
//   --batch-rows rows per Arrow record batch inside one call (default 65536)
//
// Table name: bench_<rows>_<format with "_">; dataset folder <out>/<name>.lance.
// Columns: id int64 (0..N-1), x float64 (gaussian-ish, 2 decimals, 1 % null),
// s utf8 (10..30 chars: names, emails, product codes, cities, phrases; some
// non-ASCII), vec fixed_size_list<float32, 128> (clustered).
// Prints one JSON line: { table, dir, rows, fragments, seconds, checksum }.
// The checksum (rows, sum of id, total bytes of s) is what lance_scan.mjs and
// bench_scan report.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INTEROP = path.resolve(HERE, "../tests/interop");

export function loadPeers() {
  if (!fs.existsSync(path.join(INTEROP, "node_modules", "@lancedb", "lancedb"))) {
    console.error(`${INTEROP}/node_modules is missing: run scripts/bootstrap.sh (or npm ci in tests/interop)`);
    process.exit(2);
  }
  const req = createRequire(path.join(INTEROP, "package.json"));
  return { lancedb: req("@lancedb/lancedb"), arrow: req("apache-arrow") };
}

export function tableName(rows, format) {
  return `bench_${rows}_${format.replace(/\./g, "_")}`;
}

function parseArgs(argv) {
  const a = { rows: 5000000, out: process.env.LANCEC_BENCH_DATA || "/tmp/lancec-bench-data", format: "2.2", seed: 42, addRows: 1048576, batchRows: 65536 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === "--rows") a.rows = Number(v());
    else if (k === "--out") a.out = v();
    else if (k === "--format") a.format = v();
    else if (k === "--seed") a.seed = Number(v());
    else if (k === "--add-rows") a.addRows = Number(v());
    else if (k === "--batch-rows") a.batchRows = Number(v());
    else if (k === "-h" || k === "--help") {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 22).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
      process.exit(0);
    } else {
      console.error("unknown argument " + k);
      process.exit(2);
    }
  }
  if (!(a.rows >= 0) || !(a.addRows > 0) || !(a.batchRows > 0)) { console.error("bad --rows / --add-rows / --batch-rows"); process.exit(2); }
  return a;
}

// xorshift128 (32-bit words) seeded through splitmix32: small and fast.
class Prng {
  constructor(seed) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.x = next(); this.y = next(); this.z = next(); this.w = next() || 1;
  }
  u32() {
    const t = this.x ^ (this.x << 11);
    this.x = this.y; this.y = this.z; this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }
  f() { return this.u32() / 4294967296; } // [0, 1)
  int(n) { return Math.floor(this.f() * n); } // [0, n)
  pick(a) { return a[this.int(a.length)]; }
  gauss() { return (this.f() + this.f() + this.f() + this.f() - 2) * 1.7320508; } // ~N(0,1), cheap
}

const FIRST = ["Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kai", "Lena", "Mateo", "Nora", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Viktor", "Wen", "Yara", "Zoë", "Jürgen", "Søren", "Ayşe"];
const LAST = ["Smith", "Müller", "Garcia", "Kowalski", "Nguyen", "Rossi", "Dubois", "Silva", "Kim", "Novak", "Haddad", "Okafor", "Larsen", "Tanaka", "Ivanova", "Brown", "Öztürk", "Fernández"];
const WORDS = ["red", "blue", "fast", "quiet", "solid", "smart", "classic", "green", "mini", "pro", "ultra", "eco", "steel", "wood", "glass", "cotton", "lamp", "chair", "desk", "kettle", "phone", "cable", "bottle", "jacket", "shoe", "clock", "mug", "plant"];
const DOMAINS = ["example.com", "mail.org", "corp.net", "uni.edu", "shop.io"];
const CITIES = ["Berlin, DE", "Lyon, FR", "Austin, US", "Osaka, JP", "Porto, PT", "Kraków, PL", "Cairo, EG", "Lima, PE", "Oslo, NO", "Pune, IN", "Quebec, CA", "Perth, AU"];

function makeString(r, i) {
  let s;
  switch (r.int(6)) {
    case 0: s = `${r.pick(FIRST)} ${r.pick(LAST)}`; break;
    case 1: s = `${r.pick(FIRST).toLowerCase()}.${r.pick(LAST).toLowerCase()}${r.int(100)}@${r.pick(DOMAINS)}`; break;
    case 2: s = `${r.pick(WORDS).toUpperCase()}-${r.pick(WORDS).toUpperCase()}-${String(r.int(100000)).padStart(5, "0")}`; break;
    case 3: s = `${r.int(9999) + 1} ${r.pick(CITIES)}`; break;
    case 4: s = `${r.pick(WORDS)} ${r.pick(WORDS)} ${r.pick(WORDS)} ${r.pick(WORDS)}`; break;
    default: s = `order #${i} ${r.pick(WORDS)}`; break;
  }
  if (s.length < 10) s = s + " " + r.pick(WORDS) + " " + r.pick(WORDS);
  if (s.length > 30) s = s.slice(0, 30).trimEnd();
  return s;
}

const DIM = 128;
const CLUSTERS = 16;

function buildBatch(A, r, centers, start, n) {
  const ids = new BigInt64Array(n);
  const xs = new Float64Array(n);
  const xValid = new Uint8Array(((n + 63) >> 6) << 3);
  let xNulls = 0;
  const enc = new TextEncoder();
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(n * 32);
  let pos = 0;
  const vec = new Float32Array(n * DIM);
  let sBytes = 0;
  let sumId = 0n;
  for (let i = 0; i < n; i++) {
    const id = start + i;
    ids[i] = BigInt(id);
    sumId += BigInt(id);
    if (r.int(100) === 0) xNulls++;
    else { xs[i] = Math.round(r.gauss() * 25000 + 1000) / 100; xValid[i >> 3] |= 1 << (i & 7); }
    const s = makeString(r, id);
    offsets[i] = pos;
    if (pos + s.length * 3 > bytes.length) { const b = new Uint8Array(bytes.length * 2); b.set(bytes); bytes = b; }
    pos += enc.encodeInto(s, bytes.subarray(pos)).written;
    const c = centers[r.int(CLUSTERS)];
    const o = i * DIM;
    for (let j = 0; j < DIM; j++) vec[o + j] = c[j] + (r.f() - 0.5) * 0.2;
  }
  offsets[n] = pos;
  sBytes = pos;
  const idField = new A.Field("id", new A.Int64(), false);
  const xField = new A.Field("x", new A.Float64(), true);
  const sField = new A.Field("s", new A.Utf8(), false);
  const vecType = new A.FixedSizeList(DIM, new A.Field("item", new A.Float32(), true));
  const vField = new A.Field("vec", vecType, false);
  const fields = [idField, xField, sField, vField];
  const children = [
    A.makeData({ type: idField.type, length: n, nullCount: 0, data: ids }),
    A.makeData({ type: xField.type, length: n, nullCount: xNulls, nullBitmap: xNulls ? xValid : undefined, data: xs }),
    A.makeData({ type: sField.type, length: n, nullCount: 0, valueOffsets: offsets, data: bytes.subarray(0, pos) }),
    A.makeData({ type: vecType, length: n, nullCount: 0, child: A.makeData({ type: vecType.children[0].type, length: n * DIM, nullCount: 0, data: vec }) }),
  ];
  const schema = new A.Schema(fields);
  const data = A.makeData({ type: new A.Struct(fields), length: n, nullCount: 0, children });
  return { batch: new A.RecordBatch(schema, data), schema, sumId, sBytes };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const { lancedb, arrow: A } = loadPeers();
  const name = tableName(a.rows, a.format);
  const out = path.resolve(a.out);
  fs.mkdirSync(out, { recursive: true });
  fs.rmSync(path.join(out, name + ".lance"), { recursive: true, force: true });
  const db = await lancedb.connect(out);
  const r = new Prng(a.seed);
  const centers = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIM }, () => r.f() * 2 - 1));
  const t0 = process.hrtime.bigint();
  let table = null;
  let sumId = 0n;
  let sBytes = 0;
  let fragments = 0;
  let done = 0;
  let schema = null;
  while (done < a.rows || (a.rows === 0 && !table)) {
    const callRows = Math.min(a.addRows, a.rows - done);
    const batches = [];
    for (let b = 0; b < callRows; b += a.batchRows) {
      const k = Math.min(a.batchRows, callRows - b);
      const res = buildBatch(A, r, centers, done + b, k);
      batches.push(res.batch);
      schema = res.schema;
      sumId += res.sumId;
      sBytes += res.sBytes;
    }
    if (!schema) schema = buildBatch(A, r, centers, 0, 0).schema;
    const t = new A.Table(schema, batches);
    if (!table) {
      table = await db.createTable(name, t, { mode: "overwrite", storageOptions: { new_table_data_storage_version: a.format } });
    } else {
      await table.add(t);
    }
    fragments += callRows > 0 ? 1 : 0;
    done += callRows;
    process.stderr.write(`gen_bench_data: ${done}/${a.rows} rows (${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s)\n`);
    if (a.rows === 0) break;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const count = await table.countRows();
  if (count !== a.rows) throw new Error(`wrote ${a.rows} rows but the table has ${count}`);
  const result = {
    table: name, dir: path.join(out, name + ".lance"), rows: a.rows, format: a.format, seed: a.seed, fragments,
    seconds: Math.round(seconds * 100) / 100,
    checksum: { rows: a.rows, sum_id: sumId.toString(), s_bytes: sBytes },
    lancedb: JSON.parse(fs.readFileSync(path.join(INTEROP, "node_modules/@lancedb/lancedb/package.json"), "utf8")).version,
  };
  table.close();
  console.log(JSON.stringify(result));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error("gen_bench_data: " + (e && e.stack ? e.stack : e)); process.exit(1); });
}
