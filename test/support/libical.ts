// libical (Debian gir1.2-ical-3.0 through python3-gi), the C library behind many calendar programs, as a validator.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./installation.ts";

export /** libical's iTIP restriction check (RFC 5546 tables) on each file: the X-LIC-ERROR lines it adds, per file. */
function libicalErrors(files: string[]): string[][] {
  const dir = tempDir("kabinet-itip-");
  const paths = files.map((content, i) => {
    const path = join(dir, `${i}.ics`);
    writeFileSync(path, content);
    return path;
  });
  const script = `
import gi, json, re, sys
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib
out = []
for path in sys.argv[1:]:
    with open(path, newline="") as f:
        comp = ICalGLib.Component.new_from_string(f.read())
    comp.check_restrictions()
    text = re.sub(r"\\r?\\n[ \\t]", "", comp.as_ical_string())
    out.append([line for line in text.splitlines() if line.startswith("X-LIC-ERROR")])
print(json.dumps(out))
`;
  const r = Bun.spawnSync(["/usr/bin/python3", "-c", script, ...paths], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as string[][];
}
