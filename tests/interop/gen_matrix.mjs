#!/usr/bin/env node
// Interop matrix generator: writes fresh Lance datasets with the REAL Lance
// engine (@lancedb/lancedb 0.39.0 from ./node_modules, see package.json) and,
// for every dataset and every version of it, the rows real Lance reads back,
// in the corpus conventions (shared/corpus/README.md):
//
//   OUT/<fmt>/<name>.lance/                 the dataset (data storage version <fmt>)
//   OUT/<fmt>/<name>.expected.jsonl[.gz]    rows of the latest version
//   OUT/<fmt>/<name>.v<N>.expected.jsonl    rows of older version N (time travel)
//   OUT/<fmt>/<name>.meta.json              schema, versions, fragments, ... + "plan"
//   OUT/matrix.tsv                          one line per (dataset, version) to check:
//        fmt  name  version  latest(1|0)  dataset_dir  expected_file  meta_file
//   OUT/matrix.json                         the same plus seed, failures, timings
//
// usage: node gen_matrix.mjs --out DIR [--seed N|date] [--versions 2.1,2.2]
//                            [--only a,b] [--jobs N] [--shared DIR] [--protos DIR] [--list]
//   --seed      integer (default 1) or "date" (YYYYMMDD of today, UTC); printed.
//   --versions  data storage versions to write (default 2.1,2.2; 2.0 accepted)
//   --jobs      datasets built in parallel (child processes; default 2)
//   --shared    the shared/ folder (default $LANCEC_SHARED_DIR, else ../../../shared)
//   --protos    Lance protos folder: meta.json gets the decoded page encodings
//
// Values come from a seeded PRNG; each dataset draws from its own stream
// derived from (seed, dataset name), the same for every format, so a dataset
// holds the same rows in 2.1 and 2.2.  Which value distribution and which
// null pattern each column gets is itself drawn from the stream (every
// distribution of a type family appears at least once per dataset), so
// another seed exercises other combinations.  The shared corpus modules
// (common.mjs: Arrow building + cellJson, dumpcore.mjs: expected files,
// values.mjs: value generators) are imported from <shared>/corpus/gen/.
//
// Exit status: 0 all datasets written, 1 some dataset failed, 2 usage error.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

const THIS = fileURLToPath(import.meta.url);
const HERE = path.dirname(THIS);
const WANT_LANCEDB = "0.39.0";

// ---------------------------------------------------------------------------
// arguments
// ---------------------------------------------------------------------------

function usage(code) {
  const text = fs.readFileSync(THIS, "utf8").split("\n").slice(1, 28).map((l) => l.replace(/^\/\/ ?/, "")).join("\n");
  (code ? process.stderr : process.stdout).write(text + "\n");
  process.exit(code);
}

function parseArgs(argv) {
  const a = { out: null, seed: "1", versions: ["2.1", "2.2"], only: null, jobs: 2, shared: null, protos: null, list: false, worker: null, fmt: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) { console.error(`gen_matrix: ${k} needs a value`); process.exit(2); }
      return argv[++i];
    };
    if (k === "--out") a.out = next();
    else if (k === "--seed") a.seed = next();
    else if (k === "--versions") a.versions = next().split(",").map((s) => s.trim()).filter(Boolean);
    else if (k === "--only") a.only = next().split(",");
    else if (k === "--jobs") a.jobs = Math.max(1, Number(next()) || 1);
    else if (k === "--shared") a.shared = next();
    else if (k === "--protos") a.protos = next();
    else if (k === "--list") a.list = true;
    else if (k === "--worker") a.worker = next();
    else if (k === "--fmt") a.fmt = next();
    else if (k === "-h" || k === "--help") usage(0);
    else { console.error("gen_matrix: unknown argument " + k); usage(2); }
  }
  if (a.seed === "date") {
    const d = new Date();
    a.seed = String(d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate());
  }
  if (!/^-?\d+$/.test(a.seed)) { console.error("gen_matrix: --seed must be an integer or 'date'"); process.exit(2); }
  for (const v of a.versions) {
    if (!["2.0", "2.1", "2.2"].includes(v)) { console.error(`gen_matrix: unsupported version ${v} (2.0, 2.1, 2.2)`); process.exit(2); }
  }
  return a;
}

function sharedGenDir(a) {
  const shared = a.shared || process.env.LANCEC_SHARED_DIR || path.resolve(HERE, "../../../shared");
  const gen = path.join(path.resolve(shared), "corpus", "gen");
  if (!fs.existsSync(path.join(gen, "common.mjs"))) {
    console.error(`gen_matrix: ${gen}/common.mjs not found (set LANCEC_SHARED_DIR or --shared)`);
    process.exit(2);
  }
  return gen;
}

// ---------------------------------------------------------------------------
// dataset definitions
// ---------------------------------------------------------------------------
// build(ctx) writes the dataset ctx.name into ctx.db with ctx.create(...).
// ctx: { A, M (shared modules), rng, fmt, seed, plan[], create, note }

const is20 = (ctx) => ctx.fmt === "2.0";

// Shuffle `list` repeated until it has at least n entries: every entry is
// used once before any is used twice.
function spread(rng, list, n) {
  const out = [];
  while (out.length < n) out.push(...rng.shuffle([...list]));
  return out.slice(0, n);
}

const NULLS = ["n0", "n0", "n10", "n50", "n90", "n100", "runs", "sparse", "first_last", "alt", "n1"];

// The shared cellJson decodes strings with a default TextDecoder, which drops
// a leading U+FEFF (BOM), so expected rows would lack it.  Keep U+FEFF only
// inside strings (prefix "~") until that is fixed in shared/corpus/gen.
const bomSafe = (v) => (typeof v === "string" && v.charCodeAt(0) === 0xfeff ? "~" + v : v);

function colSpec(ctx, name, type, values, { nullPattern = "n0", valuePattern = null, metadata = null, nullable = true } = {}) {
  const vals = ctx.M.applyNulls(ctx.rng, values.map(bomSafe), nullPattern);
  ctx.plan.push({ column: name, type: ctx.M.typeString(type), values: valuePattern, nulls: nullPattern, ...(metadata ? { metadata } : {}) });
  return { name, type, values: vals, nullable, ...(metadata ? { metadata } : {}) };
}

// Null structs cannot be written to 2.0 files (Lance 12 refuses them);
// there a null struct becomes a struct of null children.
function noNullStructs(A, type, v) {
  if (v === null || v === undefined) {
    if (type.typeId === A.Type.Struct) {
      const o = {};
      for (const f of type.children) o[f.name] = noNullStructs(A, f.type, null);
      return o;
    }
    return v;
  }
  switch (type.typeId) {
    case A.Type.Struct: {
      const o = {};
      for (const f of type.children) o[f.name] = noNullStructs(A, f.type, v[f.name] === undefined ? null : v[f.name]);
      return o;
    }
    case A.Type.List:
    case A.Type.FixedSizeList:
      return v.map((x) => noNullStructs(A, type.children[0].type, x));
    default:
      return v;
  }
}

function fixFor20(ctx, cols) {
  if (!is20(ctx)) return cols;
  return cols.map((c) => ({ ...c, values: c.values.map((v) => noNullStructs(ctx.A, c.type, v)) }));
}

// --- integer / bool / float / decimal / temporal ---------------------------

const INT_PATTERNS = ["rand", "small", "smallneg", "mid", "sorted", "seq", "const", "runs", "extremes", "lowcard", "step"];

function genIntsX(ctx, n, bits, signed, pattern) {
  const { rng, M } = ctx;
  const conv = bits === 64 ? (x) => BigInt(x) : (x) => Number(x);
  if (pattern === "lowcard") {
    const { min, max } = M.intRange(bits, signed);
    const pool = Array.from({ length: rng.int(2, 6) }, () => conv(rng.bigint(min, max)));
    return M.I(n, () => rng.pick(pool));
  }
  if (pattern === "step") {
    // arithmetic progression inside the type's range (delta-friendly)
    const { min, max } = M.intRange(bits, signed);
    const step = BigInt(rng.int(1, 9));
    const span = max - min + 1n;
    const start = rng.bigint(min, max);
    return M.I(n, (i) => conv(min + (((start - min) + BigInt(i) * step) % span)));
  }
  return M.genInts(rng, n, bits, signed, pattern);
}

const BOOL_PATTERNS = ["rand", "mostly_false", "const_true", "runs", "alt"];
function genBools(ctx, n, pattern) {
  const { rng, M } = ctx;
  switch (pattern) {
    case "rand": return M.I(n, () => rng.chance(0.5));
    case "mostly_false": return M.I(n, () => rng.chance(0.02));
    case "const_true": return M.I(n, () => true);
    case "alt": return M.I(n, (i) => i % 2 === 0);
    case "runs": {
      const out = new Array(n);
      let i = 0;
      let b = rng.chance(0.5);
      while (i < n) {
        const len = rng.int(1, 400);
        for (let j = i; j < Math.min(n, i + len); j++) out[j] = b;
        i += len;
        b = !b;
      }
      return out;
    }
  }
  throw new Error("bool pattern " + pattern);
}

const FLOAT_PATTERNS = ["gauss", "unit", "special", "const", "sorted", "intlike", "lowcard", "wide", "dec2"];

const DEC_PATTERNS = ["rand", "small", "const", "lowcard", "runs", "extremes"];
function genDecimals(ctx, n, precision, pattern) {
  const { rng, M } = ctx;
  const lim = 10n ** BigInt(precision) - 1n;
  switch (pattern) {
    case "rand": return M.I(n, () => rng.bigint(-lim, lim));
    case "small": return M.I(n, () => BigInt(rng.int(-1000, 1000)));
    case "const": { const v = rng.bigint(-lim, lim); return M.I(n, () => v); }
    case "lowcard": { const pool = M.I(4, () => rng.bigint(-lim, lim)); return M.I(n, () => rng.pick(pool)); }
    case "runs": {
      const out = new Array(n);
      let i = 0;
      while (i < n) {
        const len = rng.int(10, 200);
        const v = rng.bigint(-lim, lim);
        for (let j = i; j < Math.min(n, i + len); j++) out[j] = v;
        i += len;
      }
      return out;
    }
    case "extremes": return M.I(n, () => rng.pick([lim, -lim, 0n, 1n, -1n]));
  }
  throw new Error("decimal pattern " + pattern);
}

const TEMP_PATTERNS = ["rand", "sorted", "const", "runs", "small"];
function genTemporal(ctx, n, lo, hi, pattern, big) {
  const { rng, M } = ctx;
  const conv = big ? (x) => BigInt(x) : (x) => Number(x);
  const r = () => rng.bigint(BigInt(lo), BigInt(hi));
  switch (pattern) {
    case "rand": return M.I(n, () => conv(r()));
    case "sorted": return M.I(n, () => r()).sort(M.bigSort).map(conv);
    case "const": { const v = conv(r()); return M.I(n, () => v); }
    case "small": { const b = r(); return M.I(n, () => conv(b + BigInt(rng.int(0, 100)))); }
    case "runs": {
      const out = new Array(n);
      let i = 0;
      while (i < n) {
        const len = rng.int(10, 300);
        const v = conv(r());
        for (let j = i; j < Math.min(n, i + len); j++) out[j] = v;
        i += len;
      }
      return out;
    }
  }
  throw new Error("temporal pattern " + pattern);
}

function primitiveColumns(ctx, n) {
  const { A, rng, M } = ctx;
  const cols = [];
  const nulls = (k) => spread(rng, NULLS, k);
  // integers: 2 columns per type
  const ints = [
    ["i8", 8, true, new A.Int8()], ["i16", 16, true, new A.Int16()], ["i32", 32, true, new A.Int32()],
    ["i64", 64, true, new A.Int64()], ["u8", 8, false, new A.Uint8()], ["u16", 16, false, new A.Uint16()],
    ["u32", 32, false, new A.Uint32()], ["u64", 64, false, new A.Uint64()],
  ];
  const ip = spread(rng, INT_PATTERNS, ints.length * 2);
  const inl = nulls(ints.length * 2);
  ints.forEach(([tag, bits, signed, type], k) => {
    for (let j = 0; j < 2; j++) {
      const vp = ip[2 * k + j];
      const np = inl[2 * k + j];
      cols.push(colSpec(ctx, `${tag}_${vp}_${np}`, type, genIntsX(ctx, n, bits, signed, vp), { valuePattern: vp, nullPattern: np }));
    }
  });
  // bools
  const bp = spread(rng, BOOL_PATTERNS, 3);
  const bn = nulls(3);
  for (let j = 0; j < 3; j++) cols.push(colSpec(ctx, `bool_${bp[j]}_${bn[j]}`, new A.Bool(), genBools(ctx, n, bp[j]), { valuePattern: bp[j], nullPattern: bn[j] }));
  // floats: first column of each width has the specials (NaN, +-Inf, -0.0)
  const floats = [["f16", 16, new A.Float16()], ["f32", 32, new A.Float32()], ["f64", 64, new A.Float64()]];
  const fp = spread(rng, FLOAT_PATTERNS.filter((p) => p !== "special"), floats.length * 2);
  const fnl = nulls(floats.length * 3);
  floats.forEach(([tag, bits, type], k) => {
    const pats = ["special", fp[2 * k], fp[2 * k + 1]];
    pats.forEach((vp, j) => {
      const np = fnl[3 * k + j];
      cols.push(colSpec(ctx, `${tag}_${vp}_${np}`, type, M.genFloats(rng, n, bits, vp), { valuePattern: vp, nullPattern: np }));
    });
  });
  // decimals
  const decs = [[128, 10, 2], [128, 38, 0], [128, 38, 18], [128, 18, -3], [256, 76, 38], [256, 40, 5]];
  const dp = spread(rng, DEC_PATTERNS, decs.length);
  const dn = nulls(decs.length);
  decs.forEach(([bw, p, s], k) => {
    const name = `d${bw}_${p}_${s < 0 ? "m" + -s : s}_${dp[k]}_${dn[k]}`;
    cols.push(colSpec(ctx, name, new A.Decimal(s, p, bw), genDecimals(ctx, n, p, dp[k]), { valuePattern: dp[k], nullPattern: dn[k] }));
  });
  // temporal
  const U = A.TimeUnit;
  const tsRange = { [U.SECOND]: 4102444800n, [U.MILLISECOND]: 4102444800000n, [U.MICROSECOND]: 4102444800000000n, [U.NANOSECOND]: 4102444800000000000n };
  const temporal = [
    ["date32", new A.DateDay(), -719162, 2932896, false],
    ["date64", new A.DateMillisecond(), -62135596800000n, 253402214400000n, true],
    ["time32_s", new A.TimeSecond(), 0, 86399, false],
    ["time32_ms", new A.TimeMillisecond(), 0, 86399999, false],
    ["time64_us", new A.TimeMicrosecond(), 0n, 86399999999n, true],
    ["time64_ns", new A.TimeNanosecond(), 0n, 86399999999999n, true],
    ["ts_s", new A.Timestamp(U.SECOND), -tsRange[U.SECOND], tsRange[U.SECOND], true],
    ["ts_ms", new A.Timestamp(U.MILLISECOND), -tsRange[U.MILLISECOND], tsRange[U.MILLISECOND], true],
    ["ts_us", new A.Timestamp(U.MICROSECOND), 0n, tsRange[U.MICROSECOND], true],
    ["ts_ns", new A.Timestamp(U.NANOSECOND), -tsRange[U.NANOSECOND] / 2n, tsRange[U.NANOSECOND], true],
    ["ts_s_utc", new A.Timestamp(U.SECOND, "UTC"), 0n, tsRange[U.SECOND], true],
    ["ts_ms_kolkata", new A.Timestamp(U.MILLISECOND, "Asia/Kolkata"), 0n, tsRange[U.MILLISECOND], true],
    ["ts_us_utc", new A.Timestamp(U.MICROSECOND, "UTC"), 0n, tsRange[U.MICROSECOND], true],
    ["ts_ns_new_york", new A.Timestamp(U.NANOSECOND, "America/New_York"), 0n, tsRange[U.NANOSECOND], true],
    ["dur_s", new A.Duration(U.SECOND), -(10n ** 12n), 10n ** 12n, true],
    ["dur_ms", new A.Duration(U.MILLISECOND), -(10n ** 15n), 10n ** 15n, true],
    ["dur_us", new A.Duration(U.MICROSECOND), 0n, 10n ** 15n, true],
    ["dur_ns", new A.Duration(U.NANOSECOND), -(10n ** 18n), 10n ** 18n, true],
  ];
  const tp = spread(rng, TEMP_PATTERNS, temporal.length);
  const tn = nulls(temporal.length);
  temporal.forEach(([tag, type, lo, hi, big], k) => {
    cols.push(colSpec(ctx, `${tag}_${tp[k]}_${tn[k]}`, type, genTemporal(ctx, n, lo, hi, tp[k], big), { valuePattern: tp[k], nullPattern: tn[k] }));
  });
  return cols;
}

// --- strings / binary -------------------------------------------------------

const STR_PATTERNS = ["rand", "lowcard", "lowcard_long", "empty_mix", "all_empty", "unicode", "escapes", "long", "huge", "fsst", "const", "sorted", "hex32"];
const BIN_PATTERNS = ["rand", "empty_mix", "all_empty", "lowcard", "long", "const"];

function stringColumns(ctx, n, { heavy = true } = {}) {
  const { A, rng, M } = ctx;
  const cols = [];
  const pats = heavy ? STR_PATTERNS : STR_PATTERNS.filter((p) => p !== "huge");
  // utf8: every pattern once
  const sp = rng.shuffle([...pats]);
  const sn = spread(rng, NULLS, sp.length);
  sp.forEach((vp, k) => cols.push(colSpec(ctx, `utf8_${vp}_${sn[k]}`, new A.Utf8(), M.genStrings(rng, n, vp), { valuePattern: vp, nullPattern: sn[k] })));
  // large_utf8: long values always (>= 256 B: full-zip / FSST), plus 3 drawn patterns
  const lp = ["long", ...spread(rng, pats.filter((p) => p !== "long" && p !== "huge"), 3)];
  const ln = spread(rng, NULLS, lp.length);
  lp.forEach((vp, k) => cols.push(colSpec(ctx, `lutf8_${vp}_${ln[k]}`, new A.LargeUtf8(), M.genStrings(rng, n, vp), { valuePattern: vp, nullPattern: ln[k] })));
  // binary: every pattern once
  const bp = rng.shuffle([...BIN_PATTERNS]);
  const bn = spread(rng, NULLS, bp.length);
  bp.forEach((vp, k) => cols.push(colSpec(ctx, `bin_${vp}_${bn[k]}`, new A.Binary(), M.genBinary(rng, n, vp), { valuePattern: vp, nullPattern: bn[k] })));
  // large_binary: 3 drawn patterns, plus per-value huge binaries (> 32 KiB) in heavy mode
  const lbp = spread(rng, BIN_PATTERNS, 3);
  const lbn = spread(rng, NULLS, 3);
  lbp.forEach((vp, k) => cols.push(colSpec(ctx, `lbin_${vp}_${lbn[k]}`, new A.LargeBinary(), M.genBinary(rng, n, vp), { valuePattern: vp, nullPattern: lbn[k] })));
  if (heavy) {
    cols.push(colSpec(ctx, "lbin_huge_n10", new A.LargeBinary(), M.I(n, (i) => (i % 211 === 3 ? rng.bytes(rng.int(33 * 1024, 36 * 1024)) : rng.bytes(rng.int(0, 16)))), { valuePattern: "huge", nullPattern: "n10" }));
  }
  // fixed_size_binary
  for (const w of [1, 4, 16]) {
    const vp = rng.pick(["rand", "const", "lowcard"]);
    const np = rng.pick(NULLS);
    let vals;
    if (vp === "rand") vals = M.genFixedBinary(rng, n, w);
    else if (vp === "const") { const v = rng.bytes(w); vals = M.I(n, () => v); }
    else { const pool = M.I(3, () => rng.bytes(w)); vals = M.I(n, () => rng.pick(pool)); }
    cols.push(colSpec(ctx, `fsb${w}_${vp}_${np}`, new A.FixedSizeBinary(w), vals, { valuePattern: vp, nullPattern: np }));
  }
  return cols;
}

// --- nested -----------------------------------------------------------------

const LIST = (A, t, nullable = true) => new A.List(new A.Field("item", t, nullable));
const FSL = (A, n, t, nullable = true) => new A.FixedSizeList(n, new A.Field("item", t, nullable));
const F = (A, name, t, nullable = true) => new A.Field(name, t, nullable);

function listShape(ctx) {
  // empty-list probability / item-null probability / max length
  const { rng } = ctx;
  return { emptyP: rng.pick([0, 0.1, 0.4]), itemNullP: rng.pick([0, 0.1, 0.5]), maxLen: rng.pick([3, 8, 40]) };
}

function nestedColumns(ctx, n) {
  const { A, rng, M } = ctx;
  const cols = [];
  const nl = () => rng.pick(NULLS);
  const f32 = () => Math.fround(rng.gauss());
  // vectors
  cols.push(colSpec(ctx, "vec128", FSL(A, 128, new A.Float32()), M.genVectors(rng, n, 128), { nullPattern: rng.pick(["n0", "n0", "n10"]), valuePattern: "clustered" }));
  {
    const np = nl();
    const vals = M.I(n, () => M.I(4, () => (rng.chance(0.15) ? null : f32())));
    cols.push(colSpec(ctx, `fsl4_f32_itemnulls_${np}`, FSL(A, 4, new A.Float32()), vals, { nullPattern: np, valuePattern: "item nulls 15%" }));
  }
  {
    const np = nl();
    const vp = rng.pick(["rand", "small", "const"]);
    const c = M.I(3, () => rng.int(-1e6, 1e6));
    const vals = M.I(n, () => M.I(3, (j) => (vp === "rand" ? rng.int(-(2 ** 31), 2 ** 31 - 1) : vp === "small" ? rng.int(0, 7) : c[j])));
    cols.push(colSpec(ctx, `fsl3_i32_${vp}_${np}`, FSL(A, 3, new A.Int32(), false), vals, { nullPattern: np, valuePattern: vp }));
  }
  cols.push(colSpec(ctx, "fsl2_f64", FSL(A, 2, new A.Float64()), M.I(n, () => [rng.gauss(), rng.gauss()]), { nullPattern: nl(), valuePattern: "gauss" }));
  // lists
  const lists = [
    ["l_i32", new A.Int32(), () => rng.int(-1000, 1000)],
    ["l_i64", new A.Int64(), () => rng.bigint(-(2n ** 62n), 2n ** 62n)],
    ["l_utf8", new A.Utf8(), () => M.randAlnum(rng, 0, 12)],
    ["l_f64", new A.Float64(), () => rng.gauss()],
    ["l_bool", new A.Bool(), () => rng.chance(0.5)],
    ["l_u8_small", new A.Uint8(), () => rng.int(0, 3)],
  ];
  for (const [tag, t, fn] of lists) {
    const sh = listShape(ctx);
    const np = nl();
    cols.push(colSpec(ctx, `${tag}_${np}`, LIST(A, t), M.genLists(rng, n, sh.maxLen, fn, sh), { nullPattern: np, valuePattern: sh }));
  }
  {
    const np = nl();
    const vals = M.I(n, () => (rng.chance(0.2) ? [] : M.I(rng.int(1, 3), () => (rng.chance(0.1) ? null : M.genLists(rng, 1, 4, () => rng.int(0, 99), { emptyP: 0.2, itemNullP: 0.1 })[0]))));
    cols.push(colSpec(ctx, `l_l_i32_${np}`, LIST(A, LIST(A, new A.Int32())), vals, { nullPattern: np, valuePattern: "list of lists" }));
  }
  {
    const np = nl();
    cols.push(colSpec(ctx, `l_fsl2_f32_${np}`, LIST(A, FSL(A, 2, new A.Float32())), M.genLists(rng, n, 4, () => [f32(), f32()], { emptyP: 0.1 }), { nullPattern: np }));
  }
  // structs
  {
    const t = new A.Struct([F(A, "a", new A.Int32()), F(A, "b", new A.Utf8())]);
    const np = rng.pick(["n10", "n50", "runs", "n100", "n0"]);
    const vals = M.I(n, () => ({ a: rng.chance(0.1) ? null : rng.int(-50, 50), b: rng.chance(0.1) ? null : rng.pick(M.CATEGORIES) }));
    cols.push(colSpec(ctx, `st_${np}`, t, vals, { nullPattern: np, valuePattern: "child nulls 10%" }));
  }
  {
    // nested struct with a list (struct<list>)
    const inner = new A.Struct([F(A, "x", new A.Int64()), F(A, "tags", LIST(A, new A.Utf8()))]);
    const t = new A.Struct([F(A, "inner", inner), F(A, "f", new A.Float32())]);
    const np = nl();
    const vals = M.I(n, () => ({
      inner: rng.chance(0.1) ? null : { x: rng.chance(0.1) ? null : rng.bigint(-(10n ** 12n), 10n ** 12n), tags: rng.chance(0.1) ? null : M.genLists(rng, 1, 3, () => rng.pick(M.WORDS), { emptyP: 0.2, itemNullP: 0.1 })[0] },
      f: rng.chance(0.1) ? null : f32(),
    }));
    cols.push(colSpec(ctx, `st_nested_list_${np}`, t, vals, { nullPattern: np, valuePattern: "struct<struct<int64,list<utf8>>,float>" }));
  }
  {
    const t = new A.Struct([F(A, "l", LIST(A, new A.Int32())), F(A, "v", FSL(A, 2, new A.Float32())), F(A, "ok", new A.Bool())]);
    const np = nl();
    const vals = M.I(n, () => ({ l: rng.chance(0.1) ? null : M.genLists(rng, 1, 5, () => rng.int(0, 9), { emptyP: 0.2 })[0], v: rng.chance(0.1) ? null : [f32(), f32()], ok: rng.chance(0.5) }));
    cols.push(colSpec(ctx, `st_list_fsl_bool_${np}`, t, vals, { nullPattern: np }));
  }
  {
    // list<struct>
    const t = LIST(A, new A.Struct([F(A, "name", new A.Utf8()), F(A, "v", new A.Int32())]));
    const np = nl();
    const vals = M.genLists(rng, n, 4, () => (rng.chance(0.1) ? null : { name: rng.chance(0.1) ? null : M.randAlnum(rng, 0, 8), v: rng.chance(0.1) ? null : rng.int(0, 1000) }), { emptyP: 0.15 });
    cols.push(colSpec(ctx, `l_st_${np}`, t, vals, { nullPattern: np, valuePattern: "null structs 10%, child nulls 10%" }));
  }
  // dictionaries
  {
    const D = (v, k) => new A.Dictionary(v, k);
    const np = nl();
    cols.push(colSpec(ctx, `dict_i32_lowcard_${np}`, D(new A.Utf8(), new A.Int32()), M.genStrings(rng, n, "lowcard"), { nullPattern: np, valuePattern: "lowcard" }));
    const np2 = nl();
    cols.push(colSpec(ctx, `dict_i32_highcard_${np2}`, D(new A.Utf8(), new A.Int32()), M.I(n, () => M.randAlnum(rng, 1, 10)), { nullPattern: np2, valuePattern: "highcard" }));
    cols.push(colSpec(ctx, "dict_i32_n100", D(new A.Utf8(), new A.Int32()), M.I(n, () => "x"), { nullPattern: "n100" }));
    cols.push(colSpec(ctx, `dict_i16_${nl()}`.replace(/_$/, ""), D(new A.Utf8(), new A.Int16()), M.genStrings(rng, n, "unicode"), { nullPattern: "n10", valuePattern: "unicode" }));
  }
  // maps (need data storage version >= 2.2)
  if (ctx.fmt === "2.2") {
    const mapType = (k, v) => new A.Map_(F(A, "entries", new A.Struct([F(A, "key", k, false), F(A, "value", v, true)]), false));
    const np = nl();
    const vals = M.I(n, () => (rng.chance(0.15) ? [] : M.I(rng.int(1, 4), () => [rng.pick(M.WORDS), rng.chance(0.15) ? null : rng.int(-100, 100)])));
    cols.push(colSpec(ctx, `map_utf8_i32_${np}`, mapType(new A.Utf8(), new A.Int32()), vals, { nullPattern: np, valuePattern: "empty maps 15%, null values 15%" }));
    const np2 = nl();
    const vals2 = M.I(n, () => M.I(rng.int(0, 3), (j) => [j * 10 + rng.int(0, 9), rng.chance(0.1) ? null : M.randAlnum(rng, 0, 6)]));
    cols.push(colSpec(ctx, `map_i64_utf8_${np2}`, mapType(new A.Int64(), new A.Utf8()), vals2.map((m) => m.map(([k, v]) => [BigInt(k), v])), { nullPattern: np2 }));
  }
  return cols;
}

// --- datasets ----------------------------------------------------------------

function smallRows(rng) {
  return rng.pick([1, 2, 3, 7, 63, 64, 65, 127, 129, 255, 257, 1000, 1023, 1024, 1025]);
}

async function createWith(ctx, cols, { batchRows = 0 } = {}) {
  const table = ctx.M.makeTable(fixFor20(ctx, [{ name: "row", type: new ctx.A.Int32(), values: ctx.M.I(cols[0].values.length, (i) => i), nullable: false }, ...cols]), { batchRows });
  return ctx.create(table);
}

const DATASETS = [
  {
    name: "prim_small",
    description: "every primitive type (bool, ints, floats, decimals, dates, times, timestamps with and without tz, durations) with drawn value distributions and null patterns; few rows (1..1025, drawn)",
    build: async (ctx) => { const n = smallRows(ctx.rng); await createWith(ctx, primitiveColumns(ctx, n)); },
  },
  {
    name: "prim_big",
    description: "the primitive columns with 5000..9000 rows (several mini-block chunks per page)",
    build: async (ctx) => { const n = ctx.rng.int(5000, 9000); await createWith(ctx, primitiveColumns(ctx, n)); },
  },
  {
    name: "str_small",
    description: "utf8 / large_utf8 / binary / large_binary / fixed_size_binary: random, low cardinality (dictionary), empty, unicode, escapes, long (>= 256 B: full-zip, FSST), huge (> 32 KiB: per-value zstd), URL-like (FSST), constant, sorted; few rows",
    build: async (ctx) => { const n = ctx.rng.pick([7, 64, 257, 1025]); await createWith(ctx, stringColumns(ctx, n)); },
  },
  {
    name: "str_big",
    description: "the string / binary columns with 5000..7000 rows",
    build: async (ctx) => { const n = ctx.rng.int(5000, 7000); await createWith(ctx, stringColumns(ctx, n)); },
  },
  {
    name: "nested_small",
    description: "fixed_size_list<float,128> vectors, small fixed_size_lists with null items, list / list<list> / list<fsl> with null and empty lists and null items, structs (nested, null structs), list<struct>, struct<list>, dictionary<int32|int16, utf8>, map (2.2 only); few rows",
    build: async (ctx) => { const n = smallRows(ctx.rng); await createWith(ctx, nestedColumns(ctx, n)); },
  },
  {
    name: "nested_big",
    description: "the nested columns with 5000..8000 rows",
    build: async (ctx) => { const n = ctx.rng.int(5000, 8000); await createWith(ctx, nestedColumns(ctx, n)); },
  },
  {
    name: "multi_page",
    description: "one create fed with 12 batches of 10000 rows (the writer cuts pages only at batch boundaries, after ~8 MiB per column): multi-page columns; int64 sequence, low-cardinality utf8, random float64, 64-byte random binary",
    build: async (ctx) => {
      const { A, rng, M } = ctx;
      const n = 120000;
      const cols = [
        colSpec(ctx, "id", new A.Int64(), M.I(n, (i) => BigInt(i)), { valuePattern: "seq" }),
        colSpec(ctx, "cat", new A.Utf8(), M.genStrings(rng, n, "lowcard"), { valuePattern: "lowcard", nullPattern: "n10" }),
        colSpec(ctx, "x", new A.Float64(), M.genFloats(rng, n, 64, "dec2"), { valuePattern: "dec2", nullPattern: "sparse" }),
        colSpec(ctx, "blob64", new A.Binary(), M.I(n, () => rng.bytes(64)), { valuePattern: "rand 64 B" }),
      ];
      await createWith(ctx, cols, { batchRows: 10000 });
    },
  },
  {
    name: "lifecycle",
    description: "multi-fragment table with time travel: create, 3 appends (one with > 5000 rows), deletions (.arrow and .bin deletion files, one fragment deleted entirely), addColumns (SQL), append with the new schema, update (rows move to the end), delete again, addColumns producing large_list / large_utf8",
    fallbackColumns: () => [
      { name: "id", type: "int64", nullable: true },
      { name: "a", type: "int32", nullable: true },
      { name: "s", type: "string", nullable: true },
      { name: "f", type: "double", nullable: true },
      { name: "l", type: "list<item: int64>", nullable: true },
      { name: "st", type: "struct<p: int32, q: string>", nullable: true, children: [{ name: "p", type: "int32", nullable: true }, { name: "q", type: "string", nullable: true }] },
      { name: "f2", type: "double", nullable: true },
      { name: "tag", type: "string", nullable: true },
      { name: "ll", type: "large_list<item: int64>", nullable: true, castSql: "arrow_cast(ll, 'List(Int64)')" },
      { name: "ls", type: "large_string", nullable: true },
    ],
    build: async (ctx) => {
      const { A, rng, M } = ctx;
      const stType = new A.Struct([F(A, "p", new A.Int32()), F(A, "q", new A.Utf8())]);
      let next = 0;
      const batch = (k, withNew) => {
        const start = next;
        next += k;
        const cols = [
          { name: "id", type: new A.Int64(), values: M.I(k, (i) => BigInt(start + i)) },
          { name: "a", type: new A.Int32(), values: M.applyNulls(rng, M.I(k, () => rng.int(0, 9)), "n10") },
          { name: "s", type: new A.Utf8(), values: M.applyNulls(rng, M.genStrings(rng, k, rng.pick(["lowcard", "rand", "fsst"])), "n10") },
          { name: "f", type: new A.Float64(), values: M.applyNulls(rng, M.genFloats(rng, k, 64, "dec2"), "runs") },
          { name: "l", type: LIST(A, new A.Int64()), values: M.applyNulls(rng, M.genLists(rng, k, 5, () => rng.bigint(-1000n, 1000n), { itemNullP: 0.1 }), "n10") },
          { name: "st", type: stType, values: M.applyNulls(rng, M.I(k, () => ({ p: rng.chance(0.1) ? null : rng.int(0, 1e6), q: rng.pick(M.CATEGORIES) })), "n10") },
        ];
        if (withNew) {
          cols.push({ name: "f2", type: new A.Float64(), values: cols[3].values.map((v) => (v === null ? null : v * 2)) });
          cols.push({ name: "tag", type: new A.Utf8(), values: M.I(k, () => (rng.chance(0.2) ? null : "t" + rng.int(0, 5))) });
        }
        return M.makeTable(fixFor20(ctx, cols));
      };
      const t = await ctx.create(batch(rng.int(1500, 2500), false)); //     v1: fragment 0
      await t.add(batch(rng.int(300, 800), false)); //                        v2: fragment 1
      await t.add(batch(rng.int(6000, 7000), false)); //                      v3: fragment 2 (big)
      await t.add(batch(rng.int(100, 400), false)); //                        v4: fragment 3
      // v5: scattered deletions everywhere, most of fragment 2 (> 5000 rows: .bin), all of fragment 1
      await t.delete(`id % 7 = 3 OR (id >= ${ctx.fragStart[2]} AND id < ${ctx.fragStart[3]} AND id % 10 <> 0) OR (id >= ${ctx.fragStart[1]} AND id < ${ctx.fragStart[2]})`);
      // v6: addColumns with SQL (every fragment gets a second data file)
      await t.addColumns([{ name: "f2", valueSql: "f * 2" }, { name: "tag", valueSql: "concat('t', CAST(a % 6 AS STRING))" }]);
      // v7: append with the new schema
      await t.add(batch(rng.int(200, 600), true));
      // v8: update (updated rows are deleted in place and rewritten at the end)
      await t.update({ where: "a = 1", valuesSql: { s: "'updated'", f: "f + 0.5" } });
      // v9: delete again
      await t.delete("a = 2 AND id % 2 = 0");
      // v10: addColumns producing types apache-arrow JS cannot build
      await t.addColumns([{ name: "ll", valueSql: "arrow_cast(l, 'LargeList(Int64)')" }, { name: "ls", valueSql: "arrow_cast(s, 'LargeUtf8')" }]);
      ctx.plan.push({ note: "versions: 1 create, 2-4 append, 5 delete, 6 addColumns(f2, tag), 7 append, 8 update, 9 delete, 10 addColumns(ll large_list, ls large_utf8)" });
    },
  },
  {
    name: "forced_encodings",
    description: "field metadata steering the writer: zstd / lz4 general compression, byte-stream-split, RLE threshold, FSST forced / off, full-zip forced, dictionary forced / disabled, packed struct",
    build: async (ctx) => {
      const { A, rng, M } = ctx;
      const n = rng.int(800, 3000);
      const md = (o) => ({ metadata: o });
      const c = (name, type, vals, opts) => colSpec(ctx, name, type, vals, { nullPattern: opts.nulls || "n0", metadata: opts.metadata, valuePattern: opts.vp || null });
      const cols = [
        c("i64_zstd", new A.Int64(), M.genInts(rng, n, 64, true, "mid"), { ...md({ "lance-encoding:compression": "zstd" }), nulls: rng.pick(NULLS) }),
        c("i32_lz4", new A.Int32(), M.genInts(rng, n, 32, true, "mid"), { ...md({ "lance-encoding:compression": "lz4" }), nulls: rng.pick(NULLS) }),
        c("f32_bss_zstd", new A.Float32(), M.genFloats(rng, n, 32, "gauss"), { ...md({ "lance-encoding:compression": "zstd", "lance-encoding:bss": "on" }), nulls: rng.pick(NULLS) }),
        c("f64_bss_lz4", new A.Float64(), M.genFloats(rng, n, 64, "gauss"), { ...md({ "lance-encoding:compression": "lz4", "lance-encoding:bss": "on" }), nulls: rng.pick(NULLS) }),
        c("f64_bss_auto", new A.Float64(), M.genFloats(rng, n, 64, "unit"), { ...md({ "lance-encoding:bss": "auto" }) }),
        c("i32_rle_forced", new A.Int32(), M.I(n, (i) => Math.floor(i / 3) % 50), { ...md({ "lance-encoding:rle-threshold": "0.9", "lance-encoding:bss": "off" }), nulls: rng.pick(NULLS) }),
        c("s_fsst_forced", new A.Utf8(), M.genStrings(rng, n, "rand"), md({ "lance-encoding:compression": "fsst" })),
        c("s_no_compression", new A.Utf8(), M.genStrings(rng, n, "fsst"), { ...md({ "lance-encoding:compression": "none" }), nulls: rng.pick(NULLS) }),
        c("s_zstd", new A.Utf8(), M.genStrings(rng, n, "fsst"), { ...md({ "lance-encoding:compression": "zstd" }), nulls: rng.pick(NULLS) }),
        c("s_fullzip_forced", new A.Utf8(), M.genStrings(rng, n, "rand"), { ...md({ "lance-encoding:structural-encoding": "fullzip" }), nulls: rng.pick(NULLS) }),
        c("i32_fullzip_forced", new A.Int32(), M.genInts(rng, n, 32, true, "rand"), { ...md({ "lance-encoding:structural-encoding": "fullzip" }), nulls: rng.pick(NULLS) }),
        c("s_dict_forced", new A.Utf8(), M.I(n, () => `v${rng.int(0, 400)}`), md({ "lance-encoding:dict-size-ratio": "0.99" })),
        c("s_dict_disabled", new A.Utf8(), M.genStrings(rng, n, "lowcard"), md({ "lance-encoding:dict-size-ratio": "0.0001" })),
        c("l_i32_fullzip", LIST(A, new A.Int32()), M.genLists(rng, n, 5, () => rng.int(0, 1e6)), { ...md({ "lance-encoding:structural-encoding": "fullzip" }), nulls: rng.pick(NULLS) }),
      ];
      cols.push({ ...colSpec(ctx, "st_packed", new A.Struct([F(A, "x", new A.Int16(), false), F(A, "y", new A.Float64(), false), F(A, "z", new A.Uint8(), false)]),
        M.I(n, () => ({ x: rng.int(-3e4, 3e4), y: rng.gauss(), z: rng.int(0, 255) })), { metadata: { "lance-encoding:packed": "true" } }), nullable: false });
      if (ctx.fmt === "2.2") {
        // variable-width packed struct (2.2 only)
        cols.push({ ...colSpec(ctx, "st_packed_var", new A.Struct([F(A, "a", new A.Int32(), false), F(A, "s", new A.Utf8(), false)]),
          M.I(n, () => ({ a: rng.int(0, 1000), s: M.randAlnum(rng, 0, 20) })), { metadata: { "lance-encoding:packed": "true" } }), nullable: false });
      }
      await createWith(ctx, cols);
    },
  },
  {
    name: "empty",
    description: "schema only (createEmptyTable): no fragments",
    build: async (ctx) => {
      const { A } = ctx;
      const schema = new A.Schema([
        F(A, "id", new A.Int64()), F(A, "s", new A.Utf8()), F(A, "v", FSL(A, 8, new A.Float32())),
        F(A, "l", LIST(A, new A.Int32())), F(A, "st", new A.Struct([F(A, "a", new A.Int32()), F(A, "b", new A.Utf8())])),
      ]);
      await ctx.db.createEmptyTable(ctx.name, schema, { mode: "overwrite", storageOptions: ctx.storageOptions });
    },
  },
];


// ---------------------------------------------------------------------------
// worker: build one dataset in one format and write its expected files
// ---------------------------------------------------------------------------

async function runWorker(a) {
  const genDir = sharedGenDir(a);
  const imp = (f) => import(pathToFileURL(path.join(genDir, f)).href);
  const common = await imp("common.mjs");
  const values = await imp("values.mjs");
  const dumpcore = await imp("dumpcore.mjs");
  const M = { ...common, ...values };
  const lancedb = common.lancedbModule();
  const A = common.arrowModule();
  const ver = common.packageVersion("@lancedb/lancedb");
  if (ver !== WANT_LANCEDB) {
    console.error(`gen_matrix: warning: @lancedb/lancedb ${ver} loaded (expected ${WANT_LANCEDB} from tests/interop/node_modules)`);
  }
  const def = DATASETS.find((d) => d.name === a.worker);
  if (!def) throw new Error("no dataset " + a.worker);
  const outDir = path.join(path.resolve(a.out), a.fmt);
  fs.mkdirSync(outDir, { recursive: true });
  // start from scratch: an existing table would keep its old versions
  fs.rmSync(path.join(outDir, def.name + ".lance"), { recursive: true, force: true });
  for (const f of fs.readdirSync(outDir)) {
    if (f === def.name + ".meta.json" || (f.startsWith(def.name + ".") && /\.expected\.jsonl(\.gz)?$/.test(f))) fs.rmSync(path.join(outDir, f), { force: true });
  }
  const db = await lancedb.connect(outDir);
  const storageOptions = { new_table_data_storage_version: a.fmt };
  const ctx = {
    A, M, db, fmt: a.fmt, seed: a.seed, name: def.name, storageOptions,
    rng: new common.Rng(`${a.seed}:${def.name}`),
    plan: [],
    fragStart: [],
    rowsWritten: 0,
    async create(data) {
      const t = await db.createTable(def.name, data, { mode: "overwrite", storageOptions });
      return wrapTable(this, t, data.numRows);
    },
  };
  // track the first row number of each fragment written through add()/create()
  function wrapTable(c, t, n) {
    c.fragStart.push(c.rowsWritten);
    c.rowsWritten += n;
    const origAdd = t.add.bind(t);
    t.add = async (data, opts) => {
      c.fragStart.push(c.rowsWritten);
      c.rowsWritten += data.numRows;
      return origAdd(data, opts);
    };
    return t;
  }
  // (lifecycle's delete predicate uses fragStart: its ids are row numbers)
  const t0 = Date.now();
  await def.build(ctx);
  const buildMs = Date.now() - t0;
  const reg = a.protos ? (await import(pathToFileURL(path.join(genDir, "inspect.mjs")).href)).parseProtos(a.protos) : null;
  const meta = await dumpcore.writeExpectations(path.join(outDir, def.name + ".lance"), path.join(outDir, def.name), {
    fallbackColumns: def.fallbackColumns ? def.fallbackColumns(ctx) : null,
    protosRegistry: reg,
    gzipAbove: 0,
    extraMeta: {
      description: def.description,
      corpus: "lancec interop matrix (tests/interop/gen_matrix.mjs)",
      seed: Number(a.seed),
      data_storage_version_requested: a.fmt,
      storage_options: storageOptions,
      plan: ctx.plan,
      build_ms: buildMs,
    },
  });
  const encodingTags = meta.encodings && meta.encodings.tags ? Object.keys(meta.encodings.tags) : null;
  const versions = meta.versions.map((v) => ({ version: v.version, expected_file: v.expected_file || null, row_count: v.row_count, error: v.error }));
  process.stdout.write(JSON.stringify({
    ok: true, fmt: a.fmt, name: def.name, rows: meta.row_count, latest: meta.latest_version,
    data_file_versions: meta.data_file_versions, encoding_tags: encodingTags, versions, build_ms: buildMs, total_ms: Date.now() - t0,
  }) + "\n");
}

// ---------------------------------------------------------------------------
// main: run the workers, write matrix.tsv / matrix.json
// ---------------------------------------------------------------------------

function runChild(args, env) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [THIS, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("close", (code, signal) => resolve({ code, signal, out, err }));
  });
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.worker) {
    if (!a.out || !a.fmt) usage(2);
    await runWorker(a);
    return;
  }
  const names = DATASETS.map((d) => d.name);
  if (a.list) {
    for (const d of DATASETS) console.log(`${d.name}\t${d.description}`);
    return;
  }
  if (!a.out) usage(2);
  if (a.only) {
    for (const n of a.only) if (!names.includes(n)) { console.error("gen_matrix: no dataset " + n); process.exit(2); }
  }
  const genDir = sharedGenDir(a);
  const nm = path.join(HERE, "node_modules");
  if (!fs.existsSync(path.join(nm, "@lancedb", "lancedb"))) {
    console.error(`gen_matrix: ${nm}/@lancedb/lancedb is missing: run scripts/bootstrap.sh (or npm ci in tests/interop)`);
    process.exit(2);
  }
  const out = path.resolve(a.out);
  fs.mkdirSync(out, { recursive: true });
  // the shared modules load lancedb/apache-arrow with require(): NODE_PATH
  // makes them resolve to tests/interop/node_modules
  const env = { ...process.env, NODE_PATH: [nm, process.env.NODE_PATH].filter(Boolean).join(path.delimiter), LANCEC_SHARED_DIR: path.dirname(path.dirname(genDir)) };
  console.log(`gen_matrix: seed ${a.seed}, versions ${a.versions.join(",")}, out ${out}`);
  const jobs = [];
  for (const fmt of a.versions) for (const name of a.only || names) jobs.push({ fmt, name });
  const results = [];
  const t0 = Date.now();
  let idx = 0;
  const worker = async () => {
    while (idx < jobs.length) {
      const j = jobs[idx++];
      const args = ["--worker", j.name, "--fmt", j.fmt, "--out", out, "--seed", a.seed, "--shared", path.dirname(path.dirname(genDir))];
      if (a.protos) args.push("--protos", a.protos);
      const r = await runChild(args, env);
      const last = r.out.trim().split("\n").pop() || "";
      let res = null;
      try { res = JSON.parse(last); } catch {}
      if (r.code === 0 && res && res.ok) {
        results.push(res);
        console.log(`gen_matrix: ok   ${j.fmt}/${j.name}: ${res.rows} rows, ${res.versions.length} version(s), files ${res.data_file_versions.join(",") || "-"} (${(res.total_ms / 1000).toFixed(1)} s)`);
      } else {
        const msg = (r.err || r.out).trim().split("\n").filter((l) => !/EBADENGINE/.test(l)).slice(-6).join("\n    ");
        results.push({ ok: false, fmt: j.fmt, name: j.name, error: msg || `exit ${r.code} ${r.signal || ""}` });
        console.log(`gen_matrix: FAIL ${j.fmt}/${j.name}: exit ${r.code}${r.signal ? " " + r.signal : ""}\n    ${msg}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(a.jobs, jobs.length) }, worker));
  // matrix.tsv: one line per dataset version with an expected file
  const order = (x) => a.versions.indexOf(x.fmt) * 1000 + names.indexOf(x.name);
  results.sort((x, y) => order(x) - order(y));
  const lines = [];
  for (const r of results) {
    if (!r.ok) continue;
    const dir = path.join(r.fmt, r.name + ".lance");
    const meta = path.join(r.fmt, r.name + ".meta.json");
    for (const v of r.versions) {
      if (!v.expected_file) continue;
      lines.push([r.fmt, r.name, v.version, v.version === r.latest ? 1 : 0, dir, path.join(r.fmt, v.expected_file), meta].join("\t"));
    }
  }
  fs.writeFileSync(path.join(out, "matrix.tsv"), lines.join("\n") + (lines.length ? "\n" : ""));
  const failed = results.filter((r) => !r.ok);
  // encodings seen per format (only with --protos)
  const coverage = {};
  for (const r of results) {
    if (!r.ok || !r.encoding_tags) continue;
    const c = (coverage[r.fmt] = coverage[r.fmt] || {});
    for (const t of r.encoding_tags) (c[t] = c[t] || []).push(r.name);
  }
  for (const [fmt, c] of Object.entries(coverage)) {
    console.log(`gen_matrix: encodings in ${fmt} files: ${Object.keys(c).sort().join(" ")}`);
  }
  fs.writeFileSync(path.join(out, "matrix.json"), JSON.stringify({
    seed: Number(a.seed), versions: a.versions, lancedb: WANT_LANCEDB, datasets: results, failed: failed.length,
    encodings_seen: coverage, elapsed_ms: Date.now() - t0,
  }, null, 2) + "\n");
  console.log(`gen_matrix: ${results.length - failed.length} datasets written, ${failed.length} failed, ${lines.length} (dataset, version) checks in matrix.tsv (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  console.error("gen_matrix: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
