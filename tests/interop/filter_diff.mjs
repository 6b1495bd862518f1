#!/usr/bin/env node
// Differential test of SQL filters: lancec against real Lance.
//
// Real Lance (@lancedb/lancedb 0.39.0 from ./node_modules) writes datasets
// with several fragments, deletions and an update (rows rewritten at the
// end), over columns of many types (int8..int64, uint8..uint64, float32/
// float64 with NaN of both signs, +-Infinity and -0.0, bool, utf8 and
// large_utf8 with empty / non-ASCII / quote / % / _ / backslash strings,
// date32, timestamp(us) with and without a time zone, decimal128, a struct)
// and nulls everywhere.  Random filters are generated from the schema and
// the values present (comparisons with edge and present values, AND/OR/NOT,
// IS [NOT] NULL / TRUE / FALSE, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE / ILIKE,
// arithmetic, CAST, DATE / TIMESTAMP literals, nested fields, _rowid /
// _rowaddr).  Each filter runs through
//   real Lance: table.query().where(F).withRowId(true).toArrow()
//   lancec:     filter_driver (lancec_dataset_scan with filter + with_row_id)
// and the row-id sets must be equal; a filter real Lance rejects must be
// rejected by lancec too (and the other way round).  A subset then checks
// lancec's row order (fragments in manifest order, offsets ascending: the
// ids come back ascending), --threads 1 vs 2, and limit/offset slicing
// against the sorted real result; a few filters also go through the CLI
// (`lancec scan --where ... --with-row-id`).
//
// usage: node filter_diff.mjs --driver PATH [--lancec PATH] [--seeds "1 date"]
//                             [--filters N] [--work DIR] [--keep] [--verbose]
//                             [--only-filter SQL]
//   --seeds    seeds to run (integers or "date" = YYYYMMDD of today, UTC); printed
//   --filters  filters per seed (default 1100, split over the datasets)
//   --only-filter  run just this filter on every dataset (prints both answers)
//
// Exit status: 0 every filter agreed, 1 some mismatch, 2 setup problem.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const THIS = fileURLToPath(import.meta.url);

// ---------------------------------------------------------------------------
// arguments
// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const a = { driver: null, lancec: null, seeds: "1 date", filters: 1100, work: null, keep: false, verbose: false, only: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) { console.error(`filter_diff: ${k} needs a value`); process.exit(2); }
      return argv[++i];
    };
    if (k === "--driver") a.driver = next();
    else if (k === "--lancec") a.lancec = next();
    else if (k === "--seeds") a.seeds = next();
    else if (k === "--filters") a.filters = Math.max(10, Number(next()) || 0);
    else if (k === "--work") a.work = next();
    else if (k === "--keep") a.keep = true;
    else if (k === "--verbose") a.verbose = true;
    else if (k === "--only-filter") a.only = next();
    else if (k === "-h" || k === "--help") {
      console.log(fs.readFileSync(THIS, "utf8").split("\n").slice(1, 34).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
      process.exit(0);
    } else { console.error("filter_diff: unknown argument " + k); process.exit(2); }
  }
  if (!a.driver) { console.error("filter_diff: --driver is required"); process.exit(2); }
  return a;
}

// ---------------------------------------------------------------------------
// PRNG (xmur3 + sfc32; the same family as shared/corpus/gen)
// ---------------------------------------------------------------------------

function xmur3(str) {
  let h = 1779033703 ^ str.length;
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

class Rng {
  constructor(seed) {
    const s = xmur3(String(seed));
    this.a = s(); this.b = s(); this.c = s(); this.d = s();
    for (let i = 0; i < 16; i++) this.u32();
  }
  u32() {
    let { a, b, c, d } = this;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.a = a; this.b = b; this.c = c; this.d = d;
    return t >>> 0;
  }
  f64() { return ((this.u32() >>> 5) * 67108864 + (this.u32() >>> 6)) / 9007199254740992; }
  int(lo, hi) { return lo + Math.floor(this.f64() * (hi - lo + 1)); }
  chance(p) { return this.f64() < p; }
  pick(arr) { return arr[Math.floor(this.f64() * arr.length)]; }
  big(lo, hi) {
    lo = BigInt(lo); hi = BigInt(hi);
    const span = hi - lo + 1n;
    let r = 0n;
    for (let i = 0; i < 4; i++) r = (r << 32n) | BigInt(this.u32());
    return lo + (r % span);
  }
  gauss() {
    let u = 0;
    while (u === 0) u = this.f64();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.f64());
  }
  // pick with weights: [[w, value], ...]
  weighted(list) {
    let tot = 0;
    for (const [w] of list) tot += w;
    let x = this.f64() * tot;
    for (const [w, v] of list) { if ((x -= w) < 0) return v; }
    return list[list.length - 1][1];
  }
}

// ---------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------

// Floats are carried as { f: number, bits: BigInt | null } so that NaNs of
// both signs (and with payloads) reach the file bit-exactly.
const F64 = {
  NAN: 0x7ff8000000000000n, NNAN: 0xfff8000000000000n, PNAN: 0x7ff8000000000001n,
};
const F32 = { NAN: 0x7fc00000, NNAN: 0xffc00000 };

const INT_RANGE = {
  8: [-128n, 127n], 16: [-32768n, 32767n], 32: [-2147483648n, 2147483647n], 64: [-9223372036854775808n, 9223372036854775807n],
};
const UINT_MAX = { 8: 255n, 16: 65535n, 32: 4294967295n, 64: 18446744073709551615n };

function intRange(bits, signed) { return signed ? INT_RANGE[bits] : [0n, UINT_MAX[bits]]; }

function genInt(rng, bits, signed, style) {
  const [lo, hi] = intRange(bits, signed);
  const clamp = (v) => (v < lo ? lo : v > hi ? hi : v);
  switch (style ?? rng.weighted([[3, "small"], [2, "edge"], [3, "rand"], [2, "mid"]])) {
    case "small": return clamp(BigInt(rng.int(-20, 20)));
    case "edge": return rng.pick([lo, hi, lo + 1n, hi - 1n, 0n, 1n, clamp(-1n)]);
    case "mid": return clamp(BigInt(rng.int(-1000, 1000)));
    default: return rng.big(lo, hi);
  }
}

const STRINGS = [
  "", "", "a", "A", "ab", "abc", "ABC", "abd", "Abc", "b", "bc", "it's", "'", "''", "100%", "50% off", "%", "_", "a_b", "a%b",
  "a\\b", "\\", "x\\%y", "é", "É", "über", "Über", "naïve", "日本語", "日本", "🙂", "a🙂b", " space", "trailing ", "  ",
  "red", "green", "blue", "Red", "redder", "abcabc", "\t", "line\nbreak", "z", "zz", "~", "ÿ", "Ā",
];
function genString(rng) {
  if (rng.chance(0.7)) return rng.pick(STRINGS);
  const alpha = "abcxyzABC_%0189 é";
  const n = rng.int(0, 12);
  let s = "";
  for (let i = 0; i < n; i++) s += alpha[rng.int(0, alpha.length - 1)];
  return s;
}

function genF64(rng) {
  switch (rng.weighted([[2, "special"], [3, "smallint"], [3, "dec"], [1, "wide"], [1, "extreme"]])) {
    case "special": {
      const b = rng.pick([F64.NAN, F64.NNAN, F64.PNAN, "inf", "-inf", "0", "-0"]);
      if (typeof b === "bigint") return { f: NaN, bits: b };
      return { f: b === "inf" ? Infinity : b === "-inf" ? -Infinity : b === "0" ? 0 : -0, bits: null };
    }
    case "smallint": return { f: rng.int(-10, 10), bits: null };
    case "dec": return { f: Math.round(rng.gauss() * 10000) / 100, bits: null };
    case "wide": return { f: rng.gauss() * 10 ** rng.int(-30, 30), bits: null };
    default: return { f: rng.pick([Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, 1e-300, 2 ** 53, 2 ** 53 + 2, -(2 ** 63)]), bits: null };
  }
}
function genF32(rng) {
  switch (rng.weighted([[2, "special"], [3, "smallint"], [3, "dec"], [1, "wide"], [1, "extreme"]])) {
    case "special": {
      const b = rng.pick([F32.NAN, F32.NNAN, "inf", "-inf", "0", "-0"]);
      if (typeof b === "number") return { f: NaN, bits: b };
      return { f: b === "inf" ? Infinity : b === "-inf" ? -Infinity : b === "0" ? 0 : -0, bits: null };
    }
    case "smallint": return { f: rng.int(-10, 10), bits: null };
    case "dec": return { f: Math.fround(Math.round(rng.gauss() * 10000) / 100), bits: null };
    case "wide": return { f: Math.fround(rng.gauss() * 10 ** rng.int(-20, 20)), bits: null };
    default: return { f: Math.fround(rng.pick([3.4028234663852886e38, -3.4028234663852886e38, 1.401298464324817e-45, 16777216, 16777217, 0.1, 2147483648])), bits: null };
  }
}

const DAY_US = 86400000000n;
function genDate(rng) {
  return rng.weighted([
    [6, () => rng.int(-25567, 47482)], // 1900 .. 2100
    [2, () => rng.int(19000, 19100)], // 2022..2022: clustered
    [1, () => rng.pick([0, -1, 1, -719162, 2932896, 19723])],
  ])();
}
function genTs(rng) {
  return rng.weighted([
    [5, () => rng.big(-2208988800000000n, 4102444800000000n)],
    [2, () => BigInt(rng.int(19000, 19100)) * DAY_US + BigInt(rng.int(0, 23)) * 3600000000n],
    [1, () => rng.pick([0n, -1n, 1n, 1704067200000000n, 1704067200000001n, 253402300799999999n])],
  ])();
}
function genDec(rng) {
  return rng.weighted([
    [4, () => BigInt(rng.int(-100000, 100000))],
    [2, () => rng.big(-9999999999n, 9999999999n)],
    [1, () => rng.pick([0n, 1n, -1n, 100n, -100n, 9999999999n, -9999999999n])],
  ])();
}

// ---------------------------------------------------------------------------
// datasets
// ---------------------------------------------------------------------------

// Column plan: name -> { type builder, value generator, null rate, kind }
// kind drives the filter generator: int/uint/float/bool/str/date/ts/dec/struct.
function planWide(A) {
  const U = A.TimeUnit;
  const cols = [
    { name: "id", type: () => new A.Int64(), kind: "int", bits: 64, signed: true, nulls: 0, gen: null },
    { name: "i8", type: () => new A.Int8(), kind: "int", bits: 8, signed: true, nulls: 0.1 },
    { name: "i16", type: () => new A.Int16(), kind: "int", bits: 16, signed: true, nulls: 0.1 },
    { name: "i32", type: () => new A.Int32(), kind: "int", bits: 32, signed: true, nulls: 0.15 },
    { name: "i64", type: () => new A.Int64(), kind: "int", bits: 64, signed: true, nulls: 0.1 },
    { name: "j32", type: () => new A.Int32(), kind: "int", bits: 32, signed: true, nulls: 0.3, style: "small" },
    { name: "u8", type: () => new A.Uint8(), kind: "int", bits: 8, signed: false, nulls: 0.1 },
    { name: "u16", type: () => new A.Uint16(), kind: "int", bits: 16, signed: false, nulls: 0.1 },
    { name: "u32", type: () => new A.Uint32(), kind: "int", bits: 32, signed: false, nulls: 0.1 },
    { name: "u64", type: () => new A.Uint64(), kind: "int", bits: 64, signed: false, nulls: 0.1 },
    { name: "f32", type: () => new A.Float32(), kind: "float", bits: 32, nulls: 0.1 },
    { name: "f64", type: () => new A.Float64(), kind: "float", bits: 64, nulls: 0.1 },
    { name: "g64", type: () => new A.Float64(), kind: "float", bits: 64, nulls: 0.2 },
    { name: "b", type: () => new A.Bool(), kind: "bool", nulls: 0.2 },
    { name: "s", type: () => new A.Utf8(), kind: "str", nulls: 0.15 },
    { name: "t", type: () => new A.Utf8(), kind: "str", nulls: 0.3 },
    { name: "ls", type: () => new A.LargeUtf8(), kind: "str", nulls: 0.1 },
    { name: "d", type: () => new A.DateDay(), kind: "date", nulls: 0.1 },
    { name: "ts", type: () => new A.Timestamp(U.MICROSECOND), kind: "ts", nulls: 0.1 },
    { name: "tsz", type: () => new A.Timestamp(U.MICROSECOND, "UTC"), kind: "ts", tz: "UTC", nulls: 0.1 },
    { name: "dec", type: () => new A.Decimal(2, 10, 128), kind: "dec", precision: 10, scale: 2, nulls: 0.1 },
    {
      name: "st", kind: "struct", nulls: 0.1,
      type: () => new A.Struct([new A.Field("a", new A.Int32(), true), new A.Field("b", new A.Utf8(), true), new A.Field("c", new A.Float64(), true)]),
      children: [
        { name: "a", kind: "int", bits: 32, signed: true, nulls: 0.1, style: "mid" },
        { name: "b", kind: "str", nulls: 0.1 },
        { name: "c", kind: "float", bits: 64, nulls: 0.1 },
      ],
    },
  ];
  return cols;
}

function planNarrow(A) {
  return [
    { name: "id", type: () => new A.Int64(), kind: "int", bits: 64, signed: true, nulls: 0, gen: null },
    { name: "x", type: () => new A.Int32(), kind: "int", bits: 32, signed: true, nulls: 0.2, style: "mid" },
    { name: "y", type: () => new A.Float64(), kind: "float", bits: 64, nulls: 0.2 },
    { name: "s", type: () => new A.Utf8(), kind: "str", nulls: 0.2 },
    { name: "d", type: () => new A.DateDay(), kind: "date", nulls: 0.2 },
    {
      name: "st", kind: "struct", nulls: 0, // data storage 2.0: no null structs
      type: () => new A.Struct([new A.Field("a", new A.Int32(), true), new A.Field("b", new A.Utf8(), true)]),
      children: [
        { name: "a", kind: "int", bits: 32, signed: true, nulls: 0.2, style: "small" },
        { name: "b", kind: "str", nulls: 0.2 },
      ],
    },
  ];
}

function genValue(rng, c) {
  switch (c.kind) {
    case "int": return genInt(rng, c.bits, c.signed, c.style);
    case "float": return c.bits === 32 ? genF32(rng) : genF64(rng);
    case "bool": return rng.chance(0.5);
    case "str": return genString(rng);
    case "date": return genDate(rng);
    case "ts": return genTs(rng);
    case "dec": return genDec(rng);
    case "struct": {
      const o = {};
      for (const ch of c.children) o[ch.name] = rng.chance(ch.nulls) ? null : genValue(rng, ch);
      return o;
    }
  }
  throw new Error("kind " + c.kind);
}

// Arrow data for one column (floats bit-exact; the rest through plain typed arrays).
function buildColumn(A, type, c, values) {
  const n = values.length;
  const validity = new Uint8Array(((n + 63) >> 6) << 3);
  let nullCount = 0;
  values.forEach((v, i) => { if (v === null) nullCount++; else validity[i >> 3] |= 1 << (i & 7); });
  const base = { type, length: n, nullCount, nullBitmap: nullCount ? validity : null };
  switch (c.kind) {
    case "int": {
      const arr = new type.ArrayType(n);
      const big = c.bits === 64;
      values.forEach((v, i) => { if (v !== null) arr[i] = big ? v : Number(v); });
      return A.makeData({ ...base, data: arr });
    }
    case "float": {
      if (c.bits === 64) {
        const raw = new BigUint64Array(n);
        const view = new Float64Array(raw.buffer);
        values.forEach((v, i) => { if (v !== null) { if (v.bits !== null) raw[i] = v.bits; else view[i] = v.f; } });
        return A.makeData({ ...base, data: view });
      }
      const raw = new Uint32Array(n);
      const view = new Float32Array(raw.buffer);
      values.forEach((v, i) => { if (v !== null) { if (v.bits !== null) raw[i] = v.bits; else view[i] = v.f; } });
      return A.makeData({ ...base, data: view });
    }
    case "bool": {
      const bits = new Uint8Array(((n + 63) >> 6) << 3);
      values.forEach((v, i) => { if (v) bits[i >> 3] |= 1 << (i & 7); });
      return A.makeData({ ...base, data: bits });
    }
    case "str": {
      const large = type.typeId === A.Type.LargeUtf8;
      const enc = new TextEncoder();
      const parts = values.map((v) => (v === null ? null : enc.encode(v)));
      const total = parts.reduce((s, p) => s + (p ? p.length : 0), 0);
      const data = new Uint8Array(total);
      const offsets = large ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      let pos = 0;
      parts.forEach((p, i) => { offsets[i] = large ? BigInt(pos) : pos; if (p) { data.set(p, pos); pos += p.length; } });
      offsets[n] = large ? BigInt(pos) : pos;
      return A.makeData({ ...base, valueOffsets: offsets, data });
    }
    case "date": {
      const arr = new Int32Array(n);
      values.forEach((v, i) => { if (v !== null) arr[i] = v; });
      return A.makeData({ ...base, data: arr });
    }
    case "ts": {
      const arr = new BigInt64Array(n);
      values.forEach((v, i) => { if (v !== null) arr[i] = v; });
      return A.makeData({ ...base, data: arr });
    }
    case "dec": {
      const arr = new Uint32Array(n * 4);
      values.forEach((v, i) => {
        if (v === null) return;
        let x = BigInt.asUintN(128, v);
        for (let w = 0; w < 4; w++) { arr[i * 4 + w] = Number(x & 0xffffffffn); x >>= 32n; }
      });
      return A.makeData({ ...base, data: arr });
    }
    case "struct": {
      const children = c.children.map((ch, k) =>
        buildColumn(A, type.children[k].type, ch, values.map((v) => (v === null ? null : v[ch.name]))));
      return A.makeData({ ...base, children });
    }
  }
  throw new Error("kind " + c.kind);
}

function makeBatchTable(A, plan, rows) {
  const fields = plan.map((c) => new A.Field(c.name, c.type(), c.nulls > 0 || c.name !== "id"));
  const schema = new A.Schema(fields);
  const children = plan.map((c, k) => buildColumn(A, fields[k].type, c, rows.map((r) => r[c.name])));
  const data = A.makeData({ type: new A.Struct(fields), length: rows.length, nullCount: 0, children });
  return new A.Table(schema, [new A.RecordBatch(schema, data)]);
}

function genRows(rng, plan, start, n) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const r = {};
    for (const c of plan) {
      if (c.name === "id") r.id = BigInt(start + i);
      else r[c.name] = rng.chance(c.nulls) ? null : genValue(rng, c);
    }
    rows.push(r);
  }
  return rows;
}

// Builds one dataset; returns { name, dir, plan, rows (every row written, for literals), table }.
async function buildDataset(lancedb, A, rng, dbDir, spec) {
  const db = await lancedb.connect(dbDir);
  const plan = spec.plan(A);
  let next = 0;
  const all = [];
  const batch = (n) => {
    const rows = genRows(rng, plan, next, n);
    next += n;
    all.push(...rows);
    return makeBatchTable(A, plan, rows);
  };
  const storageOptions = spec.version ? { new_table_data_storage_version: spec.version } : undefined;
  const t = await db.createTable(spec.name, batch(spec.sizes[0]), { mode: "overwrite", ...(storageOptions ? { storageOptions } : {}) });
  for (const n of spec.sizes.slice(1)) await t.add(batch(n));
  for (const d of spec.deletes(spec.sizes)) await t.delete(d);
  if (spec.update) await t.update(spec.update);
  return { name: spec.name, dir: path.join(dbDir, spec.name + ".lance"), plan, rows: all, table: t };
}

function fragStarts(sizes) {
  const s = [0];
  for (const n of sizes) s.push(s[s.length - 1] + n);
  return s;
}

const DATASETS = [
  {
    name: "wide",
    plan: planWide,
    sizes: [3000, 2500, 3500, 1500, 2000],
    share: 0.62,
    deletes: (sizes) => {
      const st = fragStarts(sizes);
      return [
        `id % 7 = 3`,
        `id >= ${st[1] + 100} AND id < ${st[1] + 900}`,
        `id >= ${st[3]} AND id < ${st[4]}`, // all of fragment 3
        `id % 101 = 0 OR (i8 IS NULL AND id % 3 = 0)`,
      ];
    },
    update: { where: "id % 13 = 5", valuesSql: { i32: "i32 + 1", s: "'updated'" } },
  },
  {
    name: "narrow20",
    plan: planNarrow,
    version: "2.0",
    sizes: [700, 300, 900, 50, 800, 1000, 400, 600],
    share: 0.38,
    deletes: (sizes) => {
      const st = fragStarts(sizes);
      return [`id % 5 = 1 OR id < 40`, `id >= ${st[2]} AND id < ${st[2] + 850}`, `id >= ${st[3]} AND id < ${st[4]}`];
    },
    update: null,
  },
];

// ---------------------------------------------------------------------------
// filter generation
// ---------------------------------------------------------------------------

const sqlStr = (s) => "'" + s.replace(/'/g, "''") + "'";

function fmtF64(x) {
  if (Number.isNaN(x)) return "'NaN'::double";
  if (x === Infinity) return "'Infinity'::double";
  if (x === -Infinity) return "'-Infinity'::double";
  if (Object.is(x, -0)) return "-0.0";
  let s = String(x);
  if (!/[.e]/.test(s)) s += ".0";
  return s;
}

function pad(n, w) { return String(n).padStart(w, "0"); }
function civil(days) {
  const d = new Date(Number(days) * 86400000);
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) return null;
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}
function fmtDate(days) { const c = civil(days); return c ? `DATE '${c}'` : null; }
function fmtTs(us, sep = " ") {
  const days = us >= 0n ? us / DAY_US : -((-us + DAY_US - 1n) / DAY_US);
  const rem = us - days * DAY_US;
  const c = civil(days);
  if (!c) return null;
  const secs = rem / 1000000n, frac = rem % 1000000n;
  const hh = secs / 3600n, mm = (secs / 60n) % 60n, ss = secs % 60n;
  let s = `${c}${sep}${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}`;
  if (frac) s += "." + pad(frac, 6).replace(/0+$/, "");
  return s;
}
function fmtDec(v, scale) {
  const neg = v < 0n;
  let s = (neg ? -v : v).toString().padStart(scale + 1, "0");
  s = s.slice(0, s.length - scale) + (scale ? "." + s.slice(s.length - scale) : "");
  return (neg ? "-" : "") + s;
}

// Column references available for filters, with sampled present values.
function columnRefs(ds) {
  const refs = [];
  const sample = (get) => {
    const out = [];
    for (let i = 0; i < ds.rows.length; i += Math.max(1, Math.floor(ds.rows.length / 400))) {
      const v = get(ds.rows[i]);
      if (v !== null && v !== undefined) out.push(v);
    }
    return out;
  };
  for (const c of ds.plan) {
    if (c.kind === "struct") {
      refs.push({ sql: c.name, kind: "struct", top: true, values: [] });
      for (const ch of c.children) {
        refs.push({ ...ch, sql: `${c.name}.${ch.name}`, top: false, nested: true, values: sample((r) => (r[c.name] ? r[c.name][ch.name] : null)) });
      }
    } else {
      refs.push({ ...c, sql: c.name, top: true, values: sample((r) => r[c.name]) });
    }
  }
  return refs;
}

class FilterGen {
  constructor(rng, ds, rowIds) {
    this.rng = rng;
    this.refs = columnRefs(ds);
    this.rowIds = rowIds;
    this.by = (pred) => this.refs.filter(pred);
  }
  col(pred) { return this.rng.pick(this.by(pred)); }

  // A literal of the column's own type (present value, edge value or random).
  literal(c, { allowOut = true } = {}) {
    const { rng } = this;
    const present = c.values.length && rng.chance(0.6);
    switch (c.kind) {
      case "int": {
        const [lo, hi] = intRange(c.bits, c.signed);
        let v;
        if (present) v = rng.pick(c.values);
        else v = rng.weighted([
          [3, () => genInt(rng, c.bits, c.signed)],
          [allowOut ? 0.25 : 0, () => rng.pick([lo - 1n, hi + 1n, c.signed ? hi * 2n : -1n])],
        ])();
        if (v < -9223372036854775808n || v > 18446744073709551615n) v = hi;
        return v.toString();
      }
      case "float": {
        if (present) {
          const v = rng.pick(c.values);
          const negNan = v.bits !== null && (c.bits === 64 ? v.bits >> 63n === 1n : v.bits >>> 31 === 1);
          return negNan ? "-'NaN'::double" : fmtF64(v.f);
        }
        return rng.weighted([
          [2, () => fmtF64((c.bits === 32 ? genF32 : genF64)(rng).f)],
          [1, () => rng.pick(["0", "1", "-1", "0.5", "-0.0", "0.0", "1e308", "-1e-308", "3.4028235e38", "16777217", "0.1"])],
          [1, () => rng.pick(["'NaN'::double", "-'NaN'::double", "'Infinity'::double", "'-Infinity'::double", "CAST('NaN' AS FLOAT)", "CAST(0.1 AS FLOAT)"])],
        ])();
      }
      case "bool": return rng.pick(["true", "false"]);
      case "str": {
        if (present) return sqlStr(rng.pick(c.values));
        return sqlStr(genString(rng));
      }
      case "date": {
        const v = present ? rng.pick(c.values) : genDate(rng);
        return fmtDate(v) ?? "DATE '2024-01-01'";
      }
      case "ts": {
        const v = present ? rng.pick(c.values) : genTs(rng);
        return rng.weighted([
          [4, () => `TIMESTAMP '${fmtTs(v) ?? "2024-01-01 00:00:00"}'`],
          [1, () => `TIMESTAMP '${fmtTs(v, "T") ?? "2024-01-01T00:00:00"}'`],
          [1, () => fmtDate(v / DAY_US) ?? "DATE '2024-01-01'"],
        ])();
      }
      case "dec": {
        const v = present ? rng.pick(c.values) : genDec(rng);
        return rng.weighted([
          [2, () => (v / 100n).toString()],
          [2, () => `CAST(${fmtDec(v, c.scale)} AS DECIMAL(${c.precision},${c.scale}))`],
          [1, () => rng.pick(["0", "1", "-1", "100000000", "99999999"])],
        ])();
      }
    }
    throw new Error("literal kind " + c.kind);
  }

  cmpOp() { return this.rng.pick(["=", "!=", "<", "<=", ">", ">=", "<>"]); }

  // column <op> literal / literal <op> column
  comparison() {
    const { rng } = this;
    const c = this.col((r) => r.kind !== "struct");
    const lit = this.literal(c);
    if (c.kind === "bool" && rng.chance(0.3)) return rng.pick([c.sql, `NOT ${c.sql}`, `${c.sql} IS TRUE`, `${c.sql} IS NOT FALSE`]);
    const op = this.cmpOp();
    return rng.chance(0.85) ? `${c.sql} ${op} ${lit}` : `${lit} ${op} ${c.sql}`;
  }

  colVsCol() {
    const { rng } = this;
    const fam = rng.weighted([[3, ["int"]], [3, ["float"]], [1, ["int", "float"]], [2, ["str"]], [1, ["date", "ts"]], [1, ["bool"]]]);
    const cands = this.by((r) => fam.includes(r.kind));
    if (cands.length < 1) return this.comparison();
    const a = rng.pick(cands);
    let b = rng.pick(cands);
    if (!this.risky && a.kind !== b.kind && (a.kind === "date" || b.kind === "date")) b = a; // (see pred)
    return `${a.sql} ${this.cmpOp()} ${b.sql}`;
  }

  isNull() {
    const c = this.col(() => true);
    return `${c.sql} IS ${this.rng.chance(0.5) ? "NOT " : ""}NULL`;
  }

  inList() {
    const { rng } = this;
    const c = this.col((r) => !["struct", "bool"].includes(r.kind));
    const n = rng.int(1, 6);
    const items = [];
    for (let i = 0; i < n; i++) items.push(rng.chance(0.08) ? "NULL" : this.literal(c, { allowOut: rng.chance(0.3) }));
    return `${c.sql} ${rng.chance(0.3) ? "NOT " : ""}IN (${items.join(", ")})`;
  }

  between() {
    const { rng } = this;
    const c = this.col((r) => !["struct", "bool", "str"].includes(r.kind) || rng.chance(0.3));
    if (c.kind === "struct" || c.kind === "bool") return this.comparison();
    const lo = this.literal(c, { allowOut: false }), hi = this.literal(c, { allowOut: false });
    return `${c.sql} ${rng.chance(0.3) ? "NOT " : ""}BETWEEN ${lo} AND ${hi}`;
  }

  likePattern(c) {
    const { rng } = this;
    const base = c.values.length && rng.chance(0.8) ? rng.pick(c.values) : genString(rng);
    const chars = [...base];
    const esc = (ch) => (ch === "%" || ch === "_" || ch === "\\" ? "\\" + ch : ch);
    const lit = (arr) => arr.map(esc).join("");
    let p;
    switch (rng.int(0, 7)) {
      case 0: p = lit(chars.slice(0, rng.int(0, chars.length))) + "%"; break;
      case 1: p = "%" + lit(chars.slice(rng.int(0, chars.length))); break;
      case 2: { const i = rng.int(0, chars.length), j = rng.int(i, chars.length); p = "%" + lit(chars.slice(i, j)) + "%"; break; }
      case 3: p = chars.map((ch) => (rng.chance(0.3) ? "_" : esc(ch))).join(""); break;
      case 4: p = lit(chars); break;
      case 5: p = rng.pick(["%", "_", "__", "%\\%%", "%\\_%", "%'%", "%é%", "_%", "%_", "", "a%b", "%a_c%", "%\\\\%"]); break;
      case 6: p = chars.map((ch) => (rng.chance(0.2) ? "%" : esc(ch))).join(""); break;
      default: p = lit(chars).toUpperCase(); break;
    }
    return p;
  }

  like() {
    const { rng } = this;
    const c = this.col((r) => r.kind === "str");
    const kw = rng.weighted([[5, "LIKE"], [2, "NOT LIKE"], [2, "ILIKE"], [1, "NOT ILIKE"]]);
    return `${c.sql} ${kw} ${sqlStr(this.likePattern(c))}`;
  }

  // numeric expression over a column: returns { sql, kind, bits }
  numExpr() {
    const { rng } = this;
    const c = this.col((r) => r.kind === "int" || r.kind === "float" || (r.kind === "dec" && rng.chance(0.3)));
    const k = () => (c.kind === "float" && rng.chance(0.4) ? fmtF64(rng.pick([0.5, 1.5, -2.25, 10, 0.1, 0])) : String(rng.pick([0, 1, 2, 3, 7, 10, 100, -1, -3, 1000, 127, 255, 256, 65536, 4294967296])));
    switch (rng.int(0, 9)) {
      case 0: return { sql: `${c.sql} + ${k()}`, c };
      case 1: return { sql: `${c.sql} - ${k()}`, c };
      case 2: return { sql: `${c.sql} * ${k()}`, c };
      case 3: return { sql: `${c.sql} % ${rng.pick(this.risky ? ["2", "3", "7", "10", "-3", "0"] : ["2", "3", "7", "10", "-3"])}`, c, mod: true };
      case 4: return { sql: `${c.sql} / ${rng.pick(this.risky ? ["2", "3", "-1", "10", "0", "0.5", "4.0"] : ["2", "3", "10", "0.5", "4.0"])}`, c };
      case 5: {
        // (not float with float: which NaN a NaN + NaN keeps differs between
        // Arrow's vectorised and scalar kernels, see docs/filters.md)
        const o = this.col((r) => (c.kind === "float" ? r.kind === "int" : r.kind === c.kind));
        return { sql: `${c.sql} ${rng.pick(["+", "-", "*"])} ${o.sql}`, c };
      }
      case 6: return { sql: `${k()} - ${c.sql}`, c };
      case 7: return { sql: `(${c.sql} + ${k()}) * ${rng.pick(["2", "-1", "3"])}`, c };
      case 8: return { sql: `-${c.sql}`, c };
      default: return { sql: `${c.sql} * 2 + 1`, c };
    }
  }

  arithmetic() {
    const { rng } = this;
    const e = this.numExpr();
    if (e.mod) return `${e.sql} ${rng.pick(["=", "!=", ">"])} ${rng.pick(["0", "1", "-1", "2"])}`;
    let lit;
    if (rng.chance(0.5) && e.c.values.length) lit = this.literal(e.c, { allowOut: false });
    else lit = rng.pick(["0", "1", "-1", "100", "0.5", "-0.0", "'NaN'::double", "1000000", "2147483648", "-129", "256"]);
    // (uint64 with a signed integer computes in decimal(20,0); next to a
    // float that is decimal(38,15), which large products overflow)
    if (!this.risky && e.c.kind === "int" && e.c.bits === 64 && !e.c.signed && /[.N]/.test(lit)) lit = "1";
    if (e.c.kind === "dec" && /\./.test(lit) && !/CAST/.test(lit)) lit = "1";
    const op = this.cmpOp();
    return rng.chance(0.8) ? `${e.sql} ${op} ${lit}` : `${lit} ${op} ${e.sql}`;
  }

  cast() {
    const { rng } = this;
    const c = this.col((r) => ["int", "float", "bool", "str", "date", "ts", "dec"].includes(r.kind));
    const numT = ["TINYINT", "SMALLINT", "INT", "BIGINT", "TINYINT UNSIGNED", "SMALLINT UNSIGNED", "INT UNSIGNED", "BIGINT UNSIGNED", "FLOAT", "DOUBLE", "DECIMAL(12,3)", "DECIMAL(38,0)"];
    let t, lit;
    switch (c.kind) {
      case "int": case "float": case "dec":
        t = rng.pick([...numT, "STRING"]);
        break;
      case "bool": t = rng.pick(["INT", "STRING", "BOOLEAN", "TINYINT"]); break;
      case "str": t = rng.pick(["STRING", "INT", "DOUBLE", "DATE", "BOOLEAN"]); break;
      case "date": t = rng.pick(["TIMESTAMP", "STRING", "DATE", "TIMESTAMP(3)"]); break;
      case "ts": t = rng.pick(["DATE", "STRING", "TIMESTAMP(0)", "TIMESTAMP(9)", "BIGINT"]); break;
    }
    if (/INT|DECIMAL/.test(t)) lit = rng.pick(["0", "1", "-1", "100", "127", "255", "1000"]);
    else if (/FLOAT|DOUBLE/.test(t)) lit = rng.pick(["0.0", "1.5", "-1.0", "100.25", "'NaN'::double"]);
    else if (t === "BOOLEAN") lit = rng.pick(["true", "false"]);
    else if (t === "STRING") lit = c.kind === "str" ? this.literal(c) : sqlStr(rng.pick(["1", "0", "-1", "1.5", "2024-01-01", "true", "NaN", ""]));
    else if (/DATE/.test(t) && !/TIMESTAMP/.test(t)) lit = rng.pick(["DATE '2024-01-01'", "DATE '1970-01-01'", "DATE '2000-02-29'"]);
    else lit = rng.pick(["TIMESTAMP '2024-01-01 00:00:00'", "TIMESTAMP '1970-01-01 00:00:01.5'"]);
    const fn = this.risky && rng.chance(0.7) ? "CAST" : "TRY_CAST";
    const expr = fn === "CAST" && rng.chance(0.3) ? `${c.sql}::${t.replace(/ UNSIGNED/, "")}` : `${fn}(${c.sql} AS ${t})`;
    return `${expr} ${this.cmpOp()} ${lit}`;
  }

  temporal() {
    const { rng } = this;
    const c = this.col((r) => r.kind === "date" || r.kind === "ts");
    if (!c) return this.comparison();
    switch (rng.int(0, 3)) {
      case 0: return `${c.sql} ${this.cmpOp()} ${this.literal(c)}`;
      case 1: return `${c.sql} BETWEEN ${this.literal(c)} AND ${this.literal(c)}`;
      case 2: {
        // a date column next to a timestamp is compared as timestamp(ns): the
        // dates outside 1677..2262 in the data make that fail
        const ts = c.kind === "ts" || this.risky;
        return `${c.sql} ${this.cmpOp()} ${rng.pick(ts ? ["DATE '2024-01-01'", "TIMESTAMP '2024-01-01 00:00:00'", "TIMESTAMP '1969-12-31 23:59:59.999999'", "DATE '1900-01-01'", "TIMESTAMP '2024-02-29T12:00:00'", "TIMESTAMP(3) '2024-01-01 00:00:00.123'", "TIMESTAMP(0) '2000-01-01 00:00:00'"] : ["DATE '2024-01-01'", "DATE '1900-01-01'", "DATE '1970-01-01'"])}`;
      }
      default: return `${c.sql} IN (${this.literal(c)}, ${this.literal(c)})`;
    }
  }

  rowid() {
    const { rng } = this;
    const col = rng.pick(["_rowid", "_rowid", "_rowaddr"]);
    const ids = this.rowIds;
    const v = () => (ids.length && rng.chance(0.85) ? ids[rng.int(0, ids.length - 1)].toString() : rng.pick(["0", "1", "-1", "4294967296", "8589934592", "18446744073709551615"]));
    switch (rng.int(0, 3)) {
      case 0: return `${col} ${this.cmpOp()} ${v()}`;
      case 1: return `${col} IN (${v()}, ${v()}, ${v()})`;
      case 2: return `${col} BETWEEN ${v()} AND ${v()}`;
      default: return `${col} % ${rng.pick(["2", "3", "4294967296"])} = ${rng.pick(["0", "1"])}`;
    }
  }

  leaf() {
    const { rng } = this;
    return rng.weighted([
      [10, () => this.comparison()],
      [3, () => this.colVsCol()],
      [4, () => this.isNull()],
      [4, () => this.inList()],
      [3, () => this.between()],
      [4, () => this.like()],
      [4, () => this.arithmetic()],
      [2, () => this.cast()],
      [3, () => this.temporal()],
      [2, () => this.rowid()],
    ])();
  }

  // Leaves that can fail at run time depending on the data (a CAST that
  // does not convert, / 0, a date outside timestamp(ns)'s range) are only
  // generated as the whole filter: under AND/OR, whether real Lance
  // evaluates them on a row depends on its batches (DataFusion skips the
  // right side of AND / OR when the left side decides a whole batch, and
  // evaluates it on the selected rows only when few are), so the same
  // filter may fail on one batch layout and not on another.
  pred(depth = 0) {
    const { rng } = this;
    const p = depth === 0 ? 0.55 : depth < 3 ? 0.3 : 0;
    this.risky = depth === 0;
    if (!rng.chance(p)) return this.leaf();
    this.risky = false;
    return rng.weighted([
      [4, () => `${this.pred(depth + 1)} AND ${this.pred(depth + 1)}`],
      [3, () => `${this.pred(depth + 1)} OR ${this.pred(depth + 1)}`],
      [2, () => `(${this.pred(depth + 1)}) ${rng.pick(["AND", "OR"])} (${this.pred(depth + 1)})`],
      [2, () => `NOT (${this.pred(depth + 1)})`],
      [1, () => `(${this.pred(depth + 1)}) IS ${rng.pick(["TRUE", "FALSE", "NOT TRUE", "NOT FALSE", "NULL", "NOT NULL"])}`],
    ])();
  }
}

// ---------------------------------------------------------------------------
// running
// ---------------------------------------------------------------------------

async function realQuery(table, f) {
  try {
    const r = await table.query().where(f).withRowId(true).toArrow();
    if (r.numRows === 0) return { ok: true, ids: [] };
    const ids = [...r.getChild("_rowid").toArray()].map((x) => BigInt(x));
    ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { ok: true, ids };
  } catch (e) {
    return { ok: false, msg: String(e && e.message ? e.message : e).split("\n")[0] };
  }
}

async function realAll(table, filters, conc = 4) {
  const out = new Array(filters.length);
  let next = 0;
  const worker = async () => {
    while (next < filters.length) {
      const i = next++;
      out[i] = await realQuery(table, filters[i]);
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  return out;
}

// requests: [{ threads, limit, offset, filter }] -> [{ ok, ids (in returned order) } | { ok:false, msg }]
function lancecAll(driver, dsDir, requests) {
  // the filter is escaped (\\ \n \r \t) so that one request is one line
  const esc = (f) => f.replace(/[\\\n\r\t]/g, (ch) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[ch]);
  const input = requests.map((r) => `${r.threads}\t${r.limit}\t${r.offset}\t${esc(r.filter)}`).join("\n") + "\n";
  if (process.env.LANCEC_FILTER_DIFF_DUMP) {
    // debugging aid: the requests as the driver reads them
    fs.appendFileSync(path.join(process.env.LANCEC_FILTER_DIFF_DUMP, path.basename(dsDir) + ".requests"), input);
  }
  const p = spawnSync(driver, [dsDir], { input, maxBuffer: 1 << 30 });
  if (p.status !== 0) throw new Error(`filter_driver exited ${p.status}: ${p.stderr}`);
  const lines = p.stdout.toString("utf8").split("\n");
  if (lines.length < requests.length) throw new Error(`filter_driver answered ${lines.length} of ${requests.length} requests: ${p.stderr}`);
  return requests.map((_, i) => {
    const l = lines[i];
    if (l.startsWith("OK ")) {
      const parts = l.split(" ");
      return { ok: true, ids: parts.slice(2).map((x) => BigInt(x)) };
    }
    return { ok: false, msg: l.replace(/^ERR /, "") };
  });
}

function sortedCopy(ids) { return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); }
function isAscending(ids) { for (let i = 1; i < ids.length; i++) if (ids[i - 1] >= ids[i]) return false; return true; }
function sameList(a, b) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; }
function setDiff(a, b) { const s = new Set(b.map(String)); return a.filter((x) => !s.has(String(x))); }

function describe(r) { return r.ok ? `${r.ids.length} rows` : `error: ${r.msg.slice(0, 300)}`; }

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const lancedb = require("@lancedb/lancedb");
  const A = require("apache-arrow");
  const work = a.work ? path.resolve(a.work) : fs.mkdtempSync(path.join(os.tmpdir(), "lancec-filterdiff-"));
  fs.mkdirSync(work, { recursive: true });
  const seeds = a.seeds.split(/[\s,]+/).filter(Boolean).map((s) => {
    if (s !== "date") return s;
    const d = new Date();
    return String(d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate());
  });
  let total = 0, agree = 0, bothErr = 0, extra = 0, extraAgree = 0;
  // what the filters exercised (a filter counts once per feature)
  const FEATURES = {
    "AND/OR": / (AND|OR) /, NOT: /NOT \(/, "IS [NOT] NULL": /IS (NOT )?NULL/, "IS TRUE/FALSE": /IS (NOT )?(TRUE|FALSE)/,
    IN: / IN \(/, BETWEEN: /BETWEEN/, "[I]LIKE": /LIKE/, arithmetic: /[-+*\/%] [\w'(]/, CAST: /CAST\(|::/,
    "DATE/TIMESTAMP": /DATE '|TIMESTAMP/, "s.a": /\bst\.[abc]\b/, "_rowid/_rowaddr": /_row(id|addr)/,
    "NaN/Infinity": /NaN|Infinity/, "''": /''/,
  };
  const featureCount = Object.fromEntries(Object.keys(FEATURES).map((k) => [k, 0]));
  const mismatches = [];
  const t0 = Date.now();
  for (const seed of seeds) {
    const dbDir = path.join(work, `seed-${seed}`);
    fs.rmSync(dbDir, { recursive: true, force: true });
    console.log(`== seed ${seed}: real Lance writes ${DATASETS.map((d) => d.name).join(", ")} in ${dbDir}`);
    for (const spec of DATASETS) {
      const rng = new Rng(`lancec-filter-diff:${seed}:${spec.name}:data`);
      const ds = await buildDataset(lancedb, A, rng, dbDir, spec);
      const all = await realQuery(ds.table, "true");
      if (!all.ok) throw new Error("real Lance cannot scan " + ds.name + ": " + all.msg);
      const frng = new Rng(`lancec-filter-diff:${seed}:${spec.name}:filters`);
      const fg = new FilterGen(frng, ds, all.ids);
      let filters;
      if (a.only) filters = [a.only];
      else {
        const n = Math.round(a.filters * spec.share);
        const seen = new Set();
        filters = [];
        for (let guard = 0; filters.length < n && guard < n * 20; guard++) {
          const f = fg.pred();
          if (seen.has(f)) continue;
          seen.add(f);
          filters.push(f);
        }
      }
      const tq = Date.now();
      const real = await realAll(ds.table, filters);
      const tr = Date.now();
      const mine = lancecAll(a.driver, ds.dir, filters.map((f) => ({ threads: 0, limit: -1, offset: 0, filter: f })));
      const tl = Date.now();
      let dsAgree = 0, dsErr = 0;
      const agreed = new Array(filters.length).fill(false);
      filters.forEach((f, i) => {
        total++;
        for (const [k, re] of Object.entries(FEATURES)) if (re.test(f)) featureCount[k]++;
        const r = real[i], m = mine[i];
        let ok;
        let why = "";
        if (!r.ok || !m.ok) {
          ok = !r.ok && !m.ok;
          if (ok) dsErr++;
          else why = !r.ok ? "real Lance rejects it, lancec accepts it" : "lancec rejects it, real Lance accepts it";
        } else {
          const ms = sortedCopy(m.ids);
          ok = sameList(r.ids, ms);
          if (!ok) why = "different rows";
          else if (!isAscending(m.ids)) { ok = false; why = "lancec rows not in row order"; }
        }
        if (a.only) console.log(`   real:   ${describe(r)}${r.ok ? " " + r.ids.slice(0, 30).join(",") : ""}\n   lancec: ${describe(m)}${m.ok ? " " + m.ids.slice(0, 30).join(",") : ""}`);
        if (ok) { agree++; dsAgree++; agreed[i] = true; return; }
        const d = { seed, ds: ds.name, filter: f, why, real: describe(r), lancec: describe(m) };
        if (r.ok && m.ok) {
          const ms = sortedCopy(m.ids);
          d.only_real = setDiff(r.ids, ms).slice(0, 5).map(String);
          d.only_lancec = setDiff(ms, r.ids).slice(0, 5).map(String);
        }
        mismatches.push(d);
      });
      bothErr += dsErr;
      console.log(`   ${ds.name}: ${ds.rows.length} rows written, ${all.ids.length} live; ${filters.length} filters, ${dsAgree} agree (${dsErr} rejected by both); real Lance ${tr - tq} ms, lancec ${tl - tr} ms`);

      // order / threads / limit+offset on a subset of accepted filters
      if (!a.only) {
        // (filters whose full result agreed, so that a difference here is about order or slicing)
        const okIdx = filters.map((_, i) => i).filter((i) => agreed[i] && real[i].ok);
        for (let k = okIdx.length - 1; k > 0; k--) { const j = frng.int(0, k); [okIdx[k], okIdx[j]] = [okIdx[j], okIdx[k]]; }
        const pick = okIdx.slice(0, 120);
        const reqs = [];
        const meta = [];
        for (const i of pick) {
          const f = filters[i];
          const n = real[i].ids.length;
          reqs.push({ threads: 1, limit: -1, offset: 0, filter: f }); meta.push({ i, kind: "threads1" });
          reqs.push({ threads: 2, limit: -1, offset: 0, filter: f }); meta.push({ i, kind: "threads2" });
          const off = frng.chance(0.3) ? 0 : frng.int(0, n + 2);
          const lim = frng.chance(0.2) ? -1 : frng.int(0, Math.max(1, Math.floor(n / 2) + 3));
          reqs.push({ threads: frng.pick([1, 2, 0]), limit: lim, offset: off, filter: f }); meta.push({ i, kind: "slice", lim, off });
        }
        const res = lancecAll(a.driver, ds.dir, reqs);
        let sub = 0, subOk = 0;
        res.forEach((m, k) => {
          const { i, kind, lim, off } = meta[k];
          const want = kind === "slice" ? real[i].ids.slice(off, lim < 0 ? undefined : off + lim) : real[i].ids;
          sub++;
          if (m.ok && sameList(m.ids, want)) { subOk++; return; }
          mismatches.push({
            seed, ds: ds.name, filter: filters[i], why: `${kind}${kind === "slice" ? ` limit ${lim} offset ${off}` : ""}: lancec rows differ from the sorted real rows`,
            real: `${want.length} rows`, lancec: describe(m),
            first_real: want.slice(0, 5).map(String), first_lancec: m.ok ? m.ids.slice(0, 5).map(String) : [],
          });
        });
        extra += sub; extraAgree += subOk;
        console.log(`   ${ds.name}: order/threads/limit+offset checks: ${subOk}/${sub} agree`);

        // a few through the CLI
        if (a.lancec) {
          let cli = 0, cliOk = 0;
          for (const i of okIdx.slice(0, 6)) {
            const p = spawnSync(a.lancec, ["scan", ds.dir, "--where", filters[i], "--with-row-id", "--columns", "id", "--format", "jsonl"], { maxBuffer: 1 << 28 });
            cli++;
            const got = p.status === 0 ? p.stdout.toString().split("\n").filter(Boolean).map((l) => BigInt(JSON.parse(l)._rowid)) : null;
            if (got && sameList(got, real[i].ids)) { cliOk++; continue; }
            mismatches.push({ seed, ds: ds.name, filter: filters[i], why: "lancec scan CLI differs", real: `${real[i].ids.length} rows`, lancec: got ? `${got.length} rows` : `exit ${p.status}: ${p.stderr.toString().slice(0, 300)}` });
          }
          extra += cli; extraAgree += cliOk;
          console.log(`   ${ds.name}: CLI checks: ${cliOk}/${cli} agree`);
        }
      }
    }
  }
  console.log(`\n${total} filters over ${seeds.length} seed(s) (${seeds.join(", ")}): ${agree} agree (${bothErr} rejected by both), ${total - agree} differ; ` +
    `order/slice/CLI checks ${extraAgree}/${extra}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log("filters using: " + Object.entries(featureCount).map(([k, v]) => `${k} ${v}`).join(", "));
  if (mismatches.length) {
    console.log(`\nMISMATCHES (${mismatches.length}):`);
    for (const m of a.verbose ? mismatches : mismatches.slice(0, 60)) {
      console.log(`-- [seed ${m.seed} ${m.ds}] ${m.why}\n   filter: ${m.filter}\n   real Lance: ${m.real}\n   lancec:     ${m.lancec}`);
      if (m.only_real) console.log(`   only in real: ${m.only_real.join(", ")}   only in lancec: ${m.only_lancec.join(", ")}`);
      if (m.first_real) console.log(`   first real: ${m.first_real.join(", ")}   first lancec: ${m.first_lancec.join(", ")}`);
    }
    if (!a.verbose && mismatches.length > 60) console.log(`... and ${mismatches.length - 60} more`);
    console.log(`\nreproduce one: node ${path.relative(process.cwd(), THIS)} --driver ${a.driver} --seeds <seed> --only-filter '<filter>'`);
  }
  if (!a.keep && !a.work) fs.rmSync(work, { recursive: true, force: true });
  else console.log("datasets kept in " + work);
  process.exit(mismatches.length ? 1 : 0);
}

main().catch((e) => { console.error("filter_diff: " + (e && e.stack ? e.stack : e)); process.exit(2); });
