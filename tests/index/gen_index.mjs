#!/usr/bin/env node
// Builds datasets with scalar indices using the REAL Lance engine
// (@lancedb/lancedb from tests/interop/node_modules) and records, for many
// filters, the rows real Lance returns (query().where(f).withRowId(true)).
// tests/index/index_probe.c then checks lancec's index answer against them.
//
// usage: node gen_index.mjs --out DIR [--shared DIR] [--seed N]
//
// Writes
//   DIR/<name>.lance/                the dataset
//   DIR/<case set>.cases.jsonl       one line per filter:
//        {"filter": "...", "rowids": ["<u64>", ...], "expect": "<index name>"|"none"|"any",
//         "version": <dataset version the answer is for>}
//        or {"filter": "...", "error": "..."} when real Lance rejects the filter
//   DIR/<name>.info.json             fragments, indices as listIndices() reports them
//
// Datasets
//   main    4 fragments of 5000 rows (the last appended after the indices were
//           built, so coverage is partial), rows deleted before and after
//           indexing, rows moved by an update, nulls in most columns; BTree on id, i32, i64, u32, f64,
//           f32, s, d, ts, tsz; Bitmap on cat, b, u8, i16; LabelList on tags.
//   small   one fragment, BTree + Bitmap on columns that are entirely null /
//           entirely NaN / one value (edge pages).
//   opt     small fragments, indices, append, optimize() (compaction remaps
//           the indices, the index update merges the new rows), append, delete.
//   stable  stable row ids (the indices hold row ids), rows moved by update()
//   stable2 the same after optimize(), more updates and deletions
// Exit status: 0 ok, 1 a step failed, 2 usage.

import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(url.fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const out = opt("--out", null);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR || path.join(here, "../../../shared"));
const seed = opt("--seed", "1");
if (!out) {
  console.error("usage: node gen_index.mjs --out DIR [--shared DIR] [--seed N]");
  process.exit(2);
}
const require = createRequire(path.join(here, "../interop/package.json"));
const lancedb = require("@lancedb/lancedb");
const { makeTable, arrowModule, Rng } = await import(path.join(shared, "corpus/gen/common.mjs"));
const A = arrowModule();

fs.mkdirSync(out, { recursive: true });
const rng = new Rng(`index-${seed}`);
const FRAG = 5000;

// ---- values -------------------------------------------------------------------
const CATS = ["red", "green", "blue", "cyan", "magenta", "yellow", "black", "white", "", "ünï", "a'b", "zz"];
const DAY0 = 18000; // 2019-04-14
const US0 = 1577836800000000n; // 2020-01-01T00:00:00Z in microseconds

function row(i) {
  const nul = (p) => rng.chance(p);
  const f64Special = [NaN, Infinity, -Infinity, -0.0, 0.0, 1e308, -1e-308];
  return {
    id: i,
    i32: nul(0.1) ? null : rng.int(-1000, 1000),
    i64: nul(0.05) ? null : rng.bigint(-(2n ** 62n), 2n ** 62n),
    u32: nul(0.05) ? null : rng.int(0, 4294967295),
    f64: nul(0.08) ? null : rng.chance(0.05) ? rng.pick(f64Special) : Math.round(rng.gauss() * 1000) / 8,
    f32: nul(0.05) ? null : rng.chance(0.03) ? NaN : Math.fround(rng.gauss() * 50),
    s: nul(0.07) ? null : rng.chance(0.02) ? "" : "s" + rng.int(0, 99999).toString(36) + (rng.chance(0.1) ? "é" : ""),
    cat: nul(0.06) ? null : rng.pick(CATS),
    d: nul(0.05) ? null : DAY0 + rng.int(-400, 400),
    ts: nul(0.05) ? null : US0 + BigInt(rng.int(-86400 * 200, 86400 * 200)) * 1000000n + BigInt(rng.int(0, 999999)),
    tsz: nul(0.05) ? null : 1577836800000 + rng.int(-86400 * 50, 86400 * 50) * 1000,
    b: nul(0.1) ? null : rng.chance(0.3),
    u8: nul(0.04) ? null : rng.int(0, 255),
    i16: nul(0.04) ? null : rng.int(-20, 20),
    tags: nul(0.1) ? null : Array.from({ length: rng.int(0, 3) }, () => rng.pick(["x", "y", "z", "w"])),
  };
}

const COLS = [
  ["id", new A.Int64(), false],
  ["i32", new A.Int32()],
  ["i64", new A.Int64()],
  ["u32", new A.Uint32()],
  ["f64", new A.Float64()],
  ["f32", new A.Float32()],
  ["s", new A.Utf8()],
  ["cat", new A.Utf8()],
  ["d", new A.DateDay()],
  ["ts", new A.TimestampMicrosecond()],
  ["tsz", new A.TimestampMillisecond("UTC")],
  ["b", new A.Bool()],
  ["u8", new A.Uint8()],
  ["i16", new A.Int16()],
  ["tags", new A.List(new A.Field("item", new A.Utf8(), true))],
];

function table(rows, cols = COLS) {
  return makeTable(
    cols.map(([name, type, nullable]) => ({
      name,
      type,
      nullable: nullable !== false,
      values: rows.map((r) => r[name]),
    })),
  );
}

// ---- filters ------------------------------------------------------------------
// expect: the index that must be used ("none" = no index may be used; "any" =
// not checked). Several indexed conjuncts: expect lists them joined by "+".
const MAIN_CASES = [
  ["id = 17", "id_idx"],
  ["id < 100", "id_idx"],
  ["id >= 19990", "id_idx"],
  ["id BETWEEN 4000 AND 6100", "id_idx"],
  ["id IN (0, 4999, 5000, 9999, 10000, 14999, 15000, 19999, 123456)", "id_idx"],
  ["id > 14990.5", "id_idx"],
  ["id = 7.0", "id_idx"],
  ["i32 = 5", "i32_idx"],
  ["i32 = -1000", "i32_idx"],
  ["i32 = 1000", "i32_idx"],
  ["i32 = 4000", "i32_idx"],
  ["i32 < -990", "i32_idx"],
  ["i32 <= -990", "i32_idx"],
  ["i32 > 990", "i32_idx"],
  ["i32 >= 990", "i32_idx"],
  ["-5 < i32", "i32_idx"],
  ["i32 > 2.5", "i32_idx"],
  ["i32 = 2.5", "i32_idx"],
  ["i32 BETWEEN -3 AND 3", "i32_idx"],
  ["i32 BETWEEN 3 AND -3", "i32_idx"],
  ["i32 IN (1, 2, 3, -999, 7777)", "i32_idx"],
  ["i32 IN (5, NULL)", "i32_idx"],
  ["i32 IS NULL", "i32_idx"],
  ["i32 IS NOT NULL", "i32_idx"],
  ["i32 = NULL", "any"],
  ["i32 > 10 AND i32 < 20", "i32_idx"],
  ["i32 > 0 AND cat = 'red'", "i32_idx+cat_idx"],
  ["i32 > 0 AND cat = 'red' AND id < 12000", "i32_idx+cat_idx+id_idx"],
  ["i32 > 0 OR cat = 'red'", "none"],
  ["i32 + 1 > 5", "none"],
  ["i32 != 5", "none"],
  ["NOT (i32 = 5)", "none"],
  ["i32 = 5 AND s IS NOT NULL", "i32_idx+s_idx"],
  ["i32 = 5 AND (s < 'b' OR s IS NULL)", "i32_idx"],
  ["i64 > 4000000000000000000", "i64_idx"],
  ["i64 < -4000000000000000000", "i64_idx"],
  ["i64 = 0", "i64_idx"],
  ["i64 IS NULL", "i64_idx"],
  ["i64 > 1.5e18", "i64_idx"],
  ["u32 > 4000000000", "u32_idx"],
  ["u32 < 1000000", "u32_idx"],
  ["u32 >= 2147483648", "u32_idx"],
  ["u32 > -1", "u32_idx"],
  ["u32 < -1", "u32_idx"],
  ["f64 > 100", "f64_idx"],
  ["f64 < -100", "f64_idx"],
  ["f64 = 0", "f64_idx"],
  ["f64 = -0.0", "f64_idx"],
  ["f64 >= 0", "f64_idx"],
  ["f64 < 0", "f64_idx"],
  ["f64 = 12.5", "f64_idx"],
  ["f64 > 1e300", "f64_idx"],
  ["f64 = 'NaN'::double", "f64_idx"],
  ["f64 = 'Infinity'::double", "f64_idx"],
  ["f64 < '-Infinity'::double", "f64_idx"],
  ["f64 <= '-Infinity'::double", "f64_idx"],
  ["f64 >= 'Infinity'::double", "f64_idx"],
  ["f64 IS NULL", "f64_idx"],
  ["f64 BETWEEN -1 AND 1", "f64_idx"],
  ["f64 IN (12.5, -0.125, 1000)", "f64_idx"],
  ["f64 > 5", "f64_idx"],
  ["f32 > 50", "f32_idx"],
  ["f32 < -50.5", "f32_idx"],
  ["f32 = 'NaN'::double", "f32_idx"],
  ["f32 IS NULL", "f32_idx"],
  ["s = ''", "s_idx"],
  ["s < 's1'", "s_idx"],
  ["s >= 'sz'", "s_idx"],
  ["s > 's2z'", "s_idx"],
  ["s BETWEEN 's3' AND 's4'", "s_idx"],
  ["s IN ('s0', 's1', 'nope', '')", "s_idx"],
  ["s IS NULL", "s_idx"],
  ["s LIKE 's1%'", "none"],
  ["cat = 'red'", "cat_idx"],
  ["cat = ''", "cat_idx"],
  ["cat = 'ünï'", "cat_idx"],
  ["cat = 'a''b'", "cat_idx"],
  ["cat = 'nope'", "cat_idx"],
  ["cat IN ('red', 'zz', 'nope')", "cat_idx"],
  ["cat < 'c'", "cat_idx"],
  ["cat >= 'w'", "cat_idx"],
  ["cat BETWEEN 'b' AND 'g'", "cat_idx"],
  ["cat IS NULL", "cat_idx"],
  ["cat IS NOT NULL", "cat_idx"],
  ["cat != 'red'", "cat_idx"],
  ["cat NOT IN ('red', 'blue')", "cat_idx"],
  ["cat LIKE 'b%'", "cat_idx"],
  ["d = DATE '2019-04-14'", "d_idx"],
  ["d > '2020-01-01'", "d_idx"],
  ["d < DATE '2018-04-01'", "d_idx"],
  ["d BETWEEN '2019-01-01' AND '2019-02-01'", "d_idx"],
  ["d IS NULL", "d_idx"],
  ["d >= TIMESTAMP '2019-04-14 12:00:00'", "d_idx"],
  ["ts > TIMESTAMP '2020-07-01 00:00:00'", "ts_idx"],
  ["ts < TIMESTAMP '2019-06-20 12:34:56.5'", "ts_idx"],
  ["ts >= '2020-03-01'", "ts_idx"],
  ["ts BETWEEN TIMESTAMP '2020-01-01 00:00:00' AND TIMESTAMP '2020-01-02 00:00:00'", "ts_idx"],
  ["ts IS NULL", "ts_idx"],
  ["ts > DATE '2020-05-01'", "ts_idx"],
  ["tsz < TIMESTAMP '2019-12-01 00:00:00Z'", "tsz_idx"],
  ["tsz > TIMESTAMP '2020-01-10 00:00:00+02:00'", "tsz_idx"],
  ["tsz = TIMESTAMP '2020-01-01 00:00:00'", "tsz_idx"],
  ["b = true", "b_idx"],
  ["b = false", "b_idx"],
  ["b", "b_idx"],
  ["NOT b", "b_idx"],
  ["b IS NULL", "b_idx"],
  ["b IS NOT TRUE", "b_idx"],
  ["u8 = 255", "u8_idx"],
  ["u8 > 250", "u8_idx"],
  ["u8 IN (0, 1, 2, 300)", "u8_idx"],
  ["u8 IS NULL", "u8_idx"],
  ["u8 BETWEEN 10 AND 12", "u8_idx"],
  ["i16 = -20", "i16_idx"],
  ["i16 < -15", "i16_idx"],
  ["i16 = 3 AND u8 < 100 AND b", "i16_idx+u8_idx+b_idx"],
  ["i16 >= 1.5", "i16_idx"],
  ["tags IS NULL", "none"],
  ["id < 7000 AND i32 > 500 AND f64 > 0 AND s > 's5'", "id_idx+i32_idx+f64_idx+s_idx"],
];

const SMALL_CASES = [
  ["allnull = 5", "allnull_idx"],
  ["allnull IS NULL", "allnull_idx"],
  ["allnull IS NOT NULL", "allnull_idx"],
  ["allnan = 'NaN'::double", "allnan_idx"],
  ["allnan > 0", "allnan_idx"],
  ["allnan < 0", "allnan_idx"],
  ["one = 1", "one_idx"],
  ["one > 1", "one_idx"],
  ["one < 1", "one_idx"],
  ["one BETWEEN 0 AND 2", "one_idx"],
  ["bnull IS NULL", "bnull_idx"],
  ["bnull = 'x'", "bnull_idx"],
  ["k = 3", "k_idx"],
];

async function query(t, filter) {
  const rows = await t.query().where(filter).withRowId(true).select(["id"]).toArray();
  return rows.map((r) => String(r._rowid)).sort();
}

async function writeCases(t, name, cases) {
  const lines = [];
  const version = await t.version();
  for (const [filter, expect] of cases) {
    try {
      const rowids = await query(t, filter);
      lines.push(JSON.stringify({ filter, rowids, expect, version }));
    } catch (e) {
      // filters real Lance rejects are recorded (and skipped by the probe)
      lines.push(JSON.stringify({ filter, error: String(e.message || e).split("\n")[0], expect, version }));
    }
  }
  fs.writeFileSync(path.join(out, `${name}.cases.jsonl`), lines.join("\n") + "\n");
  const info = { indices: await t.listIndices(), rows: await t.countRows(), version };
  fs.writeFileSync(path.join(out, `${name}.info.json`), JSON.stringify(info, null, 1));
  console.log(`${name}: ${cases.length} filters, ${info.indices.length} indices, ${info.rows} rows`);
}

async function buildMain(db) {
  const rows = [];
  for (let i = 0; i < 4 * FRAG; i++) rows.push(row(i));
  const t = await db.createTable("main", table(rows.slice(0, FRAG)), { mode: "overwrite" });
  await t.add(table(rows.slice(FRAG, 2 * FRAG)));
  await t.add(table(rows.slice(2 * FRAG, 3 * FRAG)));
  await t.delete("id % 97 = 3"); // before indexing: not in the index
  const btree = ["id", "i32", "i64", "u32", "f64", "f32", "s", "d", "ts", "tsz"];
  const bitmap = ["cat", "b", "u8", "i16"];
  for (const c of btree) await t.createIndex(c, { config: lancedb.Index.btree() });
  for (const c of bitmap) await t.createIndex(c, { config: lancedb.Index.bitmap() });
  await t.createIndex("tags", { config: lancedb.Index.labelList() });
  await t.add(table(rows.slice(3 * FRAG))); // not covered by any index
  await t.delete("id % 101 = 7"); // after indexing: still in the index
  // rows moved to a new fragment by an update of one indexed column
  await t.update({ where: "id % 250 = 1", valuesSql: { i32: "i32 + 1" } });
  await writeCases(t, "main", MAIN_CASES);
}

async function buildSmall(db) {
  const n = 300;
  const cols = [
    ["id", new A.Int64(), false],
    ["allnull", new A.Int32()],
    ["allnan", new A.Float64()],
    ["one", new A.Int16()],
    ["bnull", new A.Utf8()],
    ["k", new A.Int32()],
  ];
  const rows = [];
  for (let i = 0; i < n; i++)
    rows.push({ id: i, allnull: null, allnan: i % 10 === 0 ? null : NaN, one: 1, bnull: null, k: i % 7 });
  const t = await db.createTable("small", table(rows, cols), { mode: "overwrite" });
  for (const c of ["allnull", "allnan", "one"]) await t.createIndex(c, { config: lancedb.Index.btree() });
  for (const c of ["bnull", "k"]) await t.createIndex(c, { config: lancedb.Index.bitmap() });
  await writeCases(t, "small", SMALL_CASES);
}

// Several small fragments, indices, an append, then optimize(): compaction
// rewrites the fragments (indices remapped to new row addresses) and the
// index update merges the appended rows; then more rows are appended and
// deleted.
const OPT_CASES = [
  ["x = 7", "x_idx"],
  ["x < 3", "x_idx"],
  ["x >= 990", "x_idx"],
  ["x IN (1, 500, 999)", "x_idx"],
  ["x IS NULL", "x_idx"],
  ["c = 'c3'", "c_idx"],
  ["c IN ('c0', 'c9')", "c_idx"],
  ["c IS NULL", "c_idx"],
  ["x > 500 AND c = 'c1'", "x_idx+c_idx"],
];

async function buildOpt(db) {
  const cols = [
    ["id", new A.Int64(), false],
    ["x", new A.Int32()],
    ["c", new A.Utf8()],
  ];
  const mk = (lo, hi) => {
    const rows = [];
    for (let i = lo; i < hi; i++) rows.push({ id: i, x: i % 13 === 0 ? null : (i * 7919) % 1000, c: i % 11 === 0 ? null : "c" + (i % 10) });
    return table(rows, cols);
  };
  const t = await db.createTable("opt", mk(0, 1000), { mode: "overwrite" });
  for (let k = 1; k < 4; k++) await t.add(mk(k * 1000, (k + 1) * 1000));
  await t.delete("id % 9 = 0");
  await t.createIndex("x", { config: lancedb.Index.btree() });
  await t.createIndex("c", { config: lancedb.Index.bitmap() });
  await t.add(mk(4000, 5000));
  await t.optimize({ cleanupOlderThan: new Date(Date.now() + 1000) });
  await t.add(mk(5000, 5500));
  await t.delete("id % 17 = 1");
  await writeCases(t, "opt", OPT_CASES);
}

// Stable row ids: the indices hold row ids, not addresses. Rows updated
// after indexing move to new (unindexed) fragments keeping their ids;
// optimize() compacts (ids kept, index coverage follows) and indexes the rest.
const STABLE_CASES = [
  ["x = 5", "x_idx"],
  ["x < 3", "x_idx"],
  ["x >= 99", "x_idx"],
  ["x IS NULL", "x_idx"],
  ["y = 3", "y_idx"],
  ["y IN (0, 6)", "y_idx"],
  ["x = 5 AND y = 2", "x_idx+y_idx"],
  ["x > 1000", "x_idx"],
];

async function buildStable(db) {
  const cols = [
    ["id", new A.Int64(), false],
    ["x", new A.Int32()],
    ["y", new A.Int32()],
  ];
  const mk = (lo, hi) => {
    const rows = [];
    for (let i = lo; i < hi; i++) rows.push({ id: i, x: i % 37 === 0 ? null : i % 100, y: i % 7 });
    return table(rows, cols);
  };
  const t = await db.createTable("stable", mk(0, 1000), {
    mode: "overwrite",
    storageOptions: { newTableEnableStableRowIds: "true" },
  });
  await t.add(mk(1000, 2000));
  await t.add(mk(2000, 3000));
  await t.delete("id % 3 = 0");
  await t.createIndex("x", { config: lancedb.Index.btree() });
  await t.createIndex("y", { config: lancedb.Index.bitmap() });
  await t.update({ where: "id < 40 OR id BETWEEN 1500 AND 1520", valuesSql: { x: "x + 1000" } });
  await t.add(mk(3000, 3300));
  await writeCases(t, "stable", STABLE_CASES);
  await t.optimize(); /* keeps the version "stable" was answered for */
  await t.update({ where: "id BETWEEN 2000 AND 2010", valuesSql: { x: "x + 2000" } });
  await t.delete("id % 11 = 4");
  await writeCases(t, "stable2", STABLE_CASES);
}

try {
  const db = await lancedb.connect(out);
  await buildMain(db);
  await buildSmall(db);
  await buildOpt(db);
  await buildStable(db);
} catch (e) {
  console.error("gen_index: " + (e && e.stack ? e.stack : e));
  process.exit(1);
}
