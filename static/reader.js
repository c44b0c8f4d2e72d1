// Reads a Blob in slices on its own thread and hands each slice (transferred,
// not copied) to the analysis worker that started it, which acknowledges each
// one it has taken. At most `ahead` slices are unacknowledged at a time, so
// reading runs ahead of the analysis by a bounded amount of memory.
//
// Request:  { blob, slice, ahead }       (a new request ends the previous one)
// Replies:  { seq, buf, last }           one per slice, in order
//           { error }                    when a read fails
// From the analysis worker: { ack: true } for each slice it has finished.
// Bytes of the first slice.
const FIRST = 1 << 20;
let run = 0;
let credit = 0;
let wake = null;

self.onmessage = (ev) => {
  const m = ev.data;
  if (m.ack) {
    credit += 1;
    if (wake) { const w = wake; wake = null; w(); }
    return;
  }
  read(m.blob, m.slice, m.ahead, ++run);
};

async function read(blob, slice, ahead, me) {
  credit = ahead;
  if (wake) { const w = wake; wake = null; w(); }
  const size = blob.size;
  const inflight = [];
  let next = 0;
  let seq = 0;
  try {
    for (;;) {
      while (inflight.length < ahead && next < size) {
        // The first slice is small, so the analysis starts at once.
        const end = Math.min(next + (next === 0 ? Math.min(slice, FIRST) : slice), size);
        inflight.push(blob.slice(next, end).arrayBuffer());
        next = end;
      }
      if (!inflight.length) {
        if (size === 0) self.postMessage({ seq: 0, buf: new ArrayBuffer(0), last: true });
        return;
      }
      const buf = await inflight.shift();
      while (credit <= 0 && run === me) await new Promise((r) => { wake = r; });
      if (run !== me) return;
      credit -= 1;
      const last = next >= size && !inflight.length;
      self.postMessage({ seq: seq++, buf, last }, [buf]);
    }
  } catch (e) {
    if (run === me) self.postMessage({ error: `reading the file failed: ${e && e.message ? e.message : e}` });
  }
}
