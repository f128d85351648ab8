// Copies the browser builds of the npm packages into build/static/vendor, where Django's
// staticfiles finds them. Nothing third-party is committed; this runs in `make install`.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "static", "vendor");
mkdirSync(out, { recursive: true });

const files = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["echarts/dist/echarts.min.js", "echarts.min.js"],
];
for (const [from, to] of files) {
  copyFileSync(join(root, "node_modules", from), join(out, to));
}
const versions = Object.fromEntries(
  ["htmx.org", "echarts"].map((name) => [
    name,
    JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version,
  ]),
);
console.log(`static vendor files built: ${JSON.stringify(versions)}`);
