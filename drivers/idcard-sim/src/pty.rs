//! The pseudo-terminal the simulated reader sits behind, and its stable name.
//!
//! A pty is a pair of character devices: whatever is written to the master
//! arrives as input on the slave (`/dev/pts/N`) and the other way round. The
//! simulator keeps the master; the driver opens the slave by path with the
//! `serialport` crate, exactly as it opens `/dev/ttyUSB0` on a kiosk.
//!
//! Findings that shaped this module (Linux, checked on the CI image):
//!
//! * `serialport` opens ports exclusively by default: `TIOCEXCL` plus an
//!   exclusive `flock`. On a pty the `TIOCEXCL` flag belongs to the slave's
//!   tty, which lives as long as the master, so it outlives the descriptor
//!   that set it. `serialport` 4.10 clears it when it closes a port, but a
//!   client that dies holding the port (killed, crashed) leaves it set, and
//!   every later `open` by a process without `CAP_SYS_ADMIN` fails with
//!   `EBUSY` (root is exempt, which hides the problem in containers; checked
//!   with an unprivileged user via `setpriv`). Dropping the simulator's own
//!   slave handle does not help. What works: keep one slave descriptor open
//!   here and clear the flag with `TIOCNXCL` on it after every request that
//!   arrives and on every idle wake-up (at most [`EXCLUSIVE_CLEAR_PERIOD`]
//!   apart). The simulator takes no `flock`, so a client's exclusive `flock`
//!   still succeeds. (`kiosk-idcard` itself opens pseudo-terminals shared,
//!   so it never sets the flag; the clearing protects against other tools.)
//! * Holding that slave descriptor has a second benefit: while no process has
//!   the slave open, `poll` on the master reports `POLLHUP` continuously and
//!   `read` fails with `EIO`, which would make a naive loop spin. With the
//!   handle held the master only becomes readable when the driver writes.
//!   The simulator never reads from its slave handle (that would steal the
//!   driver's input).
//! * Bytes written to the master while no driver has the port open stay in
//!   the slave's input queue (the tty lives on) and are read by the next
//!   opener, as with a real UART whose driver keeps its buffer. A driver
//!   should clear its input before a command.
//! * Closing the master ("unplug") removes `/dev/pts/N` at once; the
//!   driver's open descriptor then reads end-of-file or `EIO`, `poll` reports
//!   `POLLHUP` (which `serialport` turns into `BrokenPipe`), writes fail with
//!   `EIO`, and a new `open` fails with `ENOENT`.
//! * Both descriptors get `FD_CLOEXEC` (`TTYPort::pair` leaves them
//!   inheritable) so a child process of the kiosk cannot keep a pty alive.
//! * The master is switched to non-blocking: the slave's input queue is
//!   finite, and a reader must never hang because its host stopped reading.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Longest time between two `TIOCNXCL` calls while the reader is idle.
pub(crate) const EXCLUSIVE_CLEAR_PERIOD: Duration = Duration::from_millis(50);

/// One pseudo-terminal: the master the simulator talks through and a held
/// slave descriptor (see the module docs for why).
pub(crate) struct Pty {
    master: OwnedFd,
    slave: OwnedFd,
    path: PathBuf,
}

impl Pty {
    /// A new pty in raw mode, master non-blocking.
    pub(crate) fn open() -> io::Result<Pty> {
        let (master, slave) = serialport::TTYPort::pair().map_err(io::Error::from)?;
        let path = serialport::SerialPort::name(&slave)
            .map(PathBuf::from)
            .ok_or_else(|| io::Error::other("pseudo-terminal without a slave name"))?;
        // SAFETY: `into_raw_fd` hands over ownership of an open descriptor;
        // nothing else closes it.
        let master = unsafe { OwnedFd::from_raw_fd(master.into_raw_fd()) };
        // SAFETY: as above.
        let slave = unsafe { OwnedFd::from_raw_fd(slave.into_raw_fd()) };
        set_cloexec(&master)?;
        set_cloexec(&slave)?;
        set_nonblocking(&master)?;
        let pty = Pty {
            master,
            slave,
            path,
        };
        pty.clear_exclusive();
        Ok(pty)
    }

    /// `/dev/pts/N`.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Clears `TIOCEXCL` on the slave so the driver can open it again after
    /// closing it. Failure is harmless (root does not need it) and ignored.
    pub(crate) fn clear_exclusive(&self) {
        // SAFETY: plain ioctl without argument on a descriptor we own.
        unsafe {
            libc::ioctl(self.slave.as_raw_fd(), libc::TIOCNXCL);
        }
    }

    /// Reads what the host has sent. `Ok(0)` when nothing is waiting.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(self.master.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(err),
        }
    }

    /// Writes as much of `bytes` as the slave's input queue takes now.
    /// `Ok(0)` when the queue is full.
    pub(crate) fn write(&self, bytes: &[u8]) -> io::Result<usize> {
        if bytes.is_empty() {
            return Ok(0);
        }
        // SAFETY: `bytes` is valid for `bytes.len()` bytes.
        let n = unsafe { libc::write(self.master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(err),
        }
    }

    /// Waits until the master is writable, or `timeout`.
    pub(crate) fn wait_writable(&self, timeout: Duration) {
        let mut fds = [libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        }];
        poll(&mut fds, timeout);
    }

    /// Waits until the host has sent something or `wake` is signalled, at
    /// most `timeout`.
    pub(crate) fn wait_readable(&self, wake: &UnixStream, timeout: Duration) -> Readiness {
        let mut fds = [
            libc::pollfd {
                fd: self.master.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        poll(&mut fds, timeout);
        let master = fds[0].revents;
        Readiness {
            data: master & libc::POLLIN != 0,
            hang_up: master & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
                && master & libc::POLLIN == 0,
        }
    }
}

/// What [`Pty::wait_readable`] found.
pub(crate) struct Readiness {
    /// The host sent bytes.
    pub(crate) data: bool,
    /// The master reports hang-up without data (should not happen while the
    /// slave handle is held; the caller backs off instead of spinning).
    pub(crate) hang_up: bool,
}

/// Waits on `wake` alone (used while unplugged).
pub(crate) fn wait_wake(wake: &UnixStream, timeout: Duration) {
    let mut fds = [libc::pollfd {
        fd: wake.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }];
    poll(&mut fds, timeout);
}

fn poll(fds: &mut [libc::pollfd], timeout: Duration) {
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd structures.
    unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms);
    }
}

fn set_cloexec(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we own.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Points `link` at `target` atomically: a temporary symlink next to it is
/// renamed over it, so an opener sees either the old target or the new one,
/// never a missing link. Refuses to replace anything but a symlink.
pub(crate) fn point_link(link: &Path, target: &Path) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if let Ok(meta) = std::fs::symlink_metadata(link)
        && !meta.file_type().is_symlink()
    {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a symlink", link.display()),
        ));
    }
    let name = link
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "link path has no file name"))?;
    let tmp = link.with_file_name(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    if let Err(e) = std::fs::rename(&tmp, link) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Removes `link` if it is a symlink (never a file someone else put there).
pub(crate) fn remove_link(link: &Path) {
    if let Ok(meta) = std::fs::symlink_metadata(link)
        && meta.file_type().is_symlink()
        && let Err(e) = std::fs::remove_file(link)
    {
        log::warn!("idcard-sim: could not remove link {}: {e}", link.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_is_replaced_atomically_and_removed() {
        let dir = std::env::temp_dir().join(format!("idcard-sim-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("reader");
        point_link(&link, Path::new("/dev/null")).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("/dev/null"));
        point_link(&link, Path::new("/dev/zero")).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("/dev/zero"));
        remove_link(&link);
        assert!(std::fs::symlink_metadata(&link).is_err());
        // Only the link was ever there: no temporary names left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn remove_link_leaves_regular_files_alone() {
        let path = std::env::temp_dir().join(format!("idcard-sim-file-{}", std::process::id()));
        std::fs::write(&path, b"x").unwrap();
        remove_link(&path);
        assert!(path.exists());
        let err = point_link(&path, Path::new("/dev/null")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
        std::fs::remove_file(&path).unwrap();
    }
}
