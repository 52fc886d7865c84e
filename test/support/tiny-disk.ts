// A real small file system for tests of a full or read-only disk: a tmpfs mounted on a temporary directory.
// Needs root (the test machine and CI run as root); tests use `test.skipIf(!tinyDisksWork)` elsewhere.
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TinyDisk {
  dir: string;
  /** Fills every free byte with a filler file. */
  fill(): void;
  /** Deletes the filler file. */
  free(): void;
  remount(mode: "ro" | "rw"): void;
  unmount(): void;
}

function run(args: string[]): boolean {
  return Bun.spawnSync(args, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
}

export function mountTinyDisk(sizeKiB = 4096): TinyDisk {
  const dir = mkdtempSync(join(tmpdir(), "kabinet-disk-"));
  if (!run(["mount", "-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0755`, "tmpfs", dir])) throw new Error("cannot mount a tmpfs (not root?)");
  const filler = join(dir, "filler");
  return {
    dir,
    fill() {
      const chunk = new Uint8Array(64 * 1024);
      try {
        for (;;) appendFileSync(filler, chunk);
      } catch {
        // ENOSPC in 64 KiB steps; then the last few pages
      }
      try {
        for (;;) appendFileSync(filler, chunk.subarray(0, 512));
      } catch {
        // full
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    remount(mode) {
      if (!run(["mount", "-o", `remount,${mode}`, dir])) throw new Error(`cannot remount ${dir} ${mode}`);
    },
    unmount() {
      run(["umount", "-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether this process may mount a tmpfs (root). */
export const tinyDisksWork: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    mountTinyDisk(64).unmount();
    return true;
  } catch {
    return false;
  }
})();
