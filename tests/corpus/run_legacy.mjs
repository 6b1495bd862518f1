// The historical datasets of shared/corpus/legacy (written by Lance 0.5 …
// 0.36, file formats v1 and 2.0), read in place by lancec and compared, for
// every version, with the rows lancedb read back (LEGACY_INDEX.json).
// Datasets lancedb itself cannot open (status != ok) are listed as skipped.
//
//   node run_legacy.mjs --lancec PATH --shared DIR [--only name,name]
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR);
const only = opt("--only", "") ? new Set(opt("--only", "").split(",")) : null;
const root = path.join(shared, "corpus/legacy");
const compare = path.join(shared, "corpus/gen/compare.mjs");
const index = JSON.parse(fs.readFileSync(path.join(root, "LEGACY_INDEX.json"), "utf8"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lancec-legacy-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

let passed = 0, failed = 0, skipped = 0;
for (const d of index.datasets) {
  if (only && !only.has(d.name)) continue;
  const label = d.dataset;
  if (d.status !== "ok") {
    skipped++;
    console.log(`SKIP ${label}: lancedb cannot read it either (${d.status}${d.error ? ": " + String(d.error).slice(0, 120) : ""})`);
    continue;
  }
  const dsDir = path.join(root, d.dataset);
  const metaFile = path.join(root, d.meta_file);
  const dir = path.dirname(metaFile);
  for (const v of d.versions) {
    const out = path.join(tmp, `${d.name}-${v.version}.jsonl`);
    const fd = fs.openSync(out, "w");
    const r = spawnSync(lancec, ["scan", dsDir, "--format", "jsonl", "--version", String(v.version)], { stdio: ["ignore", fd, "pipe"] });
    fs.closeSync(fd);
    const vl = `${label} v${v.version}`;
    if (r.status !== 0) {
      failed++;
      console.log(`FAIL ${vl}: lancec: ${r.stderr.toString().trim()}`);
      continue;
    }
    const c = spawnSync("node", [compare, path.join(dir, v.expected_file), out, "--meta", metaFile, "--version", String(v.version), "--max-diffs", "3"]);
    if (c.status === 0) {
      passed++;
      console.log(`ok   ${vl}: ${c.stdout.toString().trim()}`);
    } else {
      failed++;
      console.log(`FAIL ${vl}: ${(c.stdout.toString() + c.stderr.toString()).trim().split("\n").slice(0, 4).join(" | ")}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
