// Bad input must give a clear one-line error and a non-zero exit status —
// never a crash (signal), never a hang, never rows from a broken file.
// Each case copies a small real dataset from the corpus into a temp dir,
// breaks one thing, and runs `lancec scan` / `info` / `versions` on it.
//
//   node bad_input.mjs --lancec PATH --shared DIR
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-bad-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

let passed = 0, failed = 0;
function copyDataset(corpus, name) {
  const src = path.join(shared, "corpus", corpus, `${name}.lance`);
  const dst = path.join(tmp, `${corpus}-${name}-${passed + failed}`);
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}
const listFiles = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : []);
const dataFiles = (ds) => listFiles(path.join(ds, "data")).filter((f) => f.endsWith(".lance")).sort();
const manifests = (ds) => listFiles(path.join(ds, "_versions")).filter((f) => f.endsWith(".manifest")).sort();

// expect: regex the single stderr line must match
function expectError(label, argv, expect) {
  const r = spawnSync(lancec, argv, { timeout: 60000 });
  const err = r.stderr.toString();
  const lines = err.trim().split("\n").filter((l) => l);
  let why = null;
  if (r.signal) why = `killed by ${r.signal}`;
  else if (r.status === 0) why = "exit status 0 (expected an error)";
  else if (r.status !== 1 && r.status !== 2) why = `exit status ${r.status}`;
  else if (lines.length !== 1) why = `expected one line on stderr, got ${lines.length}: ${err}`;
  else if (!/^lancec: /.test(lines[0])) why = `message does not start with 'lancec: ': ${lines[0]}`;
  else if (expect && !expect.test(lines[0])) why = `message does not match ${expect}: ${lines[0]}`;
  if (why) {
    failed++;
    console.log(`FAIL ${label}: ${why}`);
  } else {
    passed++;
    console.log(`ok   ${label}: ${lines[0]}`);
  }
}

function patchFile(file, fn) {
  const b = fs.readFileSync(file);
  fs.writeFileSync(file, fn(Buffer.from(b)));
}

// 1. truncated data file
for (const corpus of ["public", "public-2.2"]) {
  const ds = copyDataset(corpus, "types_int");
  const f = dataFiles(ds)[0];
  patchFile(f, (b) => b.subarray(0, Math.floor(b.length / 2)));
  expectError(`${corpus}: truncated data file`, ["scan", ds, "--format", "jsonl"], new RegExp(path.basename(f).replace(".", "\\.")));
}
// 2. data file cut to a few bytes
{
  const ds = copyDataset("public", "types_string");
  const f = dataFiles(ds)[0];
  patchFile(f, (b) => b.subarray(0, 10));
  expectError("data file of 10 bytes", ["scan", ds], new RegExp(path.basename(f).replace(".", "\\.")));
}
// 3. wrong magic in a data file
{
  const ds = copyDataset("public-2.2", "types_float");
  const f = dataFiles(ds)[0];
  patchFile(f, (b) => (b.write("XXXX", b.length - 4, "latin1"), b));
  expectError("data file with wrong magic", ["scan", ds], /magic|not a Lance/i);
}
// 4. wrong magic in the manifest
{
  const ds = copyDataset("public", "types_bool_null");
  const m = manifests(ds)[0];
  patchFile(m, (b) => (b.write("LANX", b.length - 4, "latin1"), b));
  expectError("manifest with wrong magic", ["scan", ds], /manifest/i);
  expectError("manifest with wrong magic (info)", ["info", ds], /manifest/i);
}
// 5. truncated manifest
{
  const ds = copyDataset("public", "types_dict");
  const m = manifests(ds)[0];
  patchFile(m, (b) => b.subarray(0, b.length - 7));
  expectError("truncated manifest", ["scan", ds], /manifest/i);
}
// 6. corrupt manifest protobuf (garbage in the middle, footer intact)
{
  const ds = copyDataset("public-2.2", "types_temporal");
  const m = manifests(ds)[0];
  patchFile(m, (b) => {
    const pos = Number(b.readBigInt64LE(b.length - 16));
    for (let i = pos + 4; i < b.length - 16; i++) b[i] = 0xff;
    return b;
  });
  expectError("corrupt manifest protobuf", ["scan", ds], /manifest/i);
}
// 7. missing version
{
  const ds = copyDataset("public", "versions_many");
  expectError("missing version", ["scan", ds, "--version", "99"], /version 99/);
  expectError("missing tag", ["scan", ds, "--tag", "nope"], /nope/);
  expectError("asof before the first version", ["scan", ds, "--asof", "2001-01-01T00:00:00Z"], /version|2001/i);
}
// 8. not a dataset at all
expectError("directory that is not a dataset", ["scan", tmp], /not a Lance dataset|_versions/i);
expectError("path that does not exist", ["scan", path.join(tmp, "nope")], /nope/);
// 9. missing data file
{
  const ds = copyDataset("public", "types_list");
  const f = dataFiles(ds)[0];
  fs.rmSync(f);
  expectError("missing data file", ["scan", ds], new RegExp(path.basename(f).replace(".", "\\.")));
}
// 10. unknown page layout (PageLayout oneof field 1 → unknown field 7)
for (const corpus of ["public", "public-2.2"]) {
  const ds = copyDataset(corpus, "types_int");
  const f = dataFiles(ds)[0];
  patchFile(f, (b) => {
    const key = Buffer.from("/lance.encodings21.PageLayout");
    const at = b.indexOf(key);
    let p = at + key.length;
    if (b[p] !== 0x12) throw new Error("unexpected Any layout");
    p++;
    while (b[p] & 0x80) p++;
    p++;
    b[p] = 0x3a; // field 7, length-delimited: not a layout lancec knows
    return b;
  });
  expectError(`${corpus}: unknown page layout`, ["scan", ds], /layout|encoding/i);
}
// 11. unknown compressive encoding (value_compression oneof → field 14, not a 2.2 encoding)
{
  const ds = copyDataset("public-2.2", "types_int");
  const f = dataFiles(ds)[0];
  patchFile(f, (b) => {
    const key = Buffer.from("/lance.encodings21.PageLayout");
    let at = b.indexOf(key);
    let patched = false;
    while (at >= 0 && !patched) {
      let p = at + key.length + 1;
      while (b[p] & 0x80) p++;
      p++;
      if (b[p] === 0x0a) {
        // mini_block_layout: find value_compression (field 3 → 0x1a) inside
        let q = p + 1;
        while (b[q] & 0x80) q++;
        q++;
        const end = q + 40;
        for (; q < end; q++) {
          if (b[q] === 0x1a && b[q + 2] >= 0x0a && b[q + 2] <= 0x6a && (b[q + 2] & 7) === 2) {
            b[q + 2] = (14 << 3) | 2; // oneof field 14 (Range, newer than Lance 12): unknown to lancec
            patched = true;
            break;
          }
        }
      }
      at = b.indexOf(key, at + 1);
    }
    return b;
  });
  expectError("unknown compressive encoding", ["scan", ds], /encoding|compression/i);
}
// 12. bad options
expectError("bad --format", ["scan", path.join(shared, "corpus/public/types_int.lance"), "--format", "xml"], /--format/);
expectError("unknown column", ["scan", path.join(shared, "corpus/public/types_int.lance"), "--columns", "nope"], /nope/);
expectError("bad --asof", ["scan", path.join(shared, "corpus/public/types_int.lance"), "--asof", "yesterday"], /asof/);
// 13. deletion file that is not an Arrow file
{
  const ds = copyDataset("public", "deletions_arrow");
  const dels = listFiles(path.join(ds, "_deletions")).filter((f) => f.endsWith(".arrow"));
  for (const d of dels) patchFile(d, (b) => (b.fill(0x41, 0, 8), b));
  expectError("corrupt .arrow deletion file", ["scan", ds], /deletion|\.arrow/i);
}
{
  const ds = copyDataset("public", "deletions_bin");
  const dels = listFiles(path.join(ds, "_deletions")).filter((f) => f.endsWith(".bin"));
  for (const d of dels) patchFile(d, (b) => b.subarray(0, 12));
  expectError("truncated .bin deletion file", ["scan", ds], /deletion|\.bin/i);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
