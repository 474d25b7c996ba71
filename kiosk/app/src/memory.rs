//! Keeping resident memory low on a terminal with little RAM.
//!
//! Loading the library and the keyboard dictionary allocates large temporary
//! buffers (the dictionary peaks near 26 MiB and keeps 9). glibc's malloc
//! raises its mmap threshold each time such a block is freed, so later large
//! blocks come from the heap and their pages stay resident after `free`.
//! Fixing the threshold keeps big buffers in their own mappings, returned to
//! the system when freed; a trim after loading hands back the rest.

/// Call first thing in `main`, before any large allocation.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before
    // other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Returns freed heap pages to the system (after start-up loading).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe and only releases free memory.
    unsafe {
        libc::malloc_trim(0);
    }
}
