//! The API's TCP listener: a deep accept backlog (a burst of new connections waits in
//! the kernel rather than being refused or retried a second later), and a read and write
//! timeout on every connection, so that half-sent requests and idle keep-alives cannot
//! hold sockets and tasks forever (axum's `serve` has neither setting).

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_io_timeout::TimeoutStream;

/// Connections waiting to be accepted (the kernel caps it at `net.core.somaxconn`).
pub const BACKLOG: u32 = 4096;

pub struct TimedListener {
    inner: TcpListener,
    timeout: Duration,
}

/// Binds `listen` (`host:port`) with [`BACKLOG`].
pub async fn bind(listen: &str, timeout: Duration) -> std::io::Result<TimedListener> {
    let addr: SocketAddr = tokio::net::lookup_host(listen)
        .await?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "the address resolves to nothing"))?;
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(TimedListener { inner: socket.listen(BACKLOG)?, timeout })
}

impl axum::serve::Listener for TimedListener {
    type Io = Pin<Box<TimeoutStream<TcpStream>>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let mut timed = TimeoutStream::new(stream);
                    timed.set_read_timeout(Some(self.timeout));
                    timed.set_write_timeout(Some(self.timeout));
                    return (Box::pin(timed), addr);
                }
                // Out of file descriptors and the like: wait, never spin.
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}
