//! Reading on a second thread: a reader (the gzip decoder) fills chunks ahead while the caller parses
//! the previous ones, so decompression and parsing overlap. Memory stays bounded: at most `depth`
//! chunks wait in the channel, and chunks are recycled.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};

/// The consuming end: a [`BufRead`] over the chunks the producer thread reads.
pub struct Prefetched {
    chunks: Receiver<io::Result<Vec<u8>>>,
    free: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

/// Starts reading `reader` on a thread of `scope`, in chunks of `chunk` bytes, at most `depth`
/// chunks ahead. The thread stops at the end of input, at the first error (which the consumer then
/// reads), or when the [`Prefetched`] end is dropped; joining it gives the reader back.
pub fn spawn<'scope, R: Read + Send + 'scope>(
    scope: &'scope Scope<'scope, '_>,
    mut reader: R,
    chunk: usize,
    depth: usize,
) -> (Prefetched, ScopedJoinHandle<'scope, R>) {
    let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(depth);
    let (free_tx, free_rx) = sync_channel::<Vec<u8>>(depth + 2);
    let handle = scope.spawn(move || {
        loop {
            let mut buf: Vec<u8> = free_rx.try_recv().unwrap_or_default();
            buf.resize(chunk, 0);
            let mut filled = 0;
            let result = loop {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => {
                        filled += n;
                        if filled == buf.len() {
                            break Ok(());
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            buf.truncate(filled);
            let end = filled < chunk || result.is_err();
            if filled > 0 && tx.send(Ok(buf)).is_err() {
                break;
            }
            if let Err(e) = result {
                let _ = tx.send(Err(e));
                break;
            }
            if end {
                break;
            }
        }
        reader
    });
    let prefetched = Prefetched {
        chunks: rx,
        free: free_tx,
        current: Vec::new(),
        pos: 0,
        done: false,
    };
    (prefetched, handle)
}

impl Read for Prefetched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Prefetched {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() && !self.done {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    let _ = self.free.try_send(used);
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.current[self.pos.min(self.current.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_every_byte_in_order() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        std::thread::scope(|scope| {
            let (mut reader, handle) = spawn(scope, &data[..], 4096, 2);
            let mut out = Vec::new();
            reader.read_to_end(&mut out).unwrap();
            assert_eq!(out, data);
            handle.join().unwrap();
        });
    }

    #[test]
    fn passes_the_error_after_the_data_before_it() {
        struct FailsAfter(usize);
        impl Read for FailsAfter {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "boom"));
                }
                let n = buf.len().min(self.0);
                buf[..n].fill(b'x');
                self.0 -= n;
                Ok(n)
            }
        }
        std::thread::scope(|scope| {
            let (mut reader, handle) = spawn(scope, FailsAfter(10_000), 4096, 2);
            let mut out = Vec::new();
            let err = reader.read_to_end(&mut out).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert_eq!(out.len(), 10_000);
            handle.join().unwrap();
        });
    }

    #[test]
    fn producer_stops_when_the_consumer_goes_away() {
        let data = vec![7u8; 10_000_000];
        std::thread::scope(|scope| {
            let (mut reader, handle) = spawn(scope, &data[..], 4096, 2);
            let mut first = [0u8; 10];
            reader.read_exact(&mut first).unwrap();
            drop(reader);
            let rest = handle.join().unwrap();
            assert!(!rest.is_empty(), "stopped before reading everything");
        });
    }
}
