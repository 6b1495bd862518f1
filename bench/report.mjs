// Tables of the benchmark suite (bench/suite.mjs): the text printed at the end
// of a run and bench/RESULTS.md. Also a tool of its own:
//
//   node bench/report.mjs RESULTS.json [OUT.md]   re-render from a run's raw results
//                                                 (<data>/run_<rows>/results.json)

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const median = (xs) => {
  if (!xs || !xs.length) return null;
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function fmtTime(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "-";
  if (s >= 10) return `${s.toFixed(1)} s`;
  if (s >= 1) return `${s.toFixed(2)} s`;
  if (s >= 0.01) return `${(s * 1e3).toFixed(0)} ms`;
  if (s >= 0.001) return `${(s * 1e3).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}
const fmtRatio = (x) => (x === null || !Number.isFinite(x) ? "-" : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtBytes = (b) => (b === null || b === undefined ? "-" : b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`);
const fmtRate = (bps) => (bps ? `${(bps / 1e9).toFixed(2)} GB/s` : "-");
const fmtInt = (n) => (n === null || n === undefined ? "-" : Number(n).toLocaleString("en-US"));

// The physical reference of a workload: the time plain syscalls need for what lancec did.
//  reads (warm): pread() of the bytes lancec read at the page-cache speed + its read calls at the
//                cost of one 4 KiB pread from the page cache
//  reads (cold): the larger of the bytes at the cold (disk) read speed and the read calls at the
//                cost of one cold 4 KiB pread
//  writes:       write() of the bytes lancec's table takes on disk at the page-cache write speed
export function physicalRef(res, phys, cold) {
  if (!phys) return null;
  if (res.op === "write" || res.op === "append") {
    const b = res.lancec.bytes_on_disk;
    return b ? b / phys.write_bps : null;
  }
  const side = cold ? res.cold?.lancec : res.lancec;
  const b = median(side?.io_bytes), c = median(side?.io_calls);
  if (b === null) return null;
  if (cold) return Math.max(b / phys.read_cold_bps, c * phys.pread4k_cold_s);
  return b / phys.read_warm_bps + c * phys.pread4k_warm_s;
}

function mainRows(R) {
  const rows = [];
  const order = [...new Set(R.workloads.map((w) => w.id))];
  for (const id of order) {
    for (const w of R.workloads.filter((x) => x.id === id)) {
      const a = median(w.lancec.secs), b = median(w.lance.secs);
      rows.push([w.label, String(w.threads), fmtInt(w.rows), fmtTime(a), fmtTime(b), fmtRatio(a && b ? b / a : null),
        fmtTime(physicalRef(w, R.physical, false)), w.check || (w.errors.length ? "ERROR" : "-")]);
    }
  }
  return rows;
}

function coldRows(R) {
  const rows = [];
  for (const w of R.workloads.filter((x) => x.cold)) {
    const a = median(w.cold.lancec.secs), b = median(w.cold.lance.secs);
    const left = Math.max(0, ...w.cold.drops.map((d) => d.resident_after / Math.max(1, d.bytes)));
    rows.push([w.label, String(w.threads), fmtInt(w.rows), fmtTime(a), fmtTime(b), fmtRatio(a && b ? b / a : null),
      fmtTime(physicalRef(w, R.physical, true)), `${[...new Set(w.cold.drops.map((d) => d.method))].join(",")}, ${(left * 100).toFixed(1)} % left`]);
  }
  return rows;
}

const HEAD = ["workload", "threads", "rows", "lancec (median)", "real Lance (median)", "ratio", "physical ref", "results"];

function findW(R, id, T) { return R.workloads.find((w) => w.id === id && w.threads === T); }

function formatRows(R) {
  const rows = [];
  for (const T of R.config.threads) {
    for (const [id, what] of [["scan_all", "2.2, written by real Lance"], ["scan_all_by_lancec", "2.2, written by lancec"],
      ["scan_all_v2_0", "2.0, written by real Lance"], ["scan_all_v2_0_by_lancec", "2.0, written by lancec"]]) {
      const w = findW(R, id, T);
      if (!w) continue;
      const a = median(w.lancec.secs), b = median(w.lance.secs);
      rows.push([what, String(T), fmtTime(a), fmtTime(b), fmtRatio(a && b ? b / a : null), w.check || "-"]);
    }
  }
  return rows;
}

function takeRows(R) {
  const rows = [];
  for (const T of R.config.threads) {
    for (const id of ["take_1000", "take_1000_rowids"]) {
      const w = findW(R, id, T);
      if (!w) continue;
      const a = median(w.lancec.secs), b = median(w.lance.secs);
      rows.push([id === "take_1000" ? "offsets (lancec_dataset_take LANCEC_TAKE_OFFSETS / table.takeOffsets)" : "row ids (LANCEC_TAKE_ROW_IDS / table.takeRowIds)",
        String(T), a ? fmtInt(Math.round(w.rows / a)) : "-", b ? fmtInt(Math.round(w.rows / b)) : "-", fmtRatio(a && b ? b / a : null), w.check || "-"]);
    }
  }
  return rows;
}

function scalingRows(R) {
  const ts = R.config.threads;
  if (ts.length < 2) return [];
  const t1 = Math.min(...ts), t2 = Math.max(...ts);
  const rows = [];
  for (const id of [...new Set(R.workloads.map((w) => w.id))]) {
    const a = findW(R, id, t1), b = findW(R, id, t2);
    if (!a || !b || a.op === "write" || a.op === "append") continue;
    const la = median(a.lancec.secs), lb = median(b.lancec.secs), ra = median(a.lance.secs), rb = median(b.lance.secs);
    rows.push([a.label, fmtRatio(la && lb ? la / lb : null), fmtRatio(ra && rb ? ra / rb : null)]);
  }
  return rows;
}

function filterRows(R) {
  const rows = [];
  for (const T of R.config.threads)
    for (const w of R.workloads.filter((x) => x.threads === T && (x.id.startsWith("filter_") || x.id === "count_filter"))) {
      const a = median(w.lancec.secs), b = median(w.lance.secs);
      rows.push([w.label, String(T), fmtInt(w.rows), fmtTime(a), fmtTime(b), fmtRatio(a && b ? b / a : null)]);
    }
  return rows;
}

function ioRows(R) {
  const full = (R.io_study || []).find((c) => c.id === "full_id");
  return (R.io_study || []).map((c) => {
    const idx = /index: *(.*)/.exec(c.lancec.plan || "");
    return [c.label, c.lancec.error ? "error" : fmtBytes(c.lancec.bytes), c.lancec.error ? "-" : fmtInt(c.lancec.calls),
      full && !c.lancec.error && full.lancec.bytes ? `${((c.lancec.bytes / full.lancec.bytes) * 100).toFixed(1)} %` : "-",
      c.lance.error ? "error" : fmtBytes(c.lance.bytes), idx ? idx[1].trim() : "-"];
  });
}

function physRows(P) {
  if (!P) return [];
  return [
    ["memcpy (one 256 MiB buffer into another)", fmtRate(P.memcpy_bps)],
    [`read the dataset's bytes from the page cache (pread, 1 MiB calls, ${fmtBytes(P.bytes)})`, fmtRate(P.read_warm_bps)],
    [`read them after evicting them from the page cache (first ${fmtBytes(P.read_cold_bytes)}, 8 MiB preads), one thread / two threads`,
      P.read_cold1_bps ? `${fmtRate(P.read_cold1_bps)} / ${fmtRate(P.read_cold2_bps)}` : fmtRate(P.read_cold_bps)],
    ["one 4 KiB pread at a random offset, page cache / cold", `${fmtTime(P.pread4k_warm_s)} / ${fmtTime(P.pread4k_cold_s)}`],
    ["write 256 MiB into the page cache / including fsync", `${fmtRate(P.write_bps)} / ${fmtRate(P.write_fsync_bps)}`],
    [`zstd level 3 decompression (${fmtBytes(P.sample_bytes)} of the data files in 1 MiB chunks, ratio ${P.zstd.ratio.toFixed(2)})`, fmtRate(P.zstd.decompress_bps)],
    [`lz4 decompression (same bytes, ratio ${P.lz4.ratio.toFixed(2)})`, fmtRate(P.lz4.decompress_bps)],
  ];
}

// ---- text ------------------------------------------------------------------------

function textTable(head, rows, right = []) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (right.includes(i) ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

export function renderText(R) {
  let s = `\nlancec vs real Lance (@lancedb/lancedb ${R.machine.lancedb}), ${fmtInt(R.config.rows)} rows, ${R.config.reps} timed runs per engine after 1 untimed run, warm page cache\n`;
  s += "ratio = real Lance median / lancec median (> 1: lancec faster); physical ref: see bench/README.md\n\n";
  s += textTable(HEAD, mainRows(R), [1, 2, 3, 4, 5, 6]);
  const cr = coldRows(R);
  if (cr.length) s += "\ncold (files evicted from the page cache before each run):\n" + textTable([...HEAD.slice(0, 7), "eviction"], cr, [1, 2, 3, 4, 5, 6]);
  const wc = R.whole_command;
  if (wc) {
    const a = median(wc.lancec.secs), b = median(wc.lance.secs);
    s += `\n${wc.label}, ${wc.threads} threads: lancec CLI ${fmtTime(a)}, node + lancedb ${fmtTime(b)}, ratio ${fmtRatio(b / a)}, results ${wc.check}\n`;
  }
  const io = ioRows(R);
  if (io.length) s += "\nbytes read (fresh handle):\n" + textTable(["query", "lancec bytes", "lancec reads", "of full id scan", "real Lance bytes_read", "lancec index"], io, [1, 2, 3, 4]);
  const cpu = R.cpu;
  if (cpu) s += `\nwall ${cpu.wall_s.toFixed(0)} s; CPU time of other processes during the run: ${cpu.others_cpu_s.toFixed(0)} s (load average ${cpu.load_start[0].toFixed(2)} at the start, ${cpu.load_end[0].toFixed(2)} at the end)\n`;
  if (R.failures.length) s += `\nFAILURES:\n${R.failures.map((f) => "  " + f).join("\n")}\n`;
  return s;
}

// ---- markdown --------------------------------------------------------------------

function mdTable(head, rows, right = []) {
  const al = head.map((_, i) => (right.includes(i) ? "---:" : "---"));
  const esc = (c) => String(c).replace(/\|/g, "\\|");
  return [`| ${head.map(esc).join(" | ")} |`, `| ${al.join(" | ")} |`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n") + "\n";
}

export function renderMarkdown(R) {
  const C = R.config, M = R.machine, P = R.physical, cpu = R.cpu;
  const others = cpu ? cpu.others_cpu_s / Math.max(1, cpu.wall_s * M.cores) : 0;
  let s = "# Benchmark results: lancec vs real Lance\n\n";
  s += `Generated by \`bench/run.sh\` (bench/suite.mjs) on ${R.started.slice(0, 10)}; do not edit by hand. `;
  s += `Raw numbers of the run: \`<data>/run_${C.rows}/results.json\` (\`node bench/report.mjs\` re-renders this file from it).\n\n`;
  s += "## How to read this\n\n";
  s += "* **lancec** is the C library (`bench/lancec_bench.c`, public API, a consumer that reads every buffer of every batch once); " +
    "**real Lance** is `@lancedb/lancedb` in Node (`bench/lance_bench.mjs`, results as Arrow record batches: `execute({maxBatchLength: 65536})` " +
    "or `toArrow({maxBatchLength: 65536})`, never `toArray()`). Real Lance's times include lancedb's Rust → JS Arrow IPC hand-over of every batch: " +
    "that is what a Node user of real Lance pays.\n";
  s += `* Times are medians of ${C.reps} timed runs per engine, taken in-process (Node start-up and opening the table excluded), ` +
    "alternating lancec and real Lance, after one untimed run of each that also checks the results. " +
    "**ratio** = real Lance's median / lancec's median: above 1 lancec is faster.\n";
  s += "* **results**: `equal` when both engines returned the same row count and checksum (per column: sum of integers, sum of floats rounded " +
    "to 2 or 6 decimals, bytes and byte sum of strings, null counts). For the writes, each engine read the table the other one wrote and both " +
    "had to equal the source rows.\n";
  s += "* **physical ref** is a floor from plain syscalls measured in the same run (`bench/physical.c`): for reads, `pread()` of the bytes lancec " +
    "read (`lancec_dataset_io_stats`) at the page-cache speed plus one 4 KiB pread per read call lancec made (cold: the disk speed of the " +
    "faster of one or two reading threads, or the cold 4 KiB preads, whichever takes longer; the VM's disk is partly cached by its host, so cold numbers vary); for writes, `write()` of the table's bytes into the page cache. lancec close to it means the " +
    "work left is I/O, far above it means CPU (decoding, copying).\n";
  s += "* threads: lancec's `num_threads`; real Lance's `LANCE_CPU_THREADS` and `LANCE_IO_THREADS`, both set to the same number. lancec's writes " +
    "use one thread whatever the setting.\n";
  s += "* writes: the input rows are in memory before the clock starts and the file system is synced before every run. lancec `fsync`s every " +
    "file and manifest it writes (4 per commit); lancedb 0.39 on a local folder does not call `fsync` at all (checked with strace), " +
    "so real Lance's write times do not include making the data durable.\n\n";
  s += "## Machine and run\n\n";
  s += mdTable(["", ""], [
    ["CPU", `${M.cpu}, ${M.cores} cores`], ["memory", `${M.memory_gib} GiB`], ["kernel", M.kernel], ["data folder", `${M.data_dir} (${M.data_fs})`],
    ["Node / lancedb / apache-arrow", `${M.node} / ${M.lancedb} / ${M.apache_arrow}`], ["lancec", `${R.lancec_version}, commit ${M.lancec_commit}`],
    ["table", `${fmtInt(C.rows)} rows: id int64, x float64 (1 % null), s utf8 (10–30 characters), vec fixed_size_list<float32, 128>; ` +
      `written by real Lance in ${R.generated?.["2.2"]?.fragments ?? "?"} fragments (\`bench/gen_bench_data.mjs\`, seed 42)`],
    ["parameters", `reps ${C.reps}, cold reps ${C.coldReps}, threads ${C.threads.join(" and ")}, write ${fmtInt(C.writeRows)} rows, append ${C.appendBatches} × ${C.appendRows} rows, formats ${C.formats.join(", ")}`],
    ["wall time", cpu ? `${(cpu.wall_s / 60).toFixed(1)} min` : "-"],
    ["other work on the machine", cpu ? `${cpu.others_cpu_s.toFixed(0)} CPU-seconds by other processes during the run (${(others * 100).toFixed(0)} % of the machine; load average ${cpu.load_start[0].toFixed(2)} at the start, ${cpu.load_end[0].toFixed(2)} at the end)` : "-"],
  ]);
  if (others > 0.1) s += `\n**Other work ran concurrently** (${(others * 100).toFixed(0)} % of the machine's CPU time went to other processes), so absolute numbers are noisy; both engines ran alternately, so the ratios are less affected.\n`;
  s += "\n## All workloads (warm page cache)\n\n" + mdTable(HEAD, mainRows(R), [1, 2, 3, 4, 5, 6]);
  const cr = coldRows(R);
  if (cr.length) s += "\n## Cold runs\n\nEach run right after evicting every file of the dataset from the page cache (`posix_fadvise(POSIX_FADV_DONTNEED)`, checked with `mincore`; `/proc/sys/vm/drop_caches` as the fallback).\n\n" + mdTable([...HEAD.slice(0, 7), "eviction"], cr, [1, 2, 3, 4, 5, 6]);
  const wc = R.whole_command;
  if (wc) {
    const a = median(wc.lancec.secs), b = median(wc.lance.secs);
    s += `\n## Whole command\n\n${wc.label}, ${wc.threads} threads, median of ${wc.lancec.secs.length} runs after one untimed run, alternating:\n\n`;
    s += mdTable(["command", "median", "count"], [[`\`${wc.lancec_cmd.replace(M.data_dir, "<data>")}\``, fmtTime(a), fmtInt(wc.rows)], [`\`${wc.lance_cmd}\` (LANCE_*_THREADS=${wc.threads})`, fmtTime(b), wc.check]], [1]);
    s += `\nratio ${fmtRatio(b / a)}.\n`;
  }
  const fr = formatRows(R);
  if (fr.length) s += "\n## Format 2.0 vs 2.2 (issue 6)\n\nFull scan of all columns of the same rows; real Lance wrote both tables (`new_table_data_storage_version`), lancec wrote a copy of each.\n\n" + mdTable(["table", "threads", "lancec", "real Lance", "ratio", "results"], fr, [1, 2, 3, 4]);
  s += "\n## Scan engine checks (issue 5)\n";
  const io = ioRows(R);
  if (io.length) {
    s += "\n**(a) Selective filter on a sorted column: bytes read.** Each query on a fresh handle; lancec: `lancec_dataset_io_stats`; real Lance: the sum of `bytes_read` in `analyzePlan()`. ";
    s += "The index copy shares the data files with the table and adds a BTree index on `id` built by real Lance (`createIndex(\"id\", {config: Index.btree()})`); the last column is what `lancec_dataset_explain` says about indices.\n\n";
    s += mdTable(["query", "lancec bytes", "lancec reads", "of the full id scan", "real Lance bytes_read", "lancec plan: index"], io, [1, 2, 3, 4]);
  }
  const tr = takeRows(R);
  if (tr.length) s += "\n**(b) Random take of 1,000 rows** (all columns) from the " + fmtInt(C.rows) + "-row table, rows per second:\n\n" + mdTable(["take by", "threads", "lancec rows/s", "real Lance rows/s", "ratio", "results"], tr, [1, 2, 3, 4]);
  const sr = scalingRows(R);
  if (sr.length) s += `\n**(c) Speed-up from ${Math.min(...C.threads)} to ${Math.max(...C.threads)} threads** (time at ${Math.min(...C.threads)} / time at ${Math.max(...C.threads)}):\n\n` + mdTable(["workload", "lancec", "real Lance"], sr, [1, 2]);
  const fl = filterRows(R);
  if (fl.length) s += "\n**(d) Filtered scans and counts** (`scan` with a filter vs `query().where(f)`; `count` vs `countRows(f)`):\n\n" + mdTable(["workload", "threads", "rows", "lancec", "real Lance", "ratio"], fl, [1, 2, 3, 4, 5]);
  s += "\n## Physical references (same machine, same run)\n\n" + mdTable(["measurement", "speed"], physRows(P), [1]);
  s += "\nThe benchmark tables use no general-purpose compression (Lance's 2.x writer applies zstd / lz4 only to fields that ask for it in their metadata): the codec rows show what decoding would cost if they did.\n";
  if (R.notes.length || R.failures.length) {
    s += "\n## Notes\n\n" + R.notes.map((n) => `* ${n}\n`).join("");
    if (R.failures.length) s += R.failures.map((f) => `* **failure**: ${f}\n`).join("");
  }
  return s;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, out] = process.argv.slice(2);
  if (!file) { console.error("usage: node bench/report.mjs RESULTS.json [OUT.md]"); process.exit(2); }
  const R = JSON.parse(fs.readFileSync(file, "utf8"));
  process.stdout.write(renderText(R));
  if (out) fs.writeFileSync(out, renderMarkdown(R));
}
