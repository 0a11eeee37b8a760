// Back-pressure for every streamed answer: after a write() that returned false, wait until the
// socket drains, or until it closes (a client that went away never drains).
import type { Writable } from 'node:stream';

export function drainedOrClosed(out: Writable): Promise<void> {
  if (out.destroyed || out.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
