// Writes a small example dataset with real Lance (npm @lancedb/lancedb, the
// project's test peer) so that the README's first command has something to
// read: examples/make_example.mjs OUT_DIR  →  OUT_DIR/example.lance
import { createRequire } from "node:module";
import path from "node:path";
import url from "node:url";

const here = path.dirname(url.fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../tests/interop/package.json"));
const lancedb = require("@lancedb/lancedb");
const arrow = require("apache-arrow");

const out = process.argv[2] || "/tmp/lancec-example";
const db = await lancedb.connect(out);
const n = 1000;
const cities = ["Lisbon", "Oslo", "Kyoto", "Lima", "Accra", "Hanoi"];
const rows = [];
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
for (let i = 0; i < n; i++) {
  rows.push({
    id: i,
    city: cities[i % cities.length],
    score: Math.round(rnd() * 10000) / 100,
    note: i % 7 === 0 ? null : `row ${i}`,
    vec: Array.from({ length: 8 }, () => Math.round(rnd() * 1000) / 1000),
  });
}
const schema = new arrow.Schema([
  new arrow.Field("id", new arrow.Int64(), false),
  new arrow.Field("city", new arrow.Utf8(), true),
  new arrow.Field("score", new arrow.Float64(), true),
  new arrow.Field("note", new arrow.Utf8(), true),
  new arrow.Field("vec", new arrow.FixedSizeList(8, new arrow.Field("item", new arrow.Float32(), true)), true),
]);
const table = await db.createTable("example", rows.slice(0, 600), { schema, mode: "overwrite" });
await table.add(rows.slice(600));
await table.delete("id % 100 = 99");
console.log(path.join(out, "example.lance"));
