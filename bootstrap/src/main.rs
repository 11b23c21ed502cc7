#![forbid(unsafe_code)]
//! The `bedrud` binary.

/// mimalloc instead of glibc malloc: Argon2id allocates 19 MiB per hash on the blocking
/// pool, and glibc keeps such blocks cached in its per-thread arenas (its mmap threshold
/// rises after the first free), which grew the resident set to hundreds of MiB under a
/// login load and never gave it back. mimalloc returns freed segments to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    bedrud::main_entry()
}
