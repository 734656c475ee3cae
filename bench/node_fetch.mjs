// Node.js fetch: N requests, C workers in flight, every body read.
// Prints: elapsed_s ok bytes non200.      node node_fetch.mjs URL N C
const [url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg), c = Number(cArg);
let next = 0, ok = 0, bytes = 0, non200 = 0;
async function worker() {
  while (next < n) {
    next++;
    try {
      const r = await fetch(url);
      const b = await r.arrayBuffer();
      ok++;
      bytes += b.byteLength;
      if (r.status !== 200) non200++;
    } catch (e) { /* counted as not ok */ }
  }
}
const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: c }, worker));
const el = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`${el.toFixed(6)} ${ok} ${bytes} ${non200}`);
