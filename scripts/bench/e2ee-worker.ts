// The Worker side of the end-to-end encryption benchmark: runs what the page asks and posts the figure back, so the
// frames are encrypted where Kabinet's call client encrypts them (a dedicated Worker, not the page's main thread).
import { type FrameRun, measureFrames } from "./e2ee-frames.ts";

self.onmessage = async (e: MessageEvent<FrameRun>) => {
  try {
    self.postMessage({ ok: true, ...(await measureFrames(e.data)) });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err) });
  }
};
