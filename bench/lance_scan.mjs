#!/usr/bin/env node
// Full-scan throughput of real Lance (@lancedb/lancedb from tests/interop/node_modules).
//
// usage: node bench/lance_scan.mjs DATASET_DIR [--reps N] [--warmup N] [--threads N]
//                                  [--mode iter|toArrow] [--batch-size N]
//   DATASET_DIR  <db folder>/<name>.lance (written by gen_bench_data.mjs)
//   --reps       timed repetitions (default 5), after --warmup untimed ones (default 1)
//   --threads    sets LANCE_CPU_THREADS and LANCE_IO_THREADS (before lancedb loads);
//                without it those variables are taken from the environment as they are
//   --mode       iter: `for await (batch of table.query().execute({maxBatchLength}))`
//                (default; memory stays bounded); toArrow: `await table.query().toArrow()`
//   --batch-size maxBatchLength of the iterator (default 65536, lancec's default batch size)
//
// Every returned batch is Arrow (never toArray()); per batch the checksum
// reads the id values and the s offsets.  Prints one JSON line:
// { impl: "lance", rows_per_s (median rep), seconds: [...], checksum: {rows, sum_id, s_bytes}, ... }

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INTEROP = path.resolve(HERE, "../tests/interop");

function parseArgs(argv) {
  const a = { dir: null, reps: 5, warmup: 1, threads: null, mode: "iter", batchSize: 65536 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === "--reps") a.reps = Number(v());
    else if (k === "--warmup") a.warmup = Number(v());
    else if (k === "--threads") a.threads = Number(v());
    else if (k === "--mode") a.mode = v();
    else if (k === "--batch-size") a.batchSize = Number(v());
    else if (k === "-h" || k === "--help") {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(1, 17).map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
      process.exit(0);
    } else if (!a.dir && !k.startsWith("--")) a.dir = k;
    else { console.error("lance_scan: unknown argument " + k); process.exit(2); }
  }
  if (!a.dir || !["iter", "toArrow"].includes(a.mode) || !(a.reps >= 1)) { console.error("usage: node bench/lance_scan.mjs DATASET_DIR [--reps N] [--warmup N] [--threads N] [--mode iter|toArrow]"); process.exit(2); }
  return a;
}

function checksumBatch(batch, acc) {
  acc.rows += batch.numRows;
  const id = batch.getChild("id");
  if (id) {
    for (const d of id.data) {
      const v = d.values; // BigInt64Array, already sliced to the batch
      let s = 0n;
      // sum in Number chunks to keep BigInt work small: ids < 2^53
      let chunk = 0;
      for (let i = 0; i < d.length; i++) {
        chunk += Number(v[i]);
        if ((i & 1023) === 1023) { s += BigInt(chunk); chunk = 0; }
      }
      acc.sumId += s + BigInt(chunk);
    }
  }
  const s = batch.getChild("s");
  if (s) {
    for (const d of s.data) {
      const o = d.valueOffsets;
      acc.sBytes += Number(o[d.length]) - Number(o[0]);
    }
  }
}

async function scanOnce(table, a) {
  const acc = { rows: 0, sumId: 0n, sBytes: 0, batches: 0 };
  const t0 = process.hrtime.bigint();
  if (a.mode === "toArrow") {
    const t = await table.query().toArrow();
    for (const b of t.batches) { checksumBatch(b, acc); acc.batches++; }
  } else {
    for await (const b of table.query().execute({ maxBatchLength: a.batchSize })) { checksumBatch(b, acc); acc.batches++; }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, acc };
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  if (a.threads) {
    // read by the Lance runtime when it starts: set before lancedb is loaded
    process.env.LANCE_CPU_THREADS = String(a.threads);
    process.env.LANCE_IO_THREADS = String(a.threads);
  }
  if (!fs.existsSync(path.join(INTEROP, "node_modules", "@lancedb", "lancedb"))) {
    console.error(`lance_scan: ${INTEROP}/node_modules is missing: run scripts/bootstrap.sh (or npm ci in tests/interop)`);
    process.exit(2);
  }
  const req = createRequire(path.join(INTEROP, "package.json"));
  const lancedb = req("@lancedb/lancedb");
  const abs = path.resolve(a.dir);
  if (!abs.endsWith(".lance") || !fs.existsSync(abs)) { console.error(`lance_scan: ${abs} is not a <name>.lance dataset folder`); process.exit(2); }
  const db = await lancedb.connect(path.dirname(abs));
  const table = await db.openTable(path.basename(abs).slice(0, -".lance".length));
  for (let i = 0; i < a.warmup; i++) await scanOnce(table, a);
  const seconds = [];
  let acc = null;
  for (let i = 0; i < a.reps; i++) {
    const r = await scanOnce(table, a);
    seconds.push(r.seconds);
    if (acc && (acc.rows !== r.acc.rows || acc.sumId !== r.acc.sumId)) throw new Error("checksum changed between repetitions");
    acc = r.acc;
  }
  const sorted = [...seconds].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  table.close();
  console.log(JSON.stringify({
    impl: "lance",
    lancedb: JSON.parse(fs.readFileSync(path.join(INTEROP, "node_modules/@lancedb/lancedb/package.json"), "utf8")).version,
    dataset: abs,
    mode: a.mode,
    batch_size: a.mode === "iter" ? a.batchSize : null,
    threads: { LANCE_CPU_THREADS: process.env.LANCE_CPU_THREADS || null, LANCE_IO_THREADS: process.env.LANCE_IO_THREADS || null },
    warmup: a.warmup,
    seconds: seconds.map((s) => Math.round(s * 1e4) / 1e4),
    median_s: Math.round(median * 1e4) / 1e4,
    best_s: Math.round(sorted[0] * 1e4) / 1e4,
    rows_per_s: Math.round(acc.rows / median),
    batches: acc.batches,
    checksum: { rows: acc.rows, sum_id: acc.sumId.toString(), s_bytes: acc.sBytes },
  }));
}

main().catch((e) => { console.error("lance_scan: " + (e && e.stack ? e.stack : e)); process.exit(1); });
