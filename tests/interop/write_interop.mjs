// Acceptance test "real Lance reads what lancec writes" (and the reverse for
// appends and deletes). Real Lance = @lancedb/lancedb from tests/interop/node_modules.
//
//   node write_interop.mjs --lancec PATH --shared DIR [--only a,b] [--keep]
//
// A. Corpus round trip: `lancec scan SRC --format arrow | lancec write DST
//    --input - --input-format arrow` for every dataset of shared/corpus/public
//    (latest version; file formats 2.2, 2.1 and 2.0 as targets; no maps below
//    2.2, no columns with null structs in 2.0); real Lance reads DST and its
//    rows must equal SRC's expected rows.
// B. Versions: lancec builds a multi-version dataset (create, append, delete,
//    overwrite) from typed corpus data in file formats 2.2, 2.1 and 2.0; real
//    Lance's checkout of every version returns exactly that version's rows, and
//    `lancec versions` agrees with real Lance's version list. 2.0 stores no
//    struct validity: columns with null structs are left out there, after
//    checking that lancec and real Lance both refuse them.
// C. Cross appends: real Lance appends to / deletes from a dataset lancec
//    created, lancec appends to / deletes from one real Lance created; each
//    side reads back what the other wrote. The same for file format 2.0: the
//    appended data files stay 2.0 whoever appends.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import url from "node:url";
import zlib from "node:zlib";
import { createRequire } from "node:module";

const here = path.dirname(url.fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR);
const only = opt("--only", "") ? new Set(opt("--only", "").split(",")) : null;
const keep = args.includes("--keep");
const require = createRequire(path.join(here, "package.json"));
const lancedb = require("@lancedb/lancedb");
const { writeExpectations } = await import(path.join(shared, "corpus/gen/dumpcore.mjs"));
const compare = path.join(shared, "corpus/gen/compare.mjs");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-write-interop-"));
if (keep) console.log(`keeping ${tmp}`);
else process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

let passed = 0, failed = 0;
const ok = (label, what = "") => {
  passed++;
  console.log(`ok   ${label}${what ? ": " + what : ""}`);
};
const bad = (label, why) => {
  failed++;
  console.log(`FAIL ${label}: ${String(why).split("\n").slice(0, 6).join(" | ")}`);
};

function sh(cmd) {
  const r = spawnSync("bash", ["-c", cmd], { maxBuffer: 1 << 28 });
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}
const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
function lancecRun(argv) {
  const r = spawnSync(lancec, argv, { maxBuffer: 1 << 28 });
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

function readLines(file) {
  const buf = fs.readFileSync(file);
  const text = file.endsWith(".gz") ? zlib.gunzipSync(buf).toString("utf8") : buf.toString("utf8");
  return text.split("\n").filter((l) => l.trim());
}
// lancec prints strings as stored; the shared expected files (and real Lance
// read through the shared dumper) lost leading U+FEFF characters to a JS
// TextDecoder (see docs/status.md): normalise lancec's output the same way.
function stripLeadingBom(file) {
  const text = fs.readFileSync(file, "utf8");
  if (text.includes("\ufeff")) fs.writeFileSync(file, text.replace(/([:\[,]")\ufeff/g, "$1"));
}
function stringifyRow(row) {
  return JSON.stringify(row, (k, v) => (Object.is(v, -0) ? "__NZ__" : v)).replace(/"__NZ__"/g, "-0.0");
}
// compare two JSONL files with compare.mjs, schema from `meta`
function cmp(expectedFile, actualFile, metaFile, version) {
  const a = [compare, expectedFile, actualFile, "--max-diffs", "3", "--meta", metaFile];
  if (version) a.push("--version", String(version));
  const r = spawnSync("node", a);
  return r.status === 0 ? null : (r.stdout.toString() + r.stderr.toString()).trim();
}
// real Lance dumps every version of `ds` (corpus format) to `prefix`. apache-arrow
// (JS) cannot decode large_list: such columns are read through the SQL casts the
// corpus meta lists (read_casts), as the corpus itself was.
async function lanceDump(ds, prefix, all = true, meta = null) {
  const casts = meta && meta.read_casts;
  const fallbackColumns = casts
    ? meta.schema.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable, castSql: casts[f.name] }))
    : null;
  return writeExpectations(ds, prefix, { olderVersions: all ? "all" : "none", fallbackColumns });
}
function expectedFileOf(meta, prefix, version) {
  const v = meta.versions.find((x) => x.version === version);
  return path.join(path.dirname(prefix), v.expected_file);
}

const SKIP = {
  fmt_v2_3_next: "file format 2.3 (unstable) is optional",
  blob_column: "legacy blob column: real Lance returns descriptors, lancec returns bytes (checked in D)",
};
// Cases the writer does not handle yet (listed in docs/status.md); removed as they land.
const WRITER_GAPS = {};

// footer (major.minor) of every data file of a dataset; 2.0 files say 0.3
function fileVersions(ds) {
  const d = path.join(ds, "data");
  return fs.readdirSync(d).filter((f) => f.endsWith(".lance")).sort().map((f) => {
    const b = fs.readFileSync(path.join(d, f));
    return `${b.readUInt16LE(b.length - 8)}.${b.readUInt16LE(b.length - 6)}`;
  });
}
const footerOf = (fmt) => (fmt === "2.0" ? "0.3" : fmt);
// whether a value of field f (corpus meta schema) holds a null struct at any level
function hasNullStruct(f, v) {
  const isStruct = /^struct</.test(f.type);
  if (v === null || v === undefined) return isStruct;
  const kids = f.children || [];
  if (isStruct) return kids.some((c) => hasNullStruct(c, v[c.name]));
  if (Array.isArray(v) && kids.length === 1) return v.some((x) => hasNullStruct(kids[0], x));
  return false;
}
// lancec and real Lance both refuse to write src's rows (with null structs) as 2.0
async function bothRefuse20(src, name, arrowFile) {
  const dst = path.join(tmp, `refuse20-${name}.lance`);
  const w = sh(`${q(lancec)} scan ${q(src)} --format arrow > ${q(arrowFile)} && ${q(lancec)} write ${q(dst)} --input ${q(arrowFile)} --data-storage-version 2.0`);
  if (w.status === 0) return "lancec wrote null structs to 2.0";
  if (!/struct validity/.test(w.err)) return `lancec failed otherwise: ${w.err.trim()}`;
  if (fs.existsSync(path.join(dst, "_versions")) || (fs.existsSync(path.join(dst, "data")) && fs.readdirSync(path.join(dst, "data")).length))
    return "lancec left a version or data files behind";
  const data = await (await (await lancedb.connect(path.dirname(src))).openTable(name)).query().toArrow();
  const db = path.join(tmp, `refuse20-${name}-lance`);
  try {
    await (await lancedb.connect(db)).createTable("t", data, { storageOptions: { new_table_data_storage_version: "2.0" } });
    return "real Lance wrote them (lancec refuses)";
  } catch (e) {
    return /struct/.test(e.message) ? null : `real Lance failed otherwise: ${e.message}`;
  }
}

// ---------------------------------------------------------------- A
async function corpusRoundTrip() {
  const dir = path.join(shared, "corpus/public");
  const metas = fs.readdirSync(dir).filter((f) => f.endsWith(".meta.json")).sort();
  for (const mf of metas) {
    const name = mf.replace(/\.meta\.json$/, "");
    if (only && !only.has(name)) continue;
    if (SKIP[name] || WRITER_GAPS[name]) {
      console.log(`skip A ${name}: ${SKIP[name] || WRITER_GAPS[name]}`);
      continue;
    }
    const meta = JSON.parse(fs.readFileSync(path.join(dir, mf), "utf8"));
    const src = path.join(dir, `${name}.lance`);
    const expected = path.join(dir, meta.expected_file);
    for (const fmt of ["2.2", "2.1", "2.0"]) {
      const hasMap = JSON.stringify(meta.schema).includes("map<");
      if (fmt !== "2.2" && hasMap) continue;
      const label = `A ${name} → ${fmt}`;
      const dst = path.join(tmp, `A-${fmt.replace(".", "")}-${name}.lance`);
      // 2.0 has no struct validity: columns with null structs are left out (B checks the refusal)
      let exp = expected, columns = "", dropped = "";
      if (fmt === "2.0" && JSON.stringify(meta.schema).includes("struct<")) {
        const rows = readLines(expected).map((l) => JSON.parse(l));
        const drop = meta.schema.filter((f) => rows.some((o) => hasNullStruct(f, o[f.name]))).map((f) => f.name);
        if (drop.length) {
          const kept = meta.schema.map((f) => f.name).filter((n) => !drop.includes(n));
          columns = ` --columns ${q(kept.join(","))}`;
          dropped = `, without ${drop.length} column(s) with null structs`;
          exp = path.join(tmp, `A-${fmt}-${name}.expected.jsonl`);
          fs.writeFileSync(exp, rows.map((o) => stringifyRow(Object.fromEntries(kept.map((k) => [k, o[k]])))).join("\n") + "\n");
        }
      }
      const w = sh(`${q(lancec)} scan ${q(src)}${columns} --format arrow | ${q(lancec)} write ${q(dst)} --input - --input-format arrow --data-storage-version ${fmt}`);
      if (w.status !== 0) {
        bad(label, `write failed: ${w.err.trim()}`);
        continue;
      }
      try {
        const prefix = path.join(tmp, `A-${fmt}-${name}-dump`, name);
        fs.mkdirSync(path.dirname(prefix), { recursive: true });
        const dm = await lanceDump(dst, prefix, false, meta);
        const why = cmp(exp, path.join(path.dirname(prefix), dm.expected_file), path.join(dir, mf));
        why ? bad(label, `real Lance read different rows: ${why}`) : ok(label, `${meta.row_count} rows${dropped}`);
      } catch (e) {
        bad(label, `real Lance failed to read: ${e.message}`);
      }
    }
  }
}

// ---------------------------------------------------------------- B
// lancec: v1 create(S), v2 append(S), v3 delete(<key> % 3 = 0), v4 overwrite(S[0:n/2])
async function versionsMatrix() {
  const dir = path.join(shared, "corpus/public");
  const names = ["types_int", "types_float", "types_string", "types_binary", "types_temporal", "types_decimal",
    "types_bool_null", "types_vector", "types_list", "types_struct", "types_dict", "types_large_list", "wide_200"];
  for (const name of names) {
    if (only && !only.has(name)) continue;
    if (WRITER_GAPS[name]) {
      console.log(`skip B ${name}: ${WRITER_GAPS[name]}`);
      continue;
    }
    const meta = JSON.parse(fs.readFileSync(path.join(dir, `${name}.meta.json`), "utf8"));
    const keyCol = meta.schema.find((f) => ["row", "id"].includes(f.name) && /int/.test(f.type) && !f.nullable)
      || meta.schema.find((f) => ["row", "id"].includes(f.name));
    if (!keyCol) {
      console.log(`skip B ${name}: no integer key column`);
      continue;
    }
    for (const fmt of ["2.2", "2.1", "2.0"]) {
      const label = `B ${name} (${fmt})`;
      const src = path.join(dir, `${name}.lance`);
      const dst = path.join(tmp, `B-${fmt.replace(".", "")}-${name}.lance`);
      const arrowFile = path.join(tmp, `B-${fmt}-${name}.arrows`);
      // 2.0: columns holding null structs cannot be written (checked below), the others are
      let S = readLines(path.join(dir, meta.expected_file));
      let columns = "";
      if (fmt === "2.0") {
        const rows = S.map((l) => JSON.parse(l));
        const drop = meta.schema.filter((f) => rows.some((o) => hasNullStruct(f, o[f.name]))).map((f) => f.name);
        if (drop.length) {
          const why = await bothRefuse20(src, name, arrowFile);
          why ? bad(`${label} null structs`, why) : ok(`${label} null structs`, `lancec and real Lance refuse ${drop.join(", ")}`);
          const kept = meta.schema.map((f) => f.name).filter((n) => !drop.includes(n));
          columns = ` --columns ${q(kept.join(","))}`;
          S = rows.map((o) => stringifyRow(Object.fromEntries(kept.map((k) => [k, o[k]]))));
        }
      }
      const r = sh(`${q(lancec)} scan ${q(src)}${columns} --format arrow > ${q(arrowFile)}`);
      if (r.status !== 0) { bad(label, r.err); continue; }
      const half = Math.floor(meta.row_count / 2);
      const halfFile = path.join(tmp, `B-${fmt}-${name}-half.arrows`);
      sh(`${q(lancec)} scan ${q(src)}${columns} --format arrow --limit ${half} > ${q(halfFile)}`);
      const steps = [
        [`${q(lancec)} write ${q(dst)} --input ${q(arrowFile)} --mode create --data-storage-version ${fmt}`],
        [`${q(lancec)} write ${q(dst)} --input ${q(arrowFile)} --mode append`],
        [`${q(lancec)} delete ${q(dst)} --where ${q(`${keyCol.name} % 3 = 0`)}`],
        [`${q(lancec)} write ${q(dst)} --input ${q(halfFile)} --mode overwrite`],
      ];
      let failedStep = null;
      for (const [cmd] of steps) {
        const s = sh(cmd);
        if (s.status !== 0) { failedStep = `${cmd}: ${s.err.trim()}`; break; }
      }
      if (failedStep) { bad(label, failedStep); continue; }
      // expected rows per version
      const keyOf = (l) => Number(JSON.parse(l)[keyCol.name]);
      const exp = {
        1: S,
        2: S.concat(S),
        3: S.concat(S).filter((l) => keyOf(l) % 3 !== 0),
        4: S.slice(0, half),
      };
      const metaFile = path.join(dir, `${name}.meta.json`);
      try {
        const prefix = path.join(tmp, `B-${fmt}-${name}-dump`, name);
        fs.mkdirSync(path.dirname(prefix), { recursive: true });
        const dm = await lanceDump(dst, prefix, true, meta);
        if (dm.latest_version !== 4 || dm.versions.length !== 4) { bad(label, `real Lance sees versions ${dm.versions.map((v) => v.version)}`); continue; }
        let why = null;
        for (const v of [1, 2, 3, 4]) {
          const ef = path.join(tmp, `B-${fmt}-${name}.v${v}.expected.jsonl`);
          fs.writeFileSync(ef, exp[v].length ? exp[v].join("\n") + "\n" : "");
          // real Lance's checkout of version v
          const d1 = cmp(ef, expectedFileOf(dm, prefix, v), metaFile);
          if (d1) why ??= `real Lance v${v}: ${d1}`;
          // lancec's own read of version v
          const lf = path.join(tmp, `B-${fmt}-${name}.v${v}.lancec.jsonl`);
          sh(`${q(lancec)} scan ${q(dst)} --version ${v} --format jsonl > ${q(lf)}`);
          stripLeadingBom(lf);
          const d2 = cmp(ef, lf, metaFile);
          if (d2) why ??= `lancec v${v}: ${d2}`;
        }
        // versions agree (numbers and row counts)
        const lv = lancecRun(["versions", dst]);
        const rows = lv.out.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
        const lanceRows = dm.versions.map((v) => [v.version, v.row_count]);
        const lancecRows = rows.map((x) => [Number(x[0]), Number(x[2])]);
        if (JSON.stringify(lanceRows) !== JSON.stringify(lancecRows)) why ??= `versions differ: real Lance ${JSON.stringify(lanceRows)}, lancec ${JSON.stringify(lancecRows)}`;
        // every data file has the requested format (appends and overwrites keep it)
        const fv = fileVersions(dst);
        if (fv.some((v) => v !== footerOf(fmt))) why ??= `data file versions ${fv}, expected ${footerOf(fmt)}`;
        why ? bad(label, why) : ok(label, `4 versions, ${fv.length} data files in ${fmt}`);
      } catch (e) {
        bad(label, `real Lance failed: ${e.message}`);
      }
    }
  }
}

// ---------------------------------------------------------------- C
async function crossAppends() {
  const dir = path.join(shared, "corpus/public");
  const name = "types_int";
  if (only && !only.has(name)) return;
  const metaFile = path.join(dir, `${name}.meta.json`);
  const S = readLines(path.join(dir, `${name}.expected.jsonl`));
  const rowOf = (l) => Number(JSON.parse(l).row);

  // C1: lancec creates, real Lance appends + deletes, lancec reads
  {
    const label = "C lancec create → real Lance append+delete → lancec read";
    const db = path.join(tmp, "C1");
    fs.mkdirSync(db);
    const ds = path.join(db, "t.lance");
    const w = sh(`${q(lancec)} scan ${q(path.join(dir, name + ".lance"))} --format arrow | ${q(lancec)} write ${q(ds)} --input - --input-format arrow`);
    if (w.status !== 0) bad(label, w.err);
    else {
      try {
        const conn = await lancedb.connect(db);
        const t = await conn.openTable("t");
        const data = await t.query().toArrow();
        await t.add(data);
        await t.delete("row < 100");
        const ef = path.join(tmp, "C1.expected.jsonl");
        fs.writeFileSync(ef, S.concat(S).filter((l) => rowOf(l) >= 100).join("\n") + "\n");
        const lf = path.join(tmp, "C1.lancec.jsonl");
        const s = sh(`${q(lancec)} scan ${q(ds)} --format jsonl > ${q(lf)}`);
        stripLeadingBom(lf);
        const why = s.status !== 0 ? s.err : cmp(ef, lf, metaFile);
        why ? bad(label, why) : ok(label);
      } catch (e) {
        bad(label, e.message);
      }
    }
  }
  // C2: real Lance creates (a copy of the corpus dataset), lancec appends + deletes, real Lance reads
  {
    const label = "C real Lance dataset → lancec append+delete → real Lance read";
    const db = path.join(tmp, "C2");
    fs.mkdirSync(db);
    const ds = path.join(db, "t.lance");
    fs.cpSync(path.join(dir, name + ".lance"), ds, { recursive: true });
    const a = sh(`${q(lancec)} scan ${q(ds)} --format arrow --limit 300 | ${q(lancec)} write ${q(ds)} --input - --input-format arrow --mode append`);
    const d = a.status === 0 ? sh(`${q(lancec)} delete ${q(ds)} --where ${q("row >= 700 OR row < 5")}`) : a;
    if (d.status !== 0) bad(label, d.err);
    else {
      try {
        const prefix = path.join(tmp, "C2-dump", "t");
        fs.mkdirSync(path.dirname(prefix), { recursive: true });
        const dm = await lanceDump(ds, prefix, false);
        const ef = path.join(tmp, "C2.expected.jsonl");
        const rows = S.concat(S.slice(0, 300)).filter((l) => !(rowOf(l) >= 700 || rowOf(l) < 5));
        fs.writeFileSync(ef, rows.join("\n") + "\n");
        const why = cmp(ef, path.join(path.dirname(prefix), dm.expected_file), metaFile);
        why ? bad(label, why) : ok(label, `${rows.length} rows`);
      } catch (e) {
        bad(label, e.message);
      }
    }
  }
}

// C for file format 2.0: an append keeps the dataset's format whoever appends.
async function crossAppends20() {
  const dir = path.join(shared, "corpus/public");
  for (const name of ["types_int", "types_list"]) {
    if (only && !only.has(name)) continue;
    const metaFile = path.join(dir, `${name}.meta.json`);
    const S = readLines(path.join(dir, `${name}.expected.jsonl`));
    const rowOf = (l) => Number(JSON.parse(l).row);
    // C3: real Lance creates a 2.0 dataset, lancec appends (no version asked) + deletes, real Lance reads
    {
      const label = `C 2.0 ${name}: real Lance creates → lancec append+delete → real Lance read`;
      const db = path.join(tmp, `C3-${name}`);
      const ds = path.join(db, "t.lance");
      try {
        const data = await (await (await lancedb.connect(dir)).openTable(name)).query().toArrow();
        await (await lancedb.connect(db)).createTable("t", data, { storageOptions: { new_table_data_storage_version: "2.0" } });
        const a = sh(`${q(lancec)} scan ${q(ds)} --format arrow --limit 300 | ${q(lancec)} write ${q(ds)} --input - --input-format arrow --mode append`);
        const d = a.status === 0 ? sh(`${q(lancec)} delete ${q(ds)} --where ${q("row >= 550 OR row < 5")}`) : a;
        if (d.status !== 0) throw new Error(d.err);
        const fv = fileVersions(ds);
        const info = lancecRun(["info", ds]).out;
        let why = fv.length !== 2 || fv.some((v) => v !== "0.3") ? `data file versions ${fv}` : null;
        if (!why && !/data storage version: 2\.0/.test(info)) why = `lancec info: ${info.split("\n").find((l) => /storage/.test(l))}`;
        const prefix = path.join(tmp, `C3-${name}-dump`, "t");
        fs.mkdirSync(path.dirname(prefix), { recursive: true });
        const dm = await lanceDump(ds, prefix, false);
        const ef = path.join(tmp, `C3-${name}.expected.jsonl`);
        const rows = S.concat(S.slice(0, 300)).filter((l) => !(rowOf(l) >= 550 || rowOf(l) < 5));
        fs.writeFileSync(ef, rows.join("\n") + "\n");
        why ??= cmp(ef, path.join(path.dirname(prefix), dm.expected_file), metaFile);
        why ? bad(label, why) : ok(label, `${rows.length} rows, data files ${fv.join(" ")}`);
      } catch (e) {
        bad(label, e.message);
      }
    }
    // C4: lancec creates 2.0, real Lance appends + deletes and reads, lancec reads
    {
      const label = `C 2.0 ${name}: lancec creates → real Lance append+delete+read → lancec read`;
      const db = path.join(tmp, `C4-${name}`);
      fs.mkdirSync(db);
      const ds = path.join(db, "t.lance");
      const w = sh(`${q(lancec)} scan ${q(path.join(dir, name + ".lance"))} --format arrow | ${q(lancec)} write ${q(ds)} --input - --input-format arrow --data-storage-version 2.0`);
      try {
        if (w.status !== 0) throw new Error(w.err);
        const t = await (await lancedb.connect(db)).openTable("t");
        const data = await t.query().toArrow();
        await t.add(data);
        await t.delete("row < 100");
        const fv = fileVersions(ds);
        let why = fv.length !== 2 || fv.some((v) => v !== "0.3") ? `data file versions ${fv}` : null;
        const ef = path.join(tmp, `C4-${name}.expected.jsonl`);
        const rows = S.concat(S).filter((l) => rowOf(l) >= 100);
        fs.writeFileSync(ef, rows.join("\n") + "\n");
        const prefix = path.join(tmp, `C4-${name}-dump`, "t");
        fs.mkdirSync(path.dirname(prefix), { recursive: true });
        const dm = await lanceDump(ds, prefix, false);
        why ??= cmp(ef, path.join(path.dirname(prefix), dm.expected_file), metaFile);
        const lf = path.join(tmp, `C4-${name}.lancec.jsonl`);
        const s2 = sh(`${q(lancec)} scan ${q(ds)} --format jsonl > ${q(lf)}`);
        stripLeadingBom(lf);
        why ??= s2.status !== 0 ? s2.err : cmp(ef, lf, metaFile);
        why ? bad(label, why) : ok(label, `${rows.length} rows, data files ${fv.join(" ")}`);
      } catch (e) {
        bad(label, e.message);
      }
    }
  }
}

// ---------------------------------------------------------------- D
// Blob columns round trip: lancec reads the bytes and writes them back as blob
// columns; real Lance must return the same payloads (legacy blob: descriptor
// sizes; blob v2: Table.fetchBlobs sizes and sha256 recorded in the corpus).
async function blobs() {
  const { createHash } = await import("node:crypto");
  if (!only || only.has("blob_column")) {
    const label = "D legacy blob (blob_column → 2.1)";
    const db = path.join(tmp, "D1");
    fs.mkdirSync(db);
    const w = sh(`${q(lancec)} scan ${q(path.join(shared, "corpus/public/blob_column.lance"))} --format arrow | ${q(lancec)} write ${q(path.join(db, "t.lance"))} --input - --input-format arrow --data-storage-version 2.1`);
    if (w.status !== 0) bad(label, w.err);
    else {
      try {
        const t = await (await lancedb.connect(db)).openTable("t");
        const tbl = await t.query().toArrow();
        const exp = readLines(path.join(shared, "corpus/public/blob_column.expected.jsonl")).map((l) => JSON.parse(l));
        const ids = tbl.getChild("id"), blob = tbl.getChild("blob");
        let why = tbl.numRows !== exp.length ? `${tbl.numRows} rows, expected ${exp.length}` : null;
        for (let i = 0; !why && i < exp.length; i++) {
          const d = blob.get(i);
          const e = exp[i];
          if (Number(ids.get(i)) !== Number(e.id)) why = `row ${i}: id ${ids.get(i)}, expected ${e.id}`;
          else if ((d === null) !== (e.blob === null)) why = `row ${i}: null mismatch`;
          else if (d !== null && Number(d.size) !== Number(e.blob.size)) why = `row ${i}: size ${d.size}, expected ${e.blob.size}`;
        }
        why ? bad(label, why) : ok(label, `${exp.length} rows, sizes equal`);
      } catch (e) {
        bad(label, e.message);
      }
    }
  }
  if (!only || only.has("blob_v2")) {
    const label = "D blob v2 (blob_v2 → 2.2, fetchBlobs)";
    const db = path.join(tmp, "D2");
    fs.mkdirSync(db);
    const meta = JSON.parse(fs.readFileSync(path.join(shared, "corpus/public-2.2/blob_v2.meta.json"), "utf8"));
    const cols = (meta.queries || []).filter((x) => x.kind === "fetch_blobs" && x.sizes).map((x) => x.column);
    const w = sh(`${q(lancec)} scan ${q(path.join(shared, "corpus/public-2.2/blob_v2.lance"))} --format arrow | ${q(lancec)} write ${q(path.join(db, "t.lance"))} --input - --input-format arrow`);
    if (w.status !== 0) bad(label, w.err);
    else {
      try {
        const t = await (await lancedb.connect(db)).openTable("t");
        const rows = await t.query().select(["id"]).withRowId().toArray();
        let why = null;
        for (const c of cols) {
          const q2 = meta.queries.find((x) => x.kind === "fetch_blobs" && x.column === c);
          const got = await t.fetchBlobs(c, rows.map((r) => r._rowid));
          if (got.length !== q2.sizes.length) why ??= `${c}: ${got.length} blobs, expected ${q2.sizes.length}`;
          for (let i = 0; !why && i < got.length; i++) {
            const b = got[i];
            const size = b == null ? null : b.length;
            const sha = b == null ? null : createHash("sha256").update(b).digest("hex");
            if (size !== q2.sizes[i]) why = `${c} row ${i}: ${size} bytes, expected ${q2.sizes[i]}`;
            else if (size && sha !== q2.sha256[i]) why = `${c} row ${i}: sha256 differs`;
          }
        }
        why ? bad(label, why) : ok(label, `${cols.length} blob columns, sizes and sha256 equal`);
      } catch (e) {
        bad(label, e.message);
      }
    }
  }
}

await corpusRoundTrip();
await blobs();
await versionsMatrix();
await crossAppends();
await crossAppends20();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
