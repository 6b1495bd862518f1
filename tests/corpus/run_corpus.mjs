// Reads every dataset of the shared corpus with lancec and diffs the rows of
// every version against the expected files with the corpus's own compare.mjs.
//
//   node run_corpus.mjs --lancec PATH --shared DIR [--corpus public,public-2.2] [--only a,b]
//
// Datasets whose format belongs to a later issue (file format 2.0 and legacy
// v1) are listed as skipped; optional datasets (fmt_v2_3_next) are run but do
// not fail the suite. Blob columns: lancec returns the blob bytes, while the
// expected files hold lancedb's blob descriptors, so blob columns are checked
// separately (sizes against the descriptors / lancedb's fetchBlobs sizes and
// sha256 digests) and the other columns go through compare.mjs.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const lancec = opt("--lancec", process.env.LANCEC);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR);
const corpora = opt("--corpus", "public,public-2.2").split(",");
const only = opt("--only", "") ? new Set(opt("--only", "").split(",")) : null;
if (!lancec || !shared) {
  console.error("usage: run_corpus.mjs --lancec PATH --shared DIR");
  process.exit(2);
}
const compare = path.join(shared, "corpus/gen/compare.mjs");
const LATER_ISSUE = new Set([]);
const OPTIONAL = new Set(["fmt_v2_3_next"]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-corpus-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

let passed = 0, failed = 0, skipped = 0;
const failures = [];

function readExpectedLines(file) {
  const buf = fs.readFileSync(file);
  const text = file.endsWith(".gz") ? zlib.gunzipSync(buf).toString("utf8") : buf.toString("utf8");
  return text.split("\n").filter((l) => l.trim());
}
function readExpected(file) {
  return readExpectedLines(file).map((l) => JSON.parse(l));
}
// JSON.stringify loses the sign of -0.0, which compare.mjs checks: keep it.
function stringifyRow(row) {
  return JSON.stringify(row, (k, v) => (Object.is(v, -0) ? "__LANCEC_NEGZERO__" : v)).replace(/"__LANCEC_NEGZERO__"/g, "-0.0");
}
// Known defect of the shared expected files: the generator decodes strings
// with a default TextDecoder, which drops a leading U+FEFF (BOM), so values
// written as "\ufeffBOM" (gen/values.mjs) appear as "BOM" in *.expected.jsonl
// although the data files hold the BOM. Drop a leading U+FEFF from lancec's
// string values before comparing (everything else stays exact).
function stripLeadingBom(file) {
  const text = fs.readFileSync(file, "utf8");
  if (!text.includes("\ufeff")) return;
  fs.writeFileSync(file, text.replace(/([:\[,]")\ufeff/g, "$1"));
}

function runLancec(argv, outFile) {
  const fd = fs.openSync(outFile, "w");
  const r = spawnSync(lancec, argv, { stdio: ["ignore", fd, "pipe"], maxBuffer: 1 << 26 });
  fs.closeSync(fd);
  return r;
}

function isBlobField(f) {
  const md = f.metadata || {};
  return md["lance-encoding:blob"] === "true" || md["ARROW:extension:name"] === "lance.blob.v2";
}

function check(corpus, name, meta, version, expectedFile, variant = {}) {
  const dsDir = path.join(shared, "corpus", corpus, meta.dataset_dir || `${name}.lance`);
  const vmeta = meta.versions.find((v) => v.version === version) || {};
  const schema = vmeta.schema || meta.schema;
  let dropCols = schema.filter(isBlobField).map((f) => f.name);
  const blobCols = dropCols.slice();
  if (variant.columns) dropCols = schema.map((f) => f.name).filter((n) => !variant.columns.includes(n));
  const keep = schema.filter((f) => !dropCols.includes(f.name)).map((f) => f.name);
  const out = path.join(tmp, `${corpus}-${name}-${version}.jsonl`);
  const argv = ["scan", dsDir, "--format", "jsonl", "--version", String(version)];
  if (dropCols.length) argv.push("--columns", keep.join(","));
  if (variant.offset !== undefined) argv.push("--offset", String(variant.offset));
  if (variant.limit !== undefined) argv.push("--limit", String(variant.limit));
  if (variant.threads !== undefined) argv.push("--threads", String(variant.threads));
  if (variant.batch !== undefined) argv.push("--batch-size", String(variant.batch));
  const r = runLancec(argv, out);
  if (r.status !== 0) return { ok: false, why: `lancec exit ${r.status}: ${r.stderr.toString().trim()}` };
  stripLeadingBom(out);
  const cmpArgs = [compare, expectedFile, out, "--max-diffs", "3"];
  if (vmeta.schema || meta.versions.length > 1) cmpArgs.push("--version", String(version));
  let cmp;
  const sliced = variant.offset !== undefined || variant.limit !== undefined;
  if (dropCols.length || sliced) {
    // compare.mjs needs the same key set and rows: strip dropped columns, slice rows
    let lines = readExpectedLines(expectedFile);
    const off = variant.offset || 0;
    lines = lines.slice(off, variant.limit !== undefined ? off + variant.limit : undefined);
    const exp = !dropCols.length
      ? lines
      : lines.map((l) => {
          const row = JSON.parse(l);
          for (const c of dropCols) delete row[c];
          return stringifyRow(row);
        });
    const stripped = path.join(tmp, `${corpus}-${name}-${version}.expected.jsonl`);
    fs.writeFileSync(stripped, exp.length ? exp.join("\n") + "\n" : "");
    const metaCopy = JSON.parse(JSON.stringify(meta));
    const strip = (s) => s.filter((f) => !dropCols.includes(f.name));
    metaCopy.schema = strip(metaCopy.schema);
    for (const v of metaCopy.versions) if (v.schema) v.schema = strip(v.schema);
    delete metaCopy.scan_schema;
    const metaFile = path.join(tmp, `${corpus}-${name}.meta.json`);
    fs.writeFileSync(metaFile, JSON.stringify(metaCopy));
    cmpArgs[1] = stripped;
    cmpArgs.push("--meta", metaFile);
    cmp = spawnSync("node", cmpArgs);
  } else {
    cmp = spawnSync("node", cmpArgs);
  }
  if (cmp.status !== 0) return { ok: false, why: (cmp.stdout.toString() + cmp.stderr.toString()).trim() };
  if (blobCols.length && version === meta.latest_version && !variant.columns && !sliced) {
    const why = checkBlobs(dsDir, meta, blobCols, expectedFile, version);
    if (why) return { ok: false, why };
  }
  return { ok: true, why: cmp.stdout.toString().trim() };
}

// Blob payloads: sizes must match lancedb's descriptors (legacy blob) or the
// sizes + sha256 of lancedb's fetchBlobs (blob v2).
function checkBlobs(dsDir, meta, blobCols, expectedFile, version) {
  const out = path.join(tmp, "blobs.jsonl");
  const r = runLancec(["scan", dsDir, "--format", "jsonl", "--version", String(version), "--columns", blobCols.join(",")], out);
  if (r.status !== 0) return `blob scan failed: ${r.stderr.toString().trim()}`;
  const rows = fs.readFileSync(out, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l));
  const expected = readExpected(expectedFile);
  if (rows.length !== expected.length) return `blob scan: ${rows.length} rows, expected ${expected.length}`;
  const bytesOf = (v) => (v === null || v === undefined ? null : Buffer.from(typeof v === "string" ? v : v.data ?? "", "base64"));
  for (const c of blobCols) {
    const q = (meta.queries || []).find((x) => x.kind === "fetch_blobs" && x.column === c);
    for (let i = 0; i < rows.length; i++) {
      const got = rows[i][c];
      const gotBytes = got === null ? null : bytesOf(typeof got === "object" && got !== null ? got.data : got);
      if (q) {
        const size = q.sizes[i];
        if (size === null) {
          if (got !== null && gotBytes !== null && gotBytes.length !== 0) return `${c} row ${i}: expected null blob`;
          continue;
        }
        if (!gotBytes || gotBytes.length !== size) return `${c} row ${i}: ${gotBytes ? gotBytes.length : "null"} bytes, expected ${size}`;
        const sha = createHash("sha256").update(gotBytes).digest("hex");
        if (q.sha256 && q.sha256[i] && q.sha256[i] !== sha) return `${c} row ${i}: sha256 differs`;
      } else {
        const d = expected[i][c];
        if (d === null) {
          if (got !== null) return `${c} row ${i}: expected null`;
          continue;
        }
        if (!gotBytes || gotBytes.length !== Number(d.size)) return `${c} row ${i}: ${gotBytes ? gotBytes.length : "null"} bytes, expected ${d.size}`;
      }
    }
  }
  return null;
}

for (const corpus of corpora) {
  const dir = path.join(shared, "corpus", corpus);
  const metas = fs.readdirSync(dir).filter((f) => f.endsWith(".meta.json")).sort();
  for (const mf of metas) {
    const name = mf.replace(/\.meta\.json$/, "");
    if (only && !only.has(name)) continue;
    if (LATER_ISSUE.has(name)) {
      console.log(`SKIP ${corpus}/${name} (file format of the older-formats issue)`);
      skipped++;
      continue;
    }
    const meta = JSON.parse(fs.readFileSync(path.join(dir, mf), "utf8"));
    for (const v of meta.versions) {
      const exp = path.join(dir, v.expected_file || (v.version === meta.latest_version ? meta.expected_file : `${name}.v${v.version}.expected.jsonl`));
      if (!fs.existsSync(exp)) continue;
      const res = check(corpus, name, meta, v.version, exp);
      const label = `${corpus}/${name} v${v.version}`;
      if (res.ok) {
        passed++;
        console.log(`ok   ${label}: ${res.why}`);
      } else if (OPTIONAL.has(name)) {
        skipped++;
        console.log(`opt  ${label} (optional dataset) FAILED: ${res.why.split("\n").slice(0, 4).join(" | ")}`);
      } else {
        failed++;
        failures.push(label);
        console.log(`FAIL ${label}: ${res.why.split("\n").slice(0, 6).join(" | ")}`);
      }
    }
    // scan options on the latest version: offset/limit across fragments and
    // deletions, projection, thread counts with small batches (order must not change)
    if (OPTIONAL.has(name)) continue;
    const latestExp = path.join(dir, meta.expected_file);
    const n = meta.row_count;
    const variants = [
      { threads: 1, batch: 997 },
      { threads: 2, batch: 1000 },
      { offset: Math.floor(n / 3), limit: Math.max(1, Math.floor(n / 4)), threads: 2, batch: 333 },
      { offset: n > 0 ? n - 1 : 0, limit: 5 },
      { offset: n + 10 },
      { limit: 0 },
    ];
    const names = meta.schema.filter((f) => !isBlobField(f)).map((f) => f.name);
    if (names.length > 1) variants.push({ columns: [names[names.length - 1], names[0]].filter((v, i, a) => a.indexOf(v) === i) });
    for (const v of variants) {
      const label = `${corpus}/${name} ${JSON.stringify(v)}`;
      const res = check(corpus, name, meta, meta.latest_version, latestExp, v);
      if (res.ok) {
        passed++;
        if (process.env.VERBOSE) console.log(`ok   ${label}`);
      } else {
        failed++;
        failures.push(label);
        console.log(`FAIL ${label}: ${res.why.split("\n").slice(0, 6).join(" | ")}`);
      }
    }
    console.log(`ok   ${corpus}/${name}: ${variants.length} scan-option variants checked`);
  }
}
if (failures.length) console.log(`failed: ${failures.join(", ")}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
