// `lancec versions`, `lancec info` and the version selectors of `lancec scan`
// against the corpus meta files (versions, row counts, timestamps, tags,
// fragments, data format, indices).
//
//   node cli_commands.mjs --lancec PATH --shared DIR
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(n) >= 0 ? args[args.indexOf(n) + 1] : d);
const lancec = opt("--lancec", process.env.LANCEC);
const shared = opt("--shared", process.env.LANCEC_SHARED_DIR);
let passed = 0, failed = 0;
const ok = (label) => passed++;
const bad = (label, why) => {
  failed++;
  console.log(`FAIL ${label}: ${why}`);
};
const run = (argv) => {
  const r = spawnSync(lancec, argv, { maxBuffer: 1 << 26 });
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
};

for (const corpus of ["public", "public-2.2"]) {
  const dir = path.join(shared, "corpus", corpus);
  for (const mf of fs.readdirSync(dir).filter((f) => f.endsWith(".meta.json")).sort()) {
    const name = mf.replace(/\.meta\.json$/, "");
    if (name === "fmt_v2_3_next") continue;
    const meta = JSON.parse(fs.readFileSync(path.join(dir, mf), "utf8"));
    const ds = path.join(dir, meta.dataset_dir || `${name}.lance`);
    const label = `${corpus}/${name}`;
    // versions without dumped rows carry lancedb's summary (total_rows = visible rows)
    for (const mv of meta.versions) mv.row_count ??= Number(mv.summary?.total_rows);

    // versions: one line per version with number, timestamp (ms precision), rows
    const v = run(["versions", ds]);
    if (v.status !== 0) {
      bad(`${label} versions`, v.err.trim());
      continue;
    }
    const lines = v.out.trim().split("\n").slice(1).map((l) => l.trim().split(/\s+/));
    if (lines.length !== meta.versions.length) bad(`${label} versions`, `${lines.length} versions, expected ${meta.versions.length}`);
    else {
      let why = null;
      meta.versions.forEach((mv, i) => {
        const [num, ts, rows, op] = lines[i];
        if (Number(num) !== mv.version) why ??= `line ${i}: version ${num}, expected ${mv.version}`;
        else if (Number(rows) !== mv.row_count) why ??= `v${mv.version}: ${rows} rows, expected ${mv.row_count}`;
        else if (Math.abs(Date.parse(ts) - mv.timestamp_ms) > 1) why ??= `v${mv.version}: timestamp ${ts}, expected ${mv.timestamp}`;
        else if (!op || op === "-") why ??= `v${mv.version}: no operation`;
      });
      why ? bad(`${label} versions`, why) : ok();
    }

    // info: version, rows, fragments, data format, indices
    const inf = run(["info", ds]);
    if (inf.status !== 0) bad(`${label} info`, inf.err.trim());
    else {
      const get = (re) => (inf.out.match(re) || [])[1];
      let why = null;
      if (Number(get(/^version: (\d+)/m)) !== meta.latest_version) why = `version ${get(/^version: (\d+)/m)}`;
      else if (Number(get(/^rows: (\d+)/m)) !== meta.row_count) why = `rows ${get(/^rows: (\d+)/m)}, expected ${meta.row_count}`;
      else if (Number(get(/^fragments: (\d+)/m)) !== meta.fragment_count) why = `fragments ${get(/^fragments: (\d+)/m)}, expected ${meta.fragment_count}`;
      else if (Number(get(/^indices: (\d+)/m)) !== (meta.indices || []).length) why = `indices ${get(/^indices: (\d+)/m)}, expected ${(meta.indices || []).length}`;
      else {
        for (const ix of meta.indices || []) if (!inf.out.includes(`- ${ix.name}:`)) why ??= `index ${ix.name} not listed`;
        for (const f of meta.schema) if (!inf.out.includes(`- ${f.name}:`)) why ??= `column ${f.name} not listed`;
        // meta says "legacy(0.2)" for v1 data files; the dataset's storage version is "0.1"
        let dv = (meta.data_file_versions || [])[0];
        if (dv && dv.startsWith("legacy")) dv = "0.1";
        if (dv && !inf.out.includes(`data storage version: ${dv}`)) why ??= `data storage version is not ${dv}`;
      }
      why ? bad(`${label} info`, why) : ok();
    }

    // tags and asof select the right version (row counts of a scan)
    const count = (argv) => {
      const r = run(["scan", ds, "--format", "jsonl", ...argv]);
      return r.status === 0 ? r.out.split("\n").filter((l) => l).length : `error: ${r.err.trim()}`;
    };
    for (const [tag, t] of Object.entries(meta.tags || {})) {
      const mv = meta.versions.find((x) => x.version === t.version);
      const n = count(["--tag", tag]);
      n === mv.row_count ? ok() : bad(`${label} --tag ${tag}`, `${n} rows, expected ${mv.row_count}`);
    }
    if (meta.versions.length > 1) {
      for (const mv of meta.versions) {
        // asof 1 ms after the (millisecond-rounded) commit time selects that
        // version (at-or-before rule), or a later one committed in the same ms
        const n = count(["--asof", new Date(mv.timestamp_ms + 1).toISOString()]);
        const upto = meta.versions.filter((x) => x.timestamp_ms <= mv.timestamp_ms);
        const expect = upto[upto.length - 1].row_count;
        n === expect ? ok() : bad(`${label} --asof ${mv.timestamp}`, `${n} rows, expected ${expect}`);
      }
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
