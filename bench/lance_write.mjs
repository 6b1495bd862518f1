// Real Lance's side of the write benchmark: createTable from an in-memory Arrow
// table read from the same IPC stream lancec writes from.
//
//   node bench/lance_write.mjs INPUT.arrows OUT_DIR [--reps N] [--threads N]
// Prints one JSON line like bench_write (mb_per_s = input bytes / median seconds).
import fs from "node:fs";
import path from "node:path";
import url from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(url.fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const [input, out] = args;
const reps = Number(opt("--reps", 3));
const threads = opt("--threads", null);
if (threads) {
  process.env.LANCE_CPU_THREADS = threads;
  process.env.LANCE_IO_THREADS = threads;
}
const require = createRequire(path.join(here, "../tests/interop/package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");
const bytes = fs.statSync(input).size;
const db = await lancedb.connect(out);
const secs = [];
let rows = 0;
for (let i = 0; i < reps; i++) {
  // streamed (the input may exceed Node's 2 GiB readFileSync limit)
  const reader = await arrow.RecordBatchReader.from(fs.createReadStream(input));
  const batches = [];
  for await (const b of reader) batches.push(b);
  const table = new arrow.Table(batches);
  rows = table.numRows;
  const name = `rep${i}`;
  if (i > 0) await db.dropTable(`rep${i - 1}`);
  const t0 = process.hrtime.bigint();
  await db.createTable(name, table, { mode: "overwrite" });
  secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
const med = [...secs].sort((a, b) => a - b)[Math.floor(secs.length / 2)];
console.log(JSON.stringify({ impl: "lance", rows, input_bytes: bytes, seconds: secs, median_s: med, mb_per_s: Number((bytes / med / 1e6).toFixed(1)), dataset: path.join(out, `rep${reps - 1}.lance`) }));
