// Sound in the device check: the microphone level meter, and a short tone (the speaker test, someone waiting).
let context: AudioContext | null = null;
let metered: MediaStreamTrack | null = null;

/** Moves the meter with the microphone of `stream` until `stop()` says so or another microphone is metered. */
export function meter(stream: MediaStream, el: HTMLMeterElement, stop: () => boolean): void {
  const audio = stream.getAudioTracks()[0];
  if (!audio || audio === metered) return;
  metered = audio;
  context ??= new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(new MediaStream([audio])).connect(analyser);
  const data = new Uint8Array(analyser.fftSize);
  const tick = () => {
    if (metered !== audio || stop()) return;
    analyser.getByteTimeDomainData(data);
    let peak = 0;
    for (const v of data) peak = Math.max(peak, Math.abs(v - 128));
    el.value = peak / 128;
    requestAnimationFrame(tick);
  };
  tick();
}

export function chime(): void {
  try {
    context ??= new AudioContext();
    const o = context.createOscillator();
    const g = context.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.05;
    o.connect(g).connect(context.destination);
    o.start();
    o.stop(context.currentTime + 0.2);
  } catch {
    // sound is a courtesy; the list itself is the cue
  }
}
