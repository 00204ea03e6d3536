// A static HTTP/2 server over TLS for bench/bench_search.py, which measures a search as readers get it from Netlify
// (HTTP/2: every request of a page at once on one connection, where HTTP/1.1 sends six at a time).
// node bench/h2_server.mjs SITE OVERLAY.json KEY.pem CERT.pem
// Serves SITE, but for the paths OVERLAY.json maps to other files; a path under pagefind/ that it does not map is
// missing (the variant under test has its own index). Prints {"port": N} once listening, then [path, bytes] for
// each response. Compresses text (pages, scripts, styles, JSON) with Brotli for a browser that takes it, as Netlify's
// CDN does; Pagefind's index files are compressed already (gzip), and sent as they are.
import fs from "node:fs";
import http2 from "node:http2";
import path from "node:path";
import zlib from "node:zlib";

const [site, overlayFile, keyFile, certFile] = process.argv.slice(2);
const overlay = JSON.parse(fs.readFileSync(overlayFile, "utf8"));
const root = path.resolve(site);
const types = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
  ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp",
};

const COMPRESSED = new Set([".html", ".js", ".css", ".json", ".svg"]);
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }; // a CDN compressing as it serves
const compressed = new Map(); // file -> its bytes compressed, made once

function fileFor(relative) {
  if (relative in overlay) {
    return overlay[relative];
  }
  const file = path.resolve(root, relative);
  return relative.startsWith("pagefind/") || !file.startsWith(root + path.sep) ? null : file;
}

const server = http2.createSecureServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) });
server.on("stream", (stream, headers) => {
  let relative = decodeURIComponent(headers[":path"].split("?")[0]).replace(/^\/+/, "");
  if (relative === "" || relative.endsWith("/")) {
    relative += "index.html";
  }
  let data = null;
  try {
    const file = fileFor(relative);
    data = file && fs.readFileSync(file);
  } catch {
    data = null;
  }
  if (!data) {
    stream.respond({ ":status": 404 });
    stream.end();
    return;
  }
  const response = { ":status": 200, "content-type": types[path.extname(relative)] ?? "application/octet-stream",
                     "cache-control": "no-store" };
  if (COMPRESSED.has(path.extname(relative)) && /\bbr\b/.test(headers["accept-encoding"] ?? "")) {
    const key = fileFor(relative);
    if (!compressed.has(key)) {
      compressed.set(key, zlib.brotliCompressSync(data, BROTLI));
    }
    data = compressed.get(key);
    response["content-encoding"] = "br";
  }
  stream.respond(response);
  stream.end(data);
  process.stdout.write(JSON.stringify([headers[":path"], data.length]) + "\n");
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n"));
