// Checks an AsyncAPI document with the official parser (@asyncapi/parser), as the suite does:
//   node infra/scripts/asyncapi-check.cjs <parser dir> <document.json>
// Prints every diagnostic as a JSON line and exits 1 if any has severity error (or nothing parsed).
const path = require("node:path");
const fs = require("node:fs");

const [parserDir, documentPath] = process.argv.slice(2);
const { Parser, DiagnosticSeverity } = require(require.resolve("@asyncapi/parser", { paths: [path.resolve(parserDir)] }));

(async () => {
  const { document, diagnostics } = await new Parser().parse(fs.readFileSync(documentPath, "utf8"));
  for (const d of diagnostics) {
    console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path.join(".") }));
  }
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  process.exit(errors.length > 0 || document === undefined ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
